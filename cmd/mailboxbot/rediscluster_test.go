package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// clusterEnv is validEnv on a cluster: the seeds, and REDIS_URL for the
// password and TLS only.
func clusterEnv(extra map[string]string) map[string]string {
	e := validEnv()
	e["REDIS_URL"] = "rediss://bot:" + redisTestPassword + "@cluster/0"
	e["MAILBOXBOT_REDIS_CLUSTER_ADDRS"] = " node-0.redis:6379, node-1.redis:6379 ,"
	for k, v := range extra {
		if v == "" {
			delete(e, k)
		} else {
			e[k] = v
		}
	}
	return e
}

func TestConfigCluster(t *testing.T) {
	cfg, err := loadConfig(envOf(clusterEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.cluster() || cfg.sentinel() {
		t.Errorf("cluster() = %v, sentinel() = %v", cfg.cluster(), cfg.sentinel())
	}
	if got := cfg.storePrefix(); got != "mailboxbot:{mailboxbot}:" {
		t.Errorf("store prefix on a cluster = %q, want mailboxbot:{mailboxbot}:", got)
	}
	rdb, addr, err := newRedis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	c, ok := rdb.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("newRedis gave a %T, want a cluster client", rdb)
	}
	opt := c.Options()
	if strings.Join(opt.Addrs, ",") != "node-0.redis:6379,node-1.redis:6379" || opt.Username != "bot" || opt.Password != redisTestPassword ||
		opt.TLSConfig == nil || opt.TLSConfig.ServerName != "" || opt.TLSConfig.InsecureSkipVerify {
		t.Errorf("cluster options: addrs %v user %q TLS %+v", opt.Addrs, opt.Username, opt.TLSConfig)
	}
	if strings.Contains(addr, redisTestPassword) || addr != "the Redis Cluster at node-0.redis:6379,node-1.redis:6379 over TLS" {
		t.Errorf("addr = %q", addr)
	}

	// Without REDIS_URL: no password, no TLS. The prefix keeps a tag of its own.
	cfg, err = loadConfig(envOf(clusterEnv(map[string]string{"REDIS_URL": "", "MAILBOXBOT_REDIS_PREFIX": "prod:{mbb}:"})))
	if err != nil {
		t.Fatalf("cluster without REDIS_URL: %v", err)
	}
	if got := cfg.storePrefix(); got != "prod:{mbb}:" {
		t.Errorf("store prefix = %q, want the configured tag kept", got)
	}
	opt, err = clusterOptions(cfg)
	if err != nil || opt.Password != "" || opt.TLSConfig != nil {
		t.Errorf("cluster options without REDIS_URL: %+v, %v", opt, err)
	}
	// Without a cluster the prefix is left alone: the keys stay where they are.
	if cfg, err := loadConfig(envOf(validEnv())); err != nil || cfg.storePrefix() != "mailboxbot:" {
		t.Errorf("store prefix without a cluster = %q, %v", cfg.storePrefix(), err)
	}
}

// TestConfigClusterMistakes: each mistake is named, with what to do.
func TestConfigClusterMistakes(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"and sentinel": {map[string]string{"MAILBOXBOT_REDIS_SENTINEL_ADDRS": "s0:26379", "MAILBOXBOT_REDIS_SENTINEL_MASTER": "m"},
			"MAILBOXBOT_REDIS_CLUSTER_ADDRS and the Sentinel settings are both set"},
		"no port":   {map[string]string{"MAILBOXBOT_REDIS_CLUSTER_ADDRS": "node-0.redis"}, `MAILBOXBOT_REDIS_CLUSTER_ADDRS: "node-0.redis" is not host:port`},
		"unix":      {map[string]string{"REDIS_URL": "unix:///run/redis.sock"}, "REDIS_URL must be a redis:// or rediss:// URL with MAILBOXBOT_REDIS_CLUSTER_ADDRS"},
		"database":  {map[string]string{"REDIS_URL": "redis://:pw@cluster/3"}, "a Redis Cluster has only database 0"},
		"empty tag": {map[string]string{"MAILBOXBOT_REDIS_PREFIX": "bot{}:"}, "MAILBOXBOT_REDIS_PREFIX: key prefix \"bot{}:\" cannot carry a hash tag"},
	} {
		_, err := loadConfig(envOf(clusterEnv(c.env)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// TestServeClusterUnreachable: serve stops at once, naming the seeds and
// what to check, without the password.
func TestServeClusterUnreachable(t *testing.T) {
	closed := freeAddr(t)
	e := clusterEnv(map[string]string{"MAILBOXBOT_REDIS_CLUSTER_ADDRS": closed, "REDIS_URL": "redis://:" + redisTestPassword + "@cluster/0"})
	err := run(context.Background(), []string{"serve"}, envOf(e), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("serve started without Redis")
	}
	for _, want := range []string{"cannot reach Redis at the Redis Cluster at " + closed, "check MAILBOXBOT_REDIS_CLUSTER_ADDRS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), redisTestPassword) {
		t.Errorf("the error shows the password: %v", err)
	}
}

// onCluster moves w's bot to a Redis Cluster of three masters, under a
// fresh prefix, and returns the cluster's client.
func (w *world) onCluster() *redis.ClusterClient {
	rdb, prefix := redistest.Cluster(w.t)
	queue := strings.TrimSuffix(prefix, ":")
	w.t.Cleanup(func() {
		ctx := context.Background()
		if err := redistest.DeletePrefix(ctx, rdb, "asynq:{"+queue+"}:"); err != nil {
			w.t.Errorf("delete the queue's keys: %v", err)
		}
		rdb.SRem(ctx, "asynq:queues", queue)
	})
	delete(w.env, "REDIS_URL")
	w.env["MAILBOXBOT_REDIS_CLUSTER_ADDRS"] = strings.Join(rdb.Options().Addrs, ",")
	w.env["MAILBOXBOT_REDIS_PREFIX"] = prefix
	return rdb
}

// TestDoctorCluster: on a healthy cluster doctor says so, and where the
// bot's keys live.
func TestDoctorCluster(t *testing.T) {
	w := newDoctorWorld(t)
	w.onCluster()
	out, err := w.run()
	if err != nil {
		t.Errorf("doctor: %v\n%s", err, out)
	}
	want := "ok    Redis Cluster: cluster_state ok on 3 masters, all 16384 slots served; a transaction over the bot's keys " +
		w.env["MAILBOXBOT_REDIS_PREFIX"] + "{" + strings.TrimSuffix(w.env["MAILBOXBOT_REDIS_PREFIX"], ":") + "}:* (slot "
	if !strings.Contains(out, want) || !strings.Contains(out, ") went through") || len(lines(out, "FAIL")) > 0 {
		t.Errorf("report lacks %q:\n%s", want, out)
	}
}

// TestDoctorClusterWithoutSlots: a node in cluster mode that serves no
// slots is a failure that says how to fix it.
func TestDoctorClusterWithoutSlots(t *testing.T) {
	w := newDoctorWorld(t)
	node := ownRedisServer(t, "--cluster-enabled", "yes")
	delete(w.env, "REDIS_URL")
	w.env["MAILBOXBOT_REDIS_CLUSTER_ADDRS"] = node.Options().Addr
	out := w.failsWith("Redis")
	t.Logf("report:\n%s", out)
	if !strings.Contains(out, "redis-cli --cluster") {
		t.Errorf("the report does not say how to fix the cluster:\n%s", out)
	}
}
