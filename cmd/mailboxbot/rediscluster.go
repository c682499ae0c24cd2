package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
)

// Redis Cluster (MAILBOXBOT_REDIS_CLUSTER_ADDRS, docs/redis.md): the seeds
// are any of the cluster's nodes, and the client learns the rest from them.
// REDIS_URL, when set, gives the user name, the password and TLS
// (rediss://), as with Sentinel; its host is not used.

// cluster reports whether Redis is a cluster.
func (c Config) cluster() bool { return len(c.clusterAddrs()) > 0 }

// clusterAddrs is MAILBOXBOT_REDIS_CLUSTER_ADDRS, trimmed.
func (c Config) clusterAddrs() []string { return trimmed(c.RedisClusterAddrs) }

// storePrefix is the prefix of the bot's own keys: MAILBOXBOT_REDIS_PREFIX,
// with a hash tag on a cluster so that a request's keys share one slot.
// The queue's name stays MAILBOXBOT_REDIS_PREFIX without its colon: asynq
// tags its keys with it.
func (c Config) storePrefix() string {
	if !c.cluster() {
		return c.KeyPrefix
	}
	p, err := redisstore.HashTagged(c.KeyPrefix)
	if err != nil {
		return c.KeyPrefix // refused by clusterProblems before this is used
	}
	return p
}

// clusterProblems are the configuration's mistakes about a cluster, each
// saying what to do.
func (c Config) clusterProblems() []string {
	if !c.cluster() {
		return nil
	}
	var p []string
	if c.sentinel() {
		p = append(p, "MAILBOXBOT_REDIS_CLUSTER_ADDRS and the Sentinel settings are both set: a Redis Cluster fails over by itself, without Sentinels; keep one of them")
	}
	for _, a := range c.clusterAddrs() {
		if err := checkHostPort(a); err != nil {
			p = append(p, "MAILBOXBOT_REDIS_CLUSTER_ADDRS: "+err.Error())
		}
	}
	if c.RedisURL != "" {
		if u, err := redis.ParseURL(c.RedisURL); err == nil && u.Network == "unix" {
			p = append(p, "REDIS_URL must be a redis:// or rediss:// URL with MAILBOXBOT_REDIS_CLUSTER_ADDRS (it gives the password and TLS; the cluster gives the addresses)")
		} else if err == nil && u.DB != 0 {
			p = append(p, "REDIS_URL names database "+strconv.Itoa(u.DB)+": a Redis Cluster has only database 0; end the URL in /0 and keep bots apart with MAILBOXBOT_REDIS_PREFIX")
		}
	}
	if _, err := redisstore.HashTagged(c.KeyPrefix); err != nil {
		p = append(p, "MAILBOXBOT_REDIS_PREFIX: "+err.Error())
	}
	return p
}

