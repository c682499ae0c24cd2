package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// lockBackend is a Redis plus a way to let time pass for its TTLs.
type lockBackend struct {
	rdb    *redis.Client
	prefix string
	// expire lets ttl pass; then, until deadline, it reports whether ok()
	// has become true.
	expire func(t *testing.T, ttl time.Duration, ok func() bool) bool
}

func lockBackends(t *testing.T, f func(t *testing.T, b lockBackend)) {
	t.Run("redis", func(t *testing.T) {
		rdb, prefix := redistest.Client(t)
		f(t, lockBackend{rdb, prefix, func(t *testing.T, ttl time.Duration, ok func() bool) bool {
			deadline := time.Now().Add(ttl + 2*time.Second)
			for !ok() {
				if time.Now().After(deadline) {
					return false
				}
				time.Sleep(10 * time.Millisecond)
			}
			return true
		}})
	})
	t.Run("miniredis", func(t *testing.T) {
		rdb, m := redistest.EmbeddedServer(t)
		f(t, lockBackend{rdb, redistest.Prefix(t), func(t *testing.T, ttl time.Duration, ok func() bool) bool {
			m.FastForward(ttl)
			return ok()
		}})
	})
}

func TestLockerExclusive(t *testing.T) {
	ctx := context.Background()
	lockBackends(t, func(t *testing.T, b lockBackend) {
		l := redisstore.NewLocker(b.rdb, b.prefix)
		first, err := l.Obtain(ctx, "req:r1", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Obtain(ctx, "req:r1", time.Minute); !errors.Is(err, bot.ErrLocked) {
			t.Fatalf("second Obtain: err = %v, want ErrLocked", err)
		}
		// Another Locker (another replica) on the same Redis is refused too.
		if _, err := redisstore.NewLocker(b.rdb, b.prefix).Obtain(ctx, "req:r1", time.Minute); !errors.Is(err, bot.ErrLocked) {
			t.Fatalf("Obtain from another locker: err = %v, want ErrLocked", err)
		}
		other, err := l.Obtain(ctx, "req:r2", time.Minute)
		if err != nil {
			t.Fatalf("another key: %v", err)
		}
		if err := first.Refresh(ctx, time.Minute); err != nil {
			t.Errorf("Refresh of a held lock: %v", err)
		}
		if err := first.Release(ctx); err != nil {
			t.Fatal(err)
		}
		again, err := l.Obtain(ctx, "req:r1", time.Minute)
		if err != nil {
			t.Fatalf("Obtain after Release: %v", err)
		}
		if err := first.Release(ctx); !errors.Is(err, redisstore.ErrNotHeld) {
			t.Errorf("second Release: err = %v, want ErrNotHeld", err)
		}
		if _, err := l.Obtain(ctx, "req:r1", time.Minute); !errors.Is(err, bot.ErrLocked) {
			t.Errorf("the stale holder's Release freed the new holder's lock: err = %v", err)
		}
		for _, lk := range []bot.Lock{again, other} {
			if err := lk.Release(ctx); err != nil {
				t.Error(err)
			}
		}
	})
}

func TestLockerTTLExpiry(t *testing.T) {
	ctx := context.Background()
	lockBackends(t, func(t *testing.T, b lockBackend) {
		l := redisstore.NewLocker(b.rdb, b.prefix)
		const ttl = 200 * time.Millisecond
		held, err := l.Obtain(ctx, "req:r1", ttl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Obtain(ctx, "req:r1", ttl); !errors.Is(err, bot.ErrLocked) {
			t.Fatalf("Obtain before the TTL: err = %v, want ErrLocked", err)
		}
		var next bot.Lock
		if !b.expire(t, ttl, func() bool {
			next, err = l.Obtain(ctx, "req:r1", time.Minute)
			return err == nil
		}) {
			t.Fatalf("lock not obtainable after its TTL: %v", err)
		}
		if err := held.Refresh(ctx, time.Minute); !errors.Is(err, redisstore.ErrNotHeld) {
			t.Errorf("Refresh of an expired lock: err = %v, want ErrNotHeld", err)
		}
		if err := held.Release(ctx); !errors.Is(err, redisstore.ErrNotHeld) {
			t.Errorf("Release of an expired lock: err = %v, want ErrNotHeld", err)
		}
		if err := next.Release(ctx); err != nil {
			t.Errorf("the new holder's lock was disturbed: %v", err)
		}
	})
}

func TestLockRefreshExtends(t *testing.T) {
	ctx := context.Background()
	lockBackends(t, func(t *testing.T, b lockBackend) {
		l := redisstore.NewLocker(b.rdb, b.prefix)
		held, err := l.Obtain(ctx, "req:r1", 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if err := held.Refresh(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		pttl, err := b.rdb.PTTL(ctx, b.prefix+"lock:req:r1").Result()
		if err != nil {
			t.Fatal(err)
		}
		if pttl < 50*time.Second || pttl > time.Minute {
			t.Errorf("TTL after Refresh(1m) = %v", pttl)
		}
		if err := held.Release(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
