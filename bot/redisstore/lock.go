package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	rdb    redis.UniversalClient
	prefix string
}

var _ bot.Locker = (*Locker)(nil)

// NewLocker returns a Locker keeping its keys at {prefix}lock:{key}.
func NewLocker(rdb redis.UniversalClient, prefix string) *Locker {
	return &Locker{client: redislock.New(rdb), rdb: rdb, prefix: prefix}
}

// Obtain takes the lock key for ttl; bot.ErrLocked (wrapped) when another
// holds it. A lock taken by a queue's job names the job's lease (see
// resume.go); a lock whose holder's lease is gone is taken over, not
// waited for until its TTL ends: its holder is dead.
func (l *Locker) Obtain(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	var opt *redislock.Options
	if o := owner(ctx); o != "" {
		opt = &redislock.Options{Metadata: ownerMark + o}
	}
	lk, err := l.client.Obtain(ctx, l.prefix+"lock:"+key, ttl, opt)
	if errors.Is(err, redislock.ErrNotObtained) && l.takeOver(ctx, l.prefix+"lock:"+key) {
		lk, err = l.client.Obtain(ctx, l.prefix+"lock:"+key, ttl, opt)
	}
	if errors.Is(err, redislock.ErrNotObtained) {
		return nil, fmt.Errorf("lock %s: %w", key, bot.ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	return &lock{lk: lk, name: key}, nil
}

// ownerMark precedes the lease key of its holder in a lock's value, after
// redislock's token (base64url, which has no space).
const ownerMark = " owner="

// dropIfScript deletes KEYS[1] if it still holds ARGV[1].
var dropIfScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// takeOver deletes the lock at key when its holder's lease is gone, and
// reports whether it did. A lease does not come back once gone (HoldLease
// never takes a token twice), so the check need not be atomic with the
// delete, which only deletes the value read: lock and lease may live in
// different slots of a cluster.
func (l *Locker) takeOver(ctx context.Context, key string) bool {
	v, err := l.rdb.Get(ctx, key).Result()
	if err != nil {
		return false
	}
	_, alive, ok := strings.Cut(v, ownerMark)
	if !ok {
		return false
	}
	if n, err := l.rdb.Exists(ctx, alive).Result(); err != nil || n != 0 {
		return false
	}
	n, err := dropIfScript.Run(ctx, l.rdb, []string{key}, v).Int()
	return err == nil && n == 1
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
