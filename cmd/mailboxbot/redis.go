package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// newRedis connects to the Redis the configuration names (docs/redis.md):
//
//   - REDIS_URL alone: one server, redis:// (plain), rediss:// (TLS,
//     verified against the system roots, so SSL_CERT_FILE and
//     SSL_CERT_DIR add an enterprise CA) or unix://.
//   - MAILBOXBOT_REDIS_SENTINEL_ADDRS and MAILBOXBOT_REDIS_SENTINEL_MASTER:
//     the master that the Sentinels name, followed across failovers.
//     REDIS_URL, when set, gives the master's user name, password and
//     database, and rediss:// turns TLS on; its host is not used.
//   - MAILBOXBOT_REDIS_CLUSTER_ADDRS: a Redis Cluster, found from these
//     seeds; REDIS_URL, when set, gives the user name, password and TLS
//     (rediscluster.go).
//
// It also returns where it connects, for messages: never the password.
// It does not connect; the first command does.
func newRedis(cfg Config) (redis.UniversalClient, string, error) {
	if cfg.cluster() {
		return newClusterRedis(cfg)
	}
	if cfg.sentinel() {
		opt, err := failoverOptions(cfg)
		if err != nil {
			return nil, "", err
		}
		return redis.NewFailoverClient(opt), sentinelAddr(opt), nil
	}
	if cfg.RedisURL == "" {
		return nil, "", errors.New("REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, "", fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opt), serverAddr(opt), nil
}

// sentinel reports whether Redis is reached through Sentinel.
func (c Config) sentinel() bool {
	return len(c.sentinelAddrs()) > 0 || c.RedisSentinelMaster != ""
}

// sentinelAddrs is MAILBOXBOT_REDIS_SENTINEL_ADDRS, trimmed.
func (c Config) sentinelAddrs() []string { return trimmed(c.RedisSentinelAddrs) }

// failoverOptions maps the Sentinel settings, and REDIS_URL's credentials,
// database and scheme, to go-redis' options.
func failoverOptions(cfg Config) (*redis.FailoverOptions, error) {
	addrs := cfg.sentinelAddrs()
	if len(addrs) == 0 || cfg.RedisSentinelMaster == "" {
		return nil, errors.New("MAILBOXBOT_REDIS_SENTINEL_ADDRS and MAILBOXBOT_REDIS_SENTINEL_MASTER must be set together")
	}
	for _, a := range addrs {
		if err := checkHostPort(a); err != nil {
			return nil, fmt.Errorf("MAILBOXBOT_REDIS_SENTINEL_ADDRS: %w", err)
		}
	}
	opt := &redis.FailoverOptions{MasterName: cfg.RedisSentinelMaster, SentinelAddrs: addrs}
	if cfg.RedisURL != "" {
		u, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		if u.Network != "tcp" {
			return nil, errors.New("REDIS_URL: with Sentinel it must be a redis:// or rediss:// URL")
		}
		opt.Username, opt.Password, opt.DB = u.Username, u.Password, u.DB
		if u.TLSConfig != nil {
			// No ServerName: each connection checks the certificate
			// against the host it dials, Sentinel or master.
			opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	return opt, nil
}

// checkHostPort accepts host:port with a port from 1 to 65535.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port", a)
	}
	if n, err := strconv.Atoi(port); host == "" || err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q is not host:port (like sentinel-0.redis:26379)", a)
	}
	return nil
}

// serverAddr describes a single server without its credentials.
func serverAddr(opt *redis.Options) string {
	if opt.Network == "unix" {
		return "unix://" + opt.Addr
	}
	scheme := "redis"
	if opt.TLSConfig != nil {
		scheme = "rediss"
	}
	return fmt.Sprintf("%s://%s/%d", scheme, opt.Addr, opt.DB)
}

// sentinelAddr describes a Sentinel setup without its credentials.
func sentinelAddr(opt *redis.FailoverOptions) string {
	tlsNote := ""
	if opt.TLSConfig != nil {
		tlsNote = " over TLS"
	}
	return fmt.Sprintf("master %q (database %d) through the Sentinels %s%s", opt.MasterName, opt.DB, strings.Join(opt.SentinelAddrs, ","), tlsNote)
}

// sentinelProblem explains why the master could not be reached through the
// Sentinels: it asks each one, briefly, where the master is. The failover
// client itself only reports that its time ran out.
func sentinelProblem(ctx context.Context, cfg Config, pingErr error) error {
	opt, err := failoverOptions(cfg)
	if err != nil {
		return err
	}
	var answers []string
	for _, addr := range opt.SentinelAddrs {
		sc := redis.NewSentinelClient(&redis.Options{Addr: addr, TLSConfig: opt.TLSConfig, MaxRetries: -1,
			DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
		master, err := sc.GetMasterAddrByName(ctx, opt.MasterName).Result()
		sc.Close()
		switch {
		case errors.Is(err, redis.Nil):
			answers = append(answers, fmt.Sprintf("Sentinel %s does not monitor a master named %q", addr, opt.MasterName))
		case err != nil:
			answers = append(answers, fmt.Sprintf("Sentinel %s: %v", addr, err))
		case len(master) == 2:
			answers = append(answers, fmt.Sprintf("Sentinel %s names the master %s", addr, net.JoinHostPort(master[0], master[1])))
		}
	}
	return fmt.Errorf("%w; %s", pingErr, strings.Join(answers, "; "))
}
