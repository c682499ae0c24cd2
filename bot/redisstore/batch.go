package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Batches of requests (several mailboxes at once) are kept next to the
// requests, as JSON, updated with the same compare-and-set.

var _ bot.BatchStore = (*Store)(nil)

func (s *Store) batchKey(id string) string { return s.prefix + "batch:" + id }

// CreateBatch stores a new batch; ErrExists when the id is taken.
func (s *Store) CreateBatch(ctx context.Context, b *bot.Batch) error {
	b.Version = 1
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.batchKey(b.ID), data, 0).Result()
	if err != nil {
		return fmt.Errorf("create batch %s: %w", b.ID, err)
	}
	if !ok {
		return fmt.Errorf("create batch %s: %w", b.ID, ErrExists)
	}
	return nil
}

// GetBatch returns a batch; bot.ErrNotFound.
func (s *Store) GetBatch(ctx context.Context, id string) (*bot.Batch, error) {
	return s.loadBatch(ctx, s.rdb, id)
}

func (s *Store) loadBatch(ctx context.Context, c redis.Cmdable, id string) (*bot.Batch, error) {
	data, err := c.Get(ctx, s.batchKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("batch %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var b bot.Batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	return &b, nil
}

// UpdateBatch applies fn to the current batch and writes it if nobody
// wrote in between; fn's error writes nothing and is returned with the
// batch as it is.
func (s *Store) UpdateBatch(ctx context.Context, id string, fn func(*bot.Batch) error) (*bot.Batch, error) {
	key := s.batchKey(id)
	var out *bot.Batch
	txf := func(tx *redis.Tx) error {
		cur, err := s.loadBatch(ctx, tx, id)
		if err != nil {
			return err
		}
		out = cur
		next := *cur
		next.Approvals = append([]bot.MessageRef(nil), cur.Approvals...)
		next.Votes = append([]bot.Decision(nil), cur.Votes...)
		next.Approvers = append([]string(nil), cur.Approvers...)
		if err := fn(&next); err != nil {
			return &fnError{err}
		}
		next.Version++
		data, err := json.Marshal(&next)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, key, data, 0); return nil })
		if err == nil {
			out = &next
		}
		return err
	}
	err := s.retry(ctx, func() error { return s.rdb.Watch(ctx, txf, key) })
	if fe, ok := errors.AsType[*fnError](err); ok {
		return out, fe.err
	}
	if err != nil {
		return nil, fmt.Errorf("update batch %s: %w", id, err)
	}
	return out, nil
}