// clusterOptions maps the cluster's seeds, and REDIS_URL's credentials and
// scheme, to go-redis' options.
func clusterOptions(cfg Config) (*redis.ClusterOptions, error) {
	if problems := cfg.clusterProblems(); len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	opt := &redis.ClusterOptions{Addrs: cfg.clusterAddrs()}
	if cfg.RedisURL == "" {
		return opt, nil
	}
	u, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.Username, opt.Password = u.Username, u.Password
	if u.TLSConfig != nil {
		// No ServerName: each node's certificate is checked against the
		// address it is dialled at, as the cluster announces it.
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opt, nil
}

// newClusterRedis is newRedis for a cluster.
func newClusterRedis(cfg Config) (redis.UniversalClient, string, error) {
	opt, err := clusterOptions(cfg)
	if err != nil {
		return nil, "", err
	}
	return redis.NewClusterClient(opt), clusterAddr(opt), nil
}

// clusterAddr describes a cluster without its credentials.
func clusterAddr(opt *redis.ClusterOptions) string {
	tlsNote := ""
	if opt.TLSConfig != nil {
		tlsNote = " over TLS"
	}
	return "the Redis Cluster at " + strings.Join(opt.Addrs, ",") + tlsNote
}

// clusterSlots is how many hash slots a Redis Cluster has.
const clusterSlots = 16384

// doctorCluster checks that the cluster serves every slot, as each master
// sees it, and that a transaction over two keys under the bot's prefix
// goes through and reads back. It returns the master that holds the bot's
// keys, whose persistence and eviction matter, or nil when a check failed.
func doctorCluster(ctx context.Context, r *report, cfg Config, rdb *redis.ClusterClient) redis.UniversalClient {
	const check = "Redis Cluster"
	var mu sync.Mutex
	var problems []string
	masters := 0
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		info, err := m.ClusterInfo(ctx).Result()
		mu.Lock()
		defer mu.Unlock()
		masters++
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: CLUSTER INFO: %v", m.Options().Addr, err))
			return nil
		}
		if p := clusterInfoProblem(info); p != "" {
			problems = append(problems, m.Options().Addr+" "+p)
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		r.fail(check, "%s: %s", strings.Join(problems, "; "), clusterFix)
		return nil
	}
	prefix := cfg.storePrefix()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	k1 := prefix + "doctor:" + hex.EncodeToString(b) + ":a"
	k2 := prefix + "doctor:" + hex.EncodeToString(b) + ":b"
	var got *redis.SliceCmd
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k1, "1", time.Minute)
		p.Set(ctx, k2, "2", time.Minute)
		got = p.MGet(ctx, k1, k2)
		p.Del(ctx, k1, k2)
		return nil
	})
	if err == nil && fmt.Sprint(got.Val()) != "[1 2]" {
		err = fmt.Errorf("read back %v, want [1 2]", got.Val())
	}
	if err != nil {
		r.fail(check, "a transaction over two keys under %s failed: %v; the user needs MULTI, EXEC, SET, MGET and DEL on those keys (ACL ~%s*)", prefix, err, prefix)
		return nil
	}
	slot, err := rdb.ClusterKeySlot(ctx, k1).Result()
	var master *redis.Client
	if err == nil {
		master, err = rdb.MasterForKey(ctx, k1)
	}
	if err != nil {
		r.fail(check, "could not find the master of the bot's keys %s*: %v", prefix, err)
		return nil
	}
	r.pass(check, "cluster_state ok on %d masters, all %d slots served; a transaction over the bot's keys %s* (slot %d on %s) went through", masters, clusterSlots, prefix, slot, master.Options().Addr)
	return master
}

// clusterFix says what to do about a cluster that does not serve every slot.
const clusterFix = "the bot cannot keep its data until every slot is served; check the cluster with redis-cli --cluster check <host:port>, assign missing slots with redis-cli --cluster fix <host:port>, or wait for a failover to end"

// clusterProblem explains why the cluster could not be reached: it asks
// each seed, briefly, for its CLUSTER INFO. The cluster client itself only
// reports its last error.
func clusterProblem(ctx context.Context, cfg Config, pingErr error) error {
	opt, err := clusterOptions(cfg)
	if err != nil {
		return err
	}
	var answers []string
	broken := false
	for _, addr := range opt.Addrs {
		c := redis.NewClient(&redis.Options{Addr: addr, Username: opt.Username, Password: opt.Password, TLSConfig: opt.TLSConfig,
			MaxRetries: -1, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
		info, err := c.ClusterInfo(ctx).Result()
		c.Close()
		switch {
		case err != nil:
			answers = append(answers, fmt.Sprintf("seed %s: %v", addr, err))
		case clusterInfoProblem(info) != "":
			broken = true
			answers = append(answers, "seed "+addr+" "+clusterInfoProblem(info))
		default:
			answers = append(answers, "seed "+addr+" reports cluster_state:ok")
		}
	}
	if broken {
		answers = append(answers, clusterFix)
	}
	return fmt.Errorf("%w; %s", pingErr, strings.Join(answers, "; "))
}

// clusterInfoProblem reads CLUSTER INFO: "" when the cluster is ok and
// serves every slot, else what is wrong.
func clusterInfoProblem(info string) string {
	fields := map[string]string{}
	for line := range strings.SplitSeq(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	ok, _ := strconv.Atoi(fields["cluster_slots_ok"])
	if fields["cluster_state"] == "ok" && ok == clusterSlots {
		return ""
	}
	return fmt.Sprintf("reports cluster_state:%s with %d of %d slots served", fields["cluster_state"], ok, clusterSlots)
}
