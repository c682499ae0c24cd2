package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

func TestDeduperFirstThenSeen(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	d := redisstore.NewDeduper(rdb, prefix, 0)

	for i, want := range []bool{false, true, true} {
		seen, err := d.Seen(ctx, "env-1")
		if err != nil {
			t.Fatal(err)
		}
		if seen != want {
			t.Fatalf("call %d: Seen = %v, want %v", i+1, seen, want)
		}
	}
	if seen, err := d.Seen(ctx, "env-2"); err != nil || seen {
		t.Fatalf("another id: Seen = %v, %v; want false", seen, err)
	}
	// Another replica on the same Redis and prefix sees it too.
	if seen, err := redisstore.NewDeduper(rdb, prefix, 0).Seen(ctx, "env-1"); err != nil || !seen {
		t.Fatalf("second Deduper: Seen = %v, %v; want true", seen, err)
	}

	key := prefix + "seen:env-1"
	ttl, err := rdb.TTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 9*time.Minute || ttl > redisstore.DefaultDedupeTTL {
		t.Fatalf("TTL of %s = %v, want about %v", key, ttl, redisstore.DefaultDedupeTTL)
	}
	if _, err := d.Seen(ctx, ""); err == nil {
		t.Fatal("Seen(\"\") succeeded, want an error")
	}
}

func TestDeduperForgetsAfterTTL(t *testing.T) {
	ctx := context.Background()
	rdb, m := redistest.EmbeddedServer(t)
	prefix := redistest.Prefix(t)
	d := redisstore.NewDeduper(rdb, prefix, time.Minute)
	if seen, err := d.Seen(ctx, "env-1"); err != nil || seen {
		t.Fatalf("first: Seen = %v, %v", seen, err)
	}
	m.FastForward(59 * time.Second)
	if seen, err := d.Seen(ctx, "env-1"); err != nil || !seen {
		t.Fatalf("within the TTL: Seen = %v, %v; want true", seen, err)
	}
	m.FastForward(2 * time.Second)
	if seen, err := d.Seen(ctx, "env-1"); err != nil || seen {
		t.Fatalf("after the TTL: Seen = %v, %v; want false", seen, err)
	}
}

func TestDeduperRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	d := redisstore.NewDeduper(rdb, prefix, time.Minute)

	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
		first int
		errs  []error
	)
	for range n {
		wg.Go(func() {
			<-start
			seen, err := d.Seen(ctx, "env-race")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if !seen {
				first++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if first != 1 {
		t.Fatalf("%d of %d callers were told the id was new, want exactly 1", first, n)
	}
}

func TestDeduperRedisDown(t *testing.T) {
	// Nothing listens on port 1.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	d := redisstore.NewDeduper(rdb, "x:", 0)
	if _, err := d.Seen(context.Background(), "env-1"); err == nil {
		t.Fatal("Seen without a Redis succeeded, want an error")
	}
}
