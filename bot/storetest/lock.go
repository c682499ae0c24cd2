package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Lockers is what the contract of bot.Locker runs on: two lockers over one
// storage (two replicas), the error the implementation gives for a lock it
// no longer holds, and a way to let time pass for the TTLs.
type Lockers struct {
	Locker, Other bot.Locker
	// NotHeld is the error (errors.Is) of Refresh and Release on a lock
	// that expired or was released.
	NotHeld error
	// Expire lets ttl pass; then it reports whether ok() has become true
	// (an implementation on the real clock polls ok until a deadline).
	Expire func(t *testing.T, ttl time.Duration, ok func() bool) bool
}

// RunLocker runs the contract of bot.Locker: a held key is ErrLocked for
// every locker until it is released or its TTL passes, other keys are
// free, and a holder that lost its lock cannot refresh it nor free the new
// holder's. newLockers is called once per subtest.
func RunLocker(t *testing.T, newLockers func(t *testing.T) Lockers) {
	t.Run("Exclusive", func(t *testing.T) {
		ctx := context.Background()
		b := newLockers(t)
		l := b.Locker
		first, err := l.Obtain(ctx, "req:r1", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Obtain(ctx, "req:r1", time.Minute); !errors.Is(err, bot.ErrLocked) {
			t.Fatalf("second Obtain: err = %v, want ErrLocked", err)
		}
		// Another Locker (another replica) on the same Redis is refused too.
		if _, err := b.Other.Obtain(ctx, "req:r1", time.Minute); !errors.Is(err, bot.ErrLocked) {
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
		if err := first.Release(ctx); !errors.Is(err, b.NotHeld) {
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

	t.Run("TTLExpiry", func(t *testing.T) {
		ctx := context.Background()
		b := newLockers(t)
		l := b.Locker
		const ttl = 200 * time.Millisecond
		held, err := l.Obtain(ctx, "req:r1", ttl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Obtain(ctx, "req:r1", ttl); !errors.Is(err, bot.ErrLocked) {
			t.Fatalf("Obtain before the TTL: err = %v, want ErrLocked", err)
		}
		var next bot.Lock
		if !b.Expire(t, ttl, func() bool {
			next, err = l.Obtain(ctx, "req:r1", time.Minute)
			return err == nil
		}) {
			t.Fatalf("lock not obtainable after its TTL: %v", err)
		}
		if err := held.Refresh(ctx, time.Minute); !errors.Is(err, b.NotHeld) {
			t.Errorf("Refresh of an expired lock: err = %v, want ErrNotHeld", err)
		}
		if err := held.Release(ctx); !errors.Is(err, b.NotHeld) {
			t.Errorf("Release of an expired lock: err = %v, want ErrNotHeld", err)
		}
		if err := next.Release(ctx); err != nil {
			t.Errorf("the new holder's lock was disturbed: %v", err)
		}
	})
}
