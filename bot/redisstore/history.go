package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// History: what is not finished is kept apart from what is, so that the
// Home tab and `list` cost what is open, not what was ever asked (issue
// 17); a finished request is removed once its retention has passed.
//
//	{prefix}open-by-approver:{u}   sorted set (score CreatedAt) of the ids of
//	                               the requests u approves that are not
//	                               finished: pending or in flight
//	{prefix}open-by-requester:{u}  the same for the requests u asked for
//	{prefix}finished               sorted set of the finished requests' ids,
//	                               score bot.FinishedAt in milliseconds
//	{prefix}indexed                "2" once Migrate has indexed the requests
//	                               written before these keys existed
//
// Create and Update keep them in the transaction that writes the state.

func (s *Store) openApproverKey(user string) string  { return s.prefix + "open-by-approver:" + user }
func (s *Store) openRequesterKey(user string) string { return s.prefix + "open-by-requester:" + user }
func (s *Store) finishedKey() string                 { return s.prefix + "finished" }
func (s *Store) indexedKey() string                  { return s.prefix + "indexed" }

// indexVersion is the value of the indexed key once Migrate has run.
const indexVersion = "2"

func finishedScore(t time.Time) float64 { return float64(t.UnixMilli()) }

// indexOpen queues on p the writes that keep next in the open sets of its
// requester and approvers while it is not finished, and in the finished
// index once it is. A requester or approver cur had and next has not
// leaves the open sets in index.
func (s *Store) indexOpen(ctx context.Context, p redis.Pipeliner, cur, next *bot.Request) {
	users := func(r *bot.Request, f func(key string)) {
		if r.Requester != "" {
			f(s.openRequesterKey(r.Requester))
		}
		for _, a := range r.Approvers {
			if a != "" {
				f(s.openApproverKey(a))
			}
		}
	}
	if next.State.Terminal() {
		users(next, func(key string) { p.ZRem(ctx, key, next.ID) })
		p.ZAdd(ctx, s.finishedKey(), redis.Z{Score: finishedScore(bot.FinishedAt(next)), Member: next.ID})
	} else {
		z := redis.Z{Score: listScore(next.CreatedAt), Member: next.ID}
		users(next, func(key string) { p.ZAdd(ctx, key, z) })
		if cur == nil || cur.State.Terminal() {
			p.ZRem(ctx, s.finishedKey(), next.ID)
		}
	}
}

// migratePage is how many requests Migrate reads per round trip.
const migratePage = 500

// Migrate indexes the requests written before the open sets and the
// finished index existed, once: it reads every request of the recent
// index, pages of migratePage, and then marks the store indexed, so that
// later calls cost one GET. Run it at start-up (serve does, before its
// first sweep); calls from several replicas at once are harmless. It
// returns how many requests it indexed.
//
// It writes outside the requests' transactions: a request that changes
// meanwhile may be left in an open set after it finished, or in the
// finished index after a retry. Neither misleads: List checks the state of
// what it reads, and Sweep the state of what it removes.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	v, err := s.rdb.Get(ctx, s.indexedKey()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("migrate indexes: %w", err)
	}
	if v == indexVersion {
		return 0, nil
	}
	n := 0
	for start := int64(0); ; start += migratePage {
		ids, err := s.rdb.ZRange(ctx, s.recentKey(), start, start+migratePage-1).Result()
		if err != nil {
			return n, fmt.Errorf("migrate indexes: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		reqs, err := s.mget(ctx, ids)
		if err != nil {
			return n, fmt.Errorf("migrate indexes: %w", err)
		}
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, r := range reqs {
				s.indexOpen(ctx, p, nil, r)
			}
			return nil
		}); err != nil {
			return n, fmt.Errorf("migrate indexes: %w", err)
		}
		n += len(reqs)
		if len(ids) < migratePage {
			break
		}
	}
	if err := s.rdb.Set(ctx, s.indexedKey(), indexVersion, 0).Err(); err != nil {
		return n, fmt.Errorf("migrate indexes: %w", err)
	}
	return n, nil
}

// mget reads the requests of ids, skipping those that are gone.
func (s *Store) mget(ctx context.Context, ids []string) ([]*bot.Request, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.reqKey(id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]*bot.Request, 0, len(ids))
	for i, v := range vals {
		data, ok := v.(string)
		if !ok {
			continue
		}
		var r bot.Request
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, fmt.Errorf("decode request %s: %w", ids[i], err)
		}
		out = append(out, &r)
	}
	return out, nil
}

// sweepDefault is Sweep's max when 0.
const sweepDefault = 100

