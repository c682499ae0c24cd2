package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// lockBackend is a Redis plus a way to let time pass for its TTLs.
type lockBackend struct {
	rdb    redis.UniversalClient
	prefix string
	// expire lets ttl pass; then, until deadline, it reports whether ok()
	// has become true.
	expire func(t *testing.T, ttl time.Duration, ok func() bool) bool
}

// lockBackendList are the Redis servers the lock tests run against.
var lockBackendList = []struct {
	name string
	new  func(t *testing.T) lockBackend
}{
	{"redis", func(t *testing.T) lockBackend {
		rdb, prefix := redistest.Client(t)
		return lockBackend{rdb, prefix, waitExpiry}
	}},
	{"cluster", func(t *testing.T) lockBackend {
		rdb, prefix := clusterBackend(t)
		return lockBackend{rdb, prefix, waitExpiry}
	}},
	{"miniredis", func(t *testing.T) lockBackend {
		rdb, m := redistest.EmbeddedServer(t)
		return lockBackend{rdb, redistest.Prefix(t), func(t *testing.T, ttl time.Duration, ok func() bool) bool {
			m.FastForward(ttl)
			return ok()
		}}
	}},
}

func lockBackends(t *testing.T, f func(t *testing.T, b lockBackend)) {
	for _, lb := range lockBackendList {
		t.Run(lb.name, func(t *testing.T) { f(t, lb.new(t)) })
	}
}

func TestLockerContract(t *testing.T) {
	for _, lb := range lockBackendList {
		t.Run(lb.name, func(t *testing.T) {
			storetest.RunLocker(t, func(t *testing.T) storetest.Lockers {
				b := lb.new(t)
				return storetest.Lockers{
					Locker:  redisstore.NewLocker(b.rdb, b.prefix),
					Other:   redisstore.NewLocker(b.rdb, b.prefix),
					NotHeld: redisstore.ErrNotHeld,
					Expire:  b.expire,
				}
			})
		})
	}
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

// waitExpiry is lockBackend.expire on a real server: its clock runs.
func waitExpiry(t *testing.T, ttl time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(ttl + 2*time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
