package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bsm/redislock"
	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// ErrNotHeld: a lock was refreshed or released after it expired or was
// taken by another.
var ErrNotHeld = errors.New("lock no longer held")

// Locker implements bot.Locker with github.com/bsm/redislock: a key set
// with NX and a TTL to a random token, refreshed and released only by the
// holder of that token. It never waits: a held lock is ErrLocked at once.
type Locker struct {
	client *redislock.Client
	prefix string
}

var _ bot.Locker = (*Locker)(nil)

// NewLocker returns a Locker keeping its keys at {prefix}lock:{key}.
func NewLocker(rdb redis.UniversalClient, prefix string) *Locker {
	return &Locker{client: redislock.New(rdb), prefix: prefix}
}

// Obtain takes the lock key for ttl; bot.ErrLocked (wrapped) when another
// holds it.
func (l *Locker) Obtain(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	lk, err := l.client.Obtain(ctx, l.prefix+"lock:"+key, ttl, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return nil, fmt.Errorf("lock %s: %w", key, bot.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	return &lock{lk: lk, name: key}, nil
}

// lock is a held redislock.Lock.
type lock struct {
	lk   *redislock.Lock
	name string
}

// Refresh extends the lock to ttl from now; ErrNotHeld when it was lost.
func (l *lock) Refresh(ctx context.Context, ttl time.Duration) error {
	err := l.lk.Refresh(ctx, ttl, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return fmt.Errorf("refresh lock %s: %w", l.name, ErrNotHeld)
	}
	if err != nil {
		return fmt.Errorf("refresh lock %s: %w", l.name, err)
	}
	return nil
}

// Release frees the lock; ErrNotHeld when it had already expired or been
// taken by another (their lock is left alone).
func (l *lock) Release(ctx context.Context) error {
	err := l.lk.Release(ctx)
	if errors.Is(err, redislock.ErrLockNotHeld) {
		return fmt.Errorf("release lock %s: %w", l.name, ErrNotHeld)
	}
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.name, err)
	}
	return nil
}
