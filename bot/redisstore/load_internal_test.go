package redisstore

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Load writes rs as Create would, with the same keys, indexes and audit
// entries, but pipelined without the transaction's checks: to fill a
// store with a large history fast (BenchmarkHistory).
func (s *Store) Load(ctx context.Context, rs []*bot.Request) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range rs {
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			p.Set(ctx, s.reqKey(r.ID), data, 0)
			if !r.State.Terminal() {
				p.Set(ctx, s.activeKey(r.Op.Mailbox), r.ID, 0)
			}
			s.trackInFlight(ctx, p, r)
			s.index(ctx, p, nil, r)
			s.audit(ctx, p, r, r.History)
		}
		return nil
	})
	return err
}
