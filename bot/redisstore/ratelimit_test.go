package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// allow calls l.Allow and fails the test on an error.
func allow(t *testing.T, l *redisstore.RateLimiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return ok, retry
}

// TestRateLimiterWindow: limit calls pass, the next is refused with the
// time left in the window, and once the window is over calls pass again.
// Each key has its own count, kept under the prefix with a TTL.
func TestRateLimiterWindow(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const limit, window = 3, time.Second // long enough for a loaded machine to make four calls in it
	l := redisstore.NewRateLimiter(rdb, prefix, limit, window)

	for i := range limit {
		if ok, retry := allow(t, l, "U0RITA"); !ok || retry != 0 {
			t.Fatalf("call %d of %d: Allow = %v, %v; want true, 0", i+1, limit, ok, retry)
		}
	}
	ok, retry := allow(t, l, "U0RITA")
	if ok || retry <= 0 || retry > window {
		t.Fatalf("call over the limit: Allow = %v, %v; want false and a wait in (0, %v]", ok, retry, window)
	}
	if ok, _ := allow(t, l, "U0MARIA"); !ok {
		t.Fatal("another key is refused: keys must be counted apart")
	}

	ttl, err := rdb.PTTL(context.Background(), prefix+"rate:U0RITA").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > window {
		t.Fatalf("PTTL of %srate:U0RITA = %v, want in (0, %v]: the counter must expire with its window", prefix, ttl, window)
	}

	time.Sleep(retry + 20*time.Millisecond) // at most the window
	for i := range limit {
		if ok, retry := allow(t, l, "U0RITA"); !ok {
			t.Fatalf("new window, call %d: refused (retry after %v)", i+1, retry)
		}
	}
	if ok, _ := allow(t, l, "U0RITA"); ok {
		t.Fatal("new window: a call over the limit passed")
	}
}

// TestRateLimiterEmbedded runs the window on the embedded Redis, whose
// clock the test moves: nothing waits.
func TestRateLimiterEmbedded(t *testing.T) {
	rdb, m := redistest.EmbeddedServer(t)
	l := redisstore.NewRateLimiter(rdb, "x:", 1, time.Minute)
	if ok, _ := allow(t, l, "U1"); !ok {
		t.Fatal("first call refused")
	}
	if ok, retry := allow(t, l, "U1"); ok || retry <= 0 || retry > time.Minute {
		t.Fatalf("second call: Allow = %v, %v; want false and a wait in (0, 1m]", ok, retry)
	}
	m.FastForward(time.Minute)
	if ok, _ := allow(t, l, "U1"); !ok {
		t.Fatal("refused after the window")
	}
}

// TestRateLimiterRace: of 50 callers at once, exactly limit get through.
func TestRateLimiterRace(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const limit, callers = 10, 50
	l := redisstore.NewRateLimiter(rdb, prefix, limit, time.Minute)
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		passed atomic.Int64
		errs   = make(chan error, callers)
	)
	for range callers {
		wg.Go(func() {
			<-start
			ok, retry, err := l.Allow(context.Background(), "U0RACE")
			switch {
			case err != nil:
				errs <- err
			case ok:
				passed.Add(1)
			case retry <= 0 || retry > time.Minute:
				errs <- errors.New("refused with a wait of " + retry.String())
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := passed.Load(); n != limit {
		t.Fatalf("%d of %d callers got through in one window, want %d", n, callers, limit)
	}
}

func TestRateLimiterErrors(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1}) // nothing listens on port 1
	t.Cleanup(func() { rdb.Close() })
	l := redisstore.NewRateLimiter(rdb, "x:", 1, time.Second)
	if ok, _, err := l.Allow(context.Background(), "U1"); err == nil || ok {
		t.Fatalf("Allow without a Redis = %v, %v; want an error", ok, err)
	}
	if _, _, err := l.Allow(context.Background(), ""); !errors.Is(err, redisstore.ErrEmptyKey) {
		t.Fatalf("Allow(\"\") = %v, want ErrEmptyKey", err)
	}
	for name, f := range map[string]func(){
		"limit 0":      func() { redisstore.NewRateLimiter(rdb, "x:", 0, time.Second) },
		"window 100µs": func() { redisstore.NewRateLimiter(rdb, "x:", 1, 100*time.Microsecond) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("NewRateLimiter did not panic")
				}
			}()
			f()
		})
	}
}
