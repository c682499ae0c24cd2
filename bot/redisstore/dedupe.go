package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultDedupeTTL is how long a Deduper remembers an id when NewDeduper is
// given no TTL: longer than Slack retries a Socket Mode envelope.
const DefaultDedupeTTL = 10 * time.Minute

// Deduper remembers ids for a while, so that a delivery seen twice (a
// Socket Mode envelope retried by Slack, or sent to two connections) is
// acted upon once, across replicas. It keeps {prefix}seen:{id} with SET NX
// and a TTL; nothing else.
type Deduper struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewDeduper returns a Deduper keeping its keys at {prefix}seen:{id} for
// ttl (DefaultDedupeTTL when ttl <= 0).
func NewDeduper(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Deduper {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	return &Deduper{rdb: rdb, prefix: prefix, ttl: ttl}
}

// Seen records id and reports whether it had been recorded before (within
// the TTL): false the first time, true after. Of callers racing on one id,
// exactly one gets false.
func (d *Deduper) Seen(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, errors.New("dedupe: empty id")
	}
	set, err := d.rdb.SetNX(ctx, d.prefix+"seen:"+id, 1, d.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("dedupe %s: %w", id, err)
	}
	return !set, nil
}
