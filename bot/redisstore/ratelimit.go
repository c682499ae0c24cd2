package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrEmptyKey: a RateLimiter was asked about the empty key.
var ErrEmptyKey = errors.New("rate limit: empty key")

// RateLimiter lets at most limit calls per key through in each window, across
// replicas: a fixed window per key, counted in Redis at {prefix}rate:{key}.
// The first call of a window creates the counter with the window as its
// TTL, so a key nobody uses any more is gone after one window. It is one
// key per call (one Lua script), so it fits Redis Cluster as it is.
type RateLimiter struct {
	rdb    redis.UniversalClient
	prefix string
	limit  int
	window time.Duration
}

// NewRateLimiter returns a RateLimiter keeping its keys at
// {prefix}rate:{key}. It panics when limit is below 1 or window below a
// millisecond (Redis's resolution): such a limiter could only refuse
// everything.
func NewRateLimiter(rdb redis.UniversalClient, prefix string, limit int, window time.Duration) *RateLimiter {
	if limit < 1 {
		panic(fmt.Sprintf("redisstore.NewRateLimiter: limit %d is below 1", limit))
	}
	if window < time.Millisecond {
		panic(fmt.Sprintf("redisstore.NewRateLimiter: window %v is below 1ms", window))
	}
	return &RateLimiter{rdb: rdb, prefix: prefix, limit: limit, window: window}
}

// rateScript counts a call in KEYS[1] and answers {count, ms left in the
// window}. The first call of a window sets the TTL (ARGV[1], ms); a counter
// found without one (left by an older writer, or by PERSIST) gets it too,
// so that no counter stays for ever.
var rateScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// Allow counts a call for key (a Slack user id, say) and reports whether
// it is within the limit of the current window. When it is not,
// retryAfter is how long until the window ends, in (0, window]; when it
// is, retryAfter is 0. Of callers racing on one key, at most limit get ok
// in one window.
func (l *RateLimiter) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	if key == "" {
		return false, 0, ErrEmptyKey
	}
	res, err := rateScript.Run(ctx, l.rdb, []string{l.prefix + "rate:" + key}, l.window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("rate limit %s: unexpected answer %v", key, res)
	}
	if res[0] <= int64(l.limit) {
		return true, 0, nil
	}
	retryAfter = min(max(time.Duration(res[1])*time.Millisecond, time.Millisecond), l.window)
	return false, retryAfter, nil
}
