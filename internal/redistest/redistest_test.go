package redistest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClientCleansOnlyItsPrefix(t *testing.T) {
	ctx := context.Background()
	other, otherPrefix := Client(t) // cleaned at the end of this test
	outside := otherPrefix + "outside"
	var inside, prefix string
	t.Run("writer", func(t *testing.T) {
		rdb, p := Client(t)
		prefix, inside = p, p+"k"
		if !strings.HasPrefix(p, "mbbtest:") || !strings.HasSuffix(p, ":") {
			t.Fatalf("prefix %q: want mbbtest:<random>:", p)
		}
		if err := rdb.Set(ctx, inside, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, outside, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if prefix == otherPrefix {
		t.Fatalf("two calls gave the same prefix %q", prefix)
	}
	if IsEmbedded(t, other) {
		t.Skip("embedded fallback: each Client has its own server, nothing shared to check")
	}
	if n, err := other.Exists(ctx, inside).Result(); err != nil || n != 0 {
		t.Errorf("key %s under the finished test's prefix: exists=%d err=%v, want deleted", inside, n, err)
	}
	if n, err := other.Exists(ctx, outside).Result(); err != nil || n != 1 {
		t.Errorf("key %s outside the finished test's prefix: exists=%d err=%v, want kept", outside, n, err)
	}
}

func TestEmbeddedFallbackFollowsWallClock(t *testing.T) {
	ctx := context.Background()
	rdb, _ := embedded(t, true)
	if !IsEmbedded(t, rdb) {
		t.Fatal("IsEmbedded = false for miniredis")
	}
	if err := rdb.Set(ctx, "k", "v", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		n, err := rdb.Exists(ctx, "k").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("key with a 50ms TTL still there after 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEmbeddedExpiresOnlyOnFastForward(t *testing.T) {
	ctx := context.Background()
	rdb, m := EmbeddedServer(t)
	if err := rdb.Set(ctx, "k", "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	m.FastForward(999 * time.Millisecond)
	if n, _ := rdb.Exists(ctx, "k").Result(); n != 1 {
		t.Fatal("key expired before its TTL")
	}
	m.FastForward(time.Millisecond)
	if n, _ := rdb.Exists(ctx, "k").Result(); n != 0 {
		t.Fatal("key not expired after its TTL")
	}
}

// fakeT records Fatalf and Logf and stops the goroutine on Fatalf, like
// testing.T; everything else goes to the real test.
type fakeT struct {
	testing.TB
	fatal, logs []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.fatal = append(f.fatal, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

// callPick runs pick as a test body would, in its own goroutine so that a
// Fatalf ends only it.
func callPick(t *testing.T, env map[string]string, localAddr string) (*fakeT, *redis.Client) {
	f := &fakeT{TB: t}
	var rdb *redis.Client
	done := make(chan struct{})
	go func() {
		defer close(done)
		rdb, _ = pick(f, func(k string) string { return env[k] }, localAddr)
	}()
	<-done
	return f, rdb
}

func TestPickFallsBackLoudly(t *testing.T) {
	const nobody = "127.0.0.1:1" // nothing listens on port 1
	f, rdb := callPick(t, nil, nobody)
	if len(f.fatal) > 0 || rdb == nil {
		t.Fatalf("fallback failed: %v", f.fatal)
	}
	if !IsEmbedded(t, rdb) {
		t.Error("fallback client is not miniredis")
	}
	if len(f.logs) != 1 || !strings.Contains(f.logs[0], "miniredis") {
		t.Errorf("fallback logged %q, want a line naming miniredis", f.logs)
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Error(err)
	}

	f, rdb = callPick(t, map[string]string{EnvRequire: "1"}, nobody)
	if len(f.fatal) != 1 || !strings.Contains(f.fatal[0], EnvRequire) || rdb != nil {
		t.Errorf("with %s=1 and no Redis: fatal %q, client %v; want a failure naming the variable", EnvRequire, f.fatal, rdb)
	}

	f, _ = callPick(t, map[string]string{EnvURL: "redis://" + nobody + "/0"}, nobody)
	if len(f.fatal) != 1 || !strings.Contains(f.fatal[0], EnvURL) {
		t.Errorf("with an unreachable %s: fatal %q, want a failure", EnvURL, f.fatal)
	}
}
