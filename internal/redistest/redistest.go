// Package redistest gives tests a Redis to talk to, and cleans up after them.
//
// Client picks, in order: the server at REDIS_URL when that variable is set
// (it must answer); else 127.0.0.1:6379 when it answers PING within about
// 300 ms; else an in-process miniredis, with a t.Log saying so. When
// MAILBOXBOT_REQUIRE_REDIS=1 a missing real Redis fails the test instead, so
// CI cannot pass on the embedded fallback by accident.
//
// Every call returns a fresh key prefix ("mbbtest:<random>:") and registers a
// cleanup that deletes only the keys under that prefix, then closes the
// client. Keys a test writes outside its prefix (asynq's "asynq:{queue}:..."
// keys, for example) are the test's own business.
//
// Embedded always gives a miniredis-backed client, so that a contract suite
// can run against both a real server and the embedded one. miniredis only
// expires keys when told to: EmbeddedServer returns the server too, for
// FastForward. The fallback of Client instead advances miniredis' clock with
// the wall clock, so code that waits for a TTL behaves as on a real server.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Environment variables read by Client.
const (
	// EnvURL names the Redis server to use (redis://host:port/db).
	EnvURL = "REDIS_URL"
	// EnvRequire, set to "1", makes a missing real Redis fail the test.
	EnvRequire = "MAILBOXBOT_REQUIRE_REDIS"
)

// LocalAddr is where Client looks for a Redis when REDIS_URL is not set.
const LocalAddr = "127.0.0.1:6379"

// probeTimeout bounds the PING that decides whether a local Redis runs.
const probeTimeout = 300 * time.Millisecond

// Client returns a client for the Redis chosen as the package comment says,
// and a fresh unique key prefix. Cleanup deletes the keys under the prefix
// and closes the client.
func Client(t testing.TB) (rdb *redis.Client, prefix string) {
	t.Helper()
	return pick(t, os.Getenv, LocalAddr)
}

// pick is Client with its environment and local address as arguments.
func pick(t testing.TB, getenv func(string) string, localAddr string) (rdb *redis.Client, prefix string) {
	t.Helper()
	prefix = Prefix(t)
	if url := getenv(EnvURL); url != "" {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("redistest: %s: %v", EnvURL, err)
		}
		rdb = redis.NewClient(opt)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			rdb.Close()
			t.Fatalf("redistest: %s=%s does not answer PING: %v", EnvURL, opt.Addr, err)
		}
	} else if local := probe(localAddr); local != nil {
		rdb = local
	} else {
		if getenv(EnvRequire) == "1" {
			t.Fatalf("redistest: no Redis at %s and %s unset, and %s=1 forbids the embedded fallback", localAddr, EnvURL, EnvRequire)
		}
		t.Logf("redistest: no Redis at %s and %s unset: using an in-process miniredis (set %s=1 to require a real server)", localAddr, EnvURL, EnvRequire)
		rdb, _ = embedded(t, true)
		return rdb, prefix
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, rdb, prefix); err != nil {
			t.Errorf("redistest: clean up %s*: %v", prefix, err)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// Embedded returns a client for a fresh in-process miniredis, closed at the
// end of the test. Its keys expire only on FastForward (see EmbeddedServer).
func Embedded(t testing.TB) *redis.Client {
	t.Helper()
	rdb, _ := embedded(t, false)
	return rdb
}

// EmbeddedServer is Embedded, also returning the server for FastForward.
func EmbeddedServer(t testing.TB) (*redis.Client, *miniredis.Miniredis) {
	t.Helper()
	return embedded(t, false)
}

// IsEmbedded reports whether rdb talks to the in-process fallback of Client
// or to Embedded (it asks the server: miniredis has no INFO server section).
func IsEmbedded(t testing.TB, rdb *redis.Client) bool {
	t.Helper()
	s, err := rdb.Info(context.Background(), "server").Result()
	if err != nil {
		return true // miniredis does not know INFO
	}
	return !strings.Contains(s, "redis_version:") // a real server names its version here
}

// Prefix returns a fresh key prefix "mbbtest:<random>:".
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("redistest: random prefix: %v", err)
	}
	return "mbbtest:" + hex.EncodeToString(b) + ":"
}

// DeletePrefix deletes every key that starts with prefix (SCAN MATCH, so it
// does not block the server). The prefix is used as a glob: it must not
// contain *, ?, [ or \. On a cluster it does so on every master.
func DeletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	if c, ok := rdb.(*redis.ClusterClient); ok {
		return deleteClusterPrefix(ctx, c, prefix)
	}
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 500).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// probe returns a client for addr when it answers PING in time, else nil.
func probe(addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr:         addr,
		DialTimeout:  probeTimeout,
		ReadTimeout:  probeTimeout,
		WriteTimeout: probeTimeout,
		MaxRetries:   -1,
	})
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	err := rdb.Ping(ctx).Err()
	rdb.Close()
	if err != nil {
		return nil
	}
	return redis.NewClient(&redis.Options{Addr: addr})
}

// embedded starts a miniredis for the test. With realTime its clock follows
// the wall clock, so TTLs expire as on a real server.
func embedded(t testing.TB, realTime bool) (*redis.Client, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		t.Fatalf("redistest: start miniredis: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	stop := make(chan struct{})
	done := make(chan struct{})
	if realTime {
		go func() {
			defer close(done)
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			last := time.Now()
			for {
				select {
				case <-stop:
					return
				case now := <-tick.C:
					m.SetTime(now)
					m.FastForward(now.Sub(last))
					last = now
				}
			}
		}()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		close(stop)
		<-done
		rdb.Close()
		m.Close()
	})
	return rdb, m
}

// Keys returns the keys matching pattern, on every master of a cluster.
func Keys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return rdb.Keys(ctx, pattern).Result()
	}
	var mu sync.Mutex
	var all []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, pattern).Result()
		mu.Lock()
		all = append(all, keys...)
		mu.Unlock()
		return err
	})
	return all, err
}