// Sweep removes up to max finished requests that finished before before,
// oldest first, with every key that names them: the request, its entries
// in recent, by-requester, by-approver, the open sets and the finished
// index, the mailbox's active claim when it still points to it, and its
// id in its batch (the batch itself once it has no request left). Each
// removal is one WATCH/MULTI transaction that checks the request again: a
// request that is not terminal, or finished later than the index said, is
// kept and its index entry corrected. Its id leaves the tracked hash and
// the in-flight set too, where a finished request should not be; its
// audit entries stay (TrimAudit ages the stream).
func (s *Store) Sweep(ctx context.Context, before time.Time, max int) ([]string, error) {
	if max <= 0 {
		max = sweepDefault
	}
	removed := []string{}
	for len(removed) < max {
		ids, err := s.rdb.ZRangeByScore(ctx, s.finishedKey(), &redis.ZRangeBy{
			Min: "-inf", Max: "(" + strconv.FormatFloat(finishedScore(before), 'f', -1, 64), Count: int64(max - len(removed)),
		}).Result()
		if err != nil {
			return removed, fmt.Errorf("sweep finished requests: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			ok, err := s.remove(ctx, id, before)
			if err != nil {
				return removed, fmt.Errorf("sweep request %s: %w", id, err)
			}
			if ok {
				removed = append(removed, id)
			}
		}
	}
	return removed, nil
}

// remove deletes the request id and its index entries if it finished
// before before; false when it was kept (its finished entry corrected).
func (s *Store) remove(ctx context.Context, id string, before time.Time) (bool, error) {
	reqKey := s.reqKey(id)
	var removed bool
	txf := func(tx *redis.Tx) error {
		removed = false
		r, err := s.load(ctx, tx, id)
		if errors.Is(err, bot.ErrNotFound) {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.ZRem(ctx, s.finishedKey(), id)
				p.ZRem(ctx, s.recentKey(), id)
				return nil
			})
			return err
		}
		if err != nil {
			return err
		}
		if !r.State.Terminal() {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.ZRem(ctx, s.finishedKey(), id); return nil })
			return err
		}
		if fin := bot.FinishedAt(r); !fin.Before(before) {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.ZAdd(ctx, s.finishedKey(), redis.Z{Score: finishedScore(fin), Member: id})
				return nil
			})
			return err
		}
		activeKey, holder, err := s.watchActive(ctx, tx, r.Op.Mailbox)
		if err != nil {
			return err
		}
		var batch *bot.Batch
		if r.Batch != "" {
			if err := tx.Watch(ctx, s.batchKey(r.Batch)).Err(); err != nil {
				return err
			}
			batch, err = s.loadBatch(ctx, tx, r.Batch)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
		}
		var batchData []byte
		if batch != nil {
			batch.RequestIDs = slices.DeleteFunc(batch.RequestIDs, func(x string) bool { return x == id })
			batch.Version++
			if batchData, err = json.Marshal(batch); err != nil {
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Del(ctx, reqKey)
			p.ZRem(ctx, s.recentKey(), id)
			p.ZRem(ctx, s.finishedKey(), id)
			if r.Requester != "" {
				p.ZRem(ctx, s.requesterKey(r.Requester), id)
				p.ZRem(ctx, s.openRequesterKey(r.Requester), id)
			}
			for _, a := range r.Approvers {
				if a != "" {
					p.ZRem(ctx, s.approverKey(a), id)
					p.ZRem(ctx, s.openApproverKey(a), id)
				}
			}
			p.HDel(ctx, s.trackedKey(), id)
			p.SRem(ctx, s.inflightKey(), id)
			if holder == id {
				p.Del(ctx, activeKey)
			}
			switch {
			case batch == nil:
			case len(batch.RequestIDs) == 0:
				p.Del(ctx, s.batchKey(r.Batch))
			default:
				p.Set(ctx, s.batchKey(r.Batch), batchData, 0)
			}
			return nil
		})
		if err == nil {
			removed = true
		}
		return err
	}
	if err := s.retry(ctx, func() error { return s.rdb.Watch(ctx, txf, reqKey) }); err != nil {
		return false, err
	}
	return removed, nil
}

// TrimAudit removes the audit stream's entries written before before
// (XTRIM MINID: a stream entry's id is the time it was written) and
// returns how many. Export what an auditor needs first (`mailboxbot audit
// export`).
func (s *Store) TrimAudit(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.rdb.XTrimMinID(ctx, s.auditKey(), strconv.FormatInt(before.UnixMilli(), 10)).Result()
	if err != nil {
		return 0, fmt.Errorf("trim audit log: %w", err)
	}
	return n, nil
}
