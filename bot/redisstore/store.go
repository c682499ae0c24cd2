// Package redisstore keeps the bot's state in Redis: requests (bot.Store),
// short locks (bot.Locker), the durable job queue (bot.Queue, on asynq) and
// the audit log (a Redis stream).
//
// Every write of a request is a WATCH/MULTI transaction: Create claims the
// mailbox and Update compares and sets, retrying a bounded number of times
// when another writer got in between, so two clicks, two replicas or a click
// racing the expiry timer resolve to one winner. The audit entries of a
// change are written in the same transaction as the change.
//
// Keys, under a caller-chosen prefix:
//
//	{prefix}req:{id}          JSON of bot.Request
//	{prefix}active:{mailbox}  id of the request holding the mailbox
//	{prefix}inflight          set of ids of in-flight requests
//	{prefix}tracked           hash: id of each pending or in-flight request
//	                          → "requester kind mailbox", to report one lost
//	{prefix}recent            sorted set of every request id, score CreatedAt
//	{prefix}by-requester:{u}  sorted set of the ids Slack user u asked for
//	{prefix}by-approver:{u}   sorted set of the ids u is an approver of
//	{prefix}open-by-*, finished, indexed  (history.go) what is not finished,
//	                          kept apart from what is; finished requests'
//	                          ids by when they finished, for Sweep
//	{prefix}batch:{id}        JSON of bot.Batch (batch.go)
//	{prefix}audit             stream, one entry per history event
//	{prefix}lock:{key}        locks (Locker)
//
// All functions take a redis.UniversalClient, so a Sentinel (failover) or
// a cluster client fits. On Redis Cluster a transaction must stay in one
// slot: give a prefix with a hash tag (HashTagged, cluster.go).
//
// It stores what it is given; it does not decide transitions (package bot
// does). It removes what it holds only when asked: Sweep removes finished
// requests past their retention, TrimAudit ages the audit stream.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/wait"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Sentinel errors of the package.
var (
	// ErrExists: Create was given an id that is already stored.
	ErrExists = errors.New("request id already exists")
	// ErrContention: a write kept losing to concurrent writers.
	ErrContention = errors.New("too much contention on the request, gave up")
)

// maxAttempts bounds the retries of one Create or Update that keeps losing
// its optimistic transaction.
const maxAttempts = 100

// Store implements bot.Store on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	sleep  func(ctx context.Context, d time.Duration) error
}

var _ bot.Store = (*Store)(nil)

// StoreOptions configures a Store. Zero values take the defaults shown.
type StoreOptions struct {
	// Sleep waits between the attempts of a write that lost to another
	// writer, returning ctx's error when ctx ends first. Default wait.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewStore returns a Store keeping its keys under prefix (for example
// "mailboxbot:"), with the default options.
func NewStore(rdb redis.UniversalClient, prefix string) *Store {
	return NewStoreWith(rdb, prefix, StoreOptions{})
}

// NewStoreWith is NewStore with options.
func NewStoreWith(rdb redis.UniversalClient, prefix string, o StoreOptions) *Store {
	if o.Sleep == nil {
		o.Sleep = wait.Sleep
	}
	return &Store{rdb: rdb, prefix: prefix, sleep: o.Sleep}
}

func (s *Store) reqKey(id string) string { return s.prefix + "req:" + id }
func (s *Store) activeKey(mailbox string) string {
	return s.prefix + "active:" + strings.ToLower(mailbox)
}
func (s *Store) inflightKey() string { return s.prefix + "inflight" }
func (s *Store) trackedKey() string  { return s.prefix + "tracked" }
func (s *Store) auditKey() string    { return s.prefix + "audit" }
func (s *Store) recentKey() string   { return s.prefix + "recent" }
func (s *Store) requesterKey(user string) string {
	return s.prefix + "by-requester:" + user
}
func (s *Store) approverKey(user string) string { return s.prefix + "by-approver:" + user }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Create stores r and claims its mailbox. A mailbox held by a request that
// is not terminal gives an *bot.ActiveError naming it; a claim left by a
// terminal or missing request is taken over. An id already stored gives
// ErrExists. Create sets r.Version to 1 and writes one audit entry per
// event in r.History.
func (s *Store) Create(ctx context.Context, r *bot.Request) error {
	if r.ID == "" {
		return errors.New("create request: empty id")
	}
	if r.Op.Mailbox == "" {
		return fmt.Errorf("create request %s: empty mailbox", r.ID)
	}
	reqKey, activeKey := s.reqKey(r.ID), s.activeKey(r.Op.Mailbox)
	next := r.Clone()
	next.Version = 1
	data, err := json.Marshal(next)
	if err != nil {
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	txf := func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, reqKey).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("create request %s: %w", r.ID, ErrExists)
		}
		other, err := tx.Get(ctx, activeKey).Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return err
		case other != r.ID:
			otherKey := s.reqKey(other)
			if err := tx.Watch(ctx, otherKey).Err(); err != nil {
				return err
			}
			cur, err := s.load(ctx, tx, other)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
			if err == nil && !cur.State.Terminal() {
				return &bot.ActiveError{ID: other}
			}
			// stale claim: taken over below
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, reqKey, data, 0)
			if !next.State.Terminal() {
				p.Set(ctx, activeKey, next.ID, 0)
			}
			s.trackInFlight(ctx, p, next)
			s.index(ctx, p, nil, next)
			s.audit(ctx, p, next, next.History)
			return nil
		})
		return err
	}
	if err := s.retry(ctx, func() error { return s.rdb.Watch(ctx, txf, reqKey, activeKey) }); err != nil {
		var active *bot.ActiveError
		if errors.As(err, &active) || errors.Is(err, ErrExists) {
			return err
		}
		return fmt.Errorf("create request %s: %w", r.ID, err)
	}
	r.Version = next.Version
	return nil
}

// Get returns the request with id; bot.ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id string) (*bot.Request, error) {
	r, err := s.load(ctx, s.rdb, id)
	if err != nil {
		return nil, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// fnError carries the error of an Update's fn out of the transaction.
type fnError struct{ err error }

func (e *fnError) Error() string { return e.err.Error() }

// Update applies fn to a copy of the current request and writes the result
// if nobody wrote the request in between; otherwise it reads again and calls
// fn again, so fn must only change the request it is given. When fn returns
// an error nothing is written and Update returns the current request with
// that error. Otherwise Update bumps Version, releases the mailbox when the
// new state is terminal, keeps the in-flight set and appends the events fn
// added to History to the audit log, in one transaction.
func (s *Store) Update(ctx context.Context, id string, fn func(*bot.Request) error) (*bot.Request, error) {
	reqKey := s.reqKey(id)
	var out *bot.Request
	txf := func(tx *redis.Tx) error {
		out = nil
		cur, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		next := cur.Clone()
		if err := fn(next); err != nil {
			out = cur
			return &fnError{err}
		}
		next.ID = cur.ID
		next.Version = cur.Version + 1
		var added []bot.Event
		if len(next.History) > len(cur.History) {
			added = next.History[len(cur.History):]
		}
		data, err := json.Marshal(next)
		if err != nil {
			return err
		}
		release := ""
		if next.State.Terminal() {
			activeKey, holder, err := s.watchActive(ctx, tx, cur.Op.Mailbox)
			if err != nil {
				return err
			}
			if holder == id {
				release = activeKey
			}
		}
		claim := ""
		if cur.State.Terminal() && !next.State.Terminal() {
			// Out of a terminal state (a failed request retried): the
			// mailbox must be claimed again, unless another request has it.
			activeKey, holder, err := s.watchActive(ctx, tx, cur.Op.Mailbox)
			if err != nil {
				return err
			}
			if holder != "" && holder != id {
				other, err := s.load(ctx, tx, holder)
				if err == nil && !other.State.Terminal() {
					out = cur
					return &fnError{&bot.ActiveError{ID: holder}}
				}
			}
			claim = activeKey
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, reqKey, data, 0)
			if release != "" {
				p.Del(ctx, release)
			}
			if claim != "" {
				p.Set(ctx, claim, id, 0)
			}
			s.trackInFlight(ctx, p, next)
			s.index(ctx, p, cur, next)
			s.audit(ctx, p, next, added)
			return nil
		})
		if err == nil {
			out = next
		}
		return err
	}
	err := s.retry(ctx, func() error { return s.rdb.Watch(ctx, txf, reqKey) })
	if fe, ok := errors.AsType[*fnError](err); ok {
		return out, fe.err
	}
	if err != nil {
		return nil, fmt.Errorf("update request %s: %w", id, err)
	}
	return out, nil
}

// InFlight lists the ids of the requests whose state is in flight, sorted.
func (s *Store) InFlight(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.inflightKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list in-flight requests: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// Tracked lists the pending and in-flight requests as kept beside their
// ids, sorted by id; an in-flight id tracked before the record was kept
// comes without requester and mailbox.
func (s *Store) Tracked(ctx context.Context) ([]bot.Tracked, error) {
	var h *redis.MapStringStringCmd
	var m *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, s.trackedKey())
		m = p.SMembers(ctx, s.inflightKey())
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list tracked requests: %w", err)
	}
	all, inflight := h.Val(), m.Val()
	out := make([]bot.Tracked, 0, len(all))
	for id, v := range all {
		requester, rest, _ := strings.Cut(v, " ")
		kind, mbx, _ := strings.Cut(rest, " ")
		out = append(out, bot.Tracked{ID: id, Requester: requester, Kind: mailbox.Kind(kind), Mailbox: mbx})
	}
	for _, id := range inflight {
		if _, ok := all[id]; !ok {
			out = append(out, bot.Tracked{ID: id})
		}
	}
	slices.SortFunc(out, func(a, b bot.Tracked) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Forget removes id from the in-flight set and the tracked hash; false
// when it was in neither.
func (s *Store) Forget(ctx context.Context, id string) (bool, error) {
	var n1, n2 *redis.IntCmd
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n1 = p.HDel(ctx, s.trackedKey(), id)
		n2 = p.SRem(ctx, s.inflightKey(), id)
		return nil
	}); err != nil {
		return false, fmt.Errorf("forget request %s: %w", id, err)
	}
	return n1.Val()+n2.Val() > 0, nil
}

// load reads and decodes one request; bot.ErrNotFound when missing.
func (s *Store) load(ctx context.Context, c redis.Cmdable, id string) (*bot.Request, error) {
	data, err := c.Get(ctx, s.reqKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, bot.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var r bot.Request
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode request %s: %w", id, err)
	}
	return &r, nil
}

func (s *Store) trackInFlight(ctx context.Context, p redis.Pipeliner, r *bot.Request) {
	if r.State.InFlight() {
		p.SAdd(ctx, s.inflightKey(), r.ID)
	} else {
		p.SRem(ctx, s.inflightKey(), r.ID)
	}
	if r.State.InFlight() || r.State == bot.StatePending {
		p.HSet(ctx, s.trackedKey(), r.ID, r.Requester+" "+string(r.Op.Kind)+" "+r.Op.Mailbox)
	} else {
		p.HDel(ctx, s.trackedKey(), r.ID)
	}
}

// index queues on p the writes that keep the List indexes in step with
// next: its id in the recent set and in the sets of its requester and its
// approvers, out of the sets of a requester or approvers cur had and next
// no longer has. cur is nil on Create.
func (s *Store) index(ctx context.Context, p redis.Pipeliner, cur, next *bot.Request) {
	z := redis.Z{Score: listScore(next.CreatedAt), Member: next.ID}
	p.ZAdd(ctx, s.recentKey(), z)
	if next.Requester != "" {
		p.ZAdd(ctx, s.requesterKey(next.Requester), z)
	}
	for _, a := range next.Approvers {
		if a != "" {
			p.ZAdd(ctx, s.approverKey(a), z)
		}
	}
	s.indexOpen(ctx, p, cur, next)
	if cur == nil {
		return
	}
	if cur.Requester != "" && cur.Requester != next.Requester {
		p.ZRem(ctx, s.requesterKey(cur.Requester), next.ID)
		p.ZRem(ctx, s.openRequesterKey(cur.Requester), next.ID)
	}
	for _, a := range cur.Approvers {
		if a != "" && !slices.Contains(next.Approvers, a) {
			p.ZRem(ctx, s.approverKey(a), next.ID)
			p.ZRem(ctx, s.openApproverKey(a), next.ID)
		}
	}
}

// watchActive watches the key naming the request that holds mailbox and
// returns it with that request's id ("" when none).
func (s *Store) watchActive(ctx context.Context, tx *redis.Tx, mailbox string) (key, holder string, err error) {
	key = s.activeKey(mailbox)
	if err := tx.Watch(ctx, key).Err(); err != nil {
		return "", "", err
	}
	holder, err = tx.Get(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", "", err
	}
	return key, holder, nil
}

// retry runs a WATCH transaction until it commits, fails otherwise, or has
// lost maxAttempts times; between attempts it waits a little, with jitter,
// so that contending writers spread out.
func (s *Store) retry(ctx context.Context, tx func() error) error {
	for attempt := range maxAttempts {
		err := tx()
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		// 0.5ms, 1ms, 2ms ... capped at 20ms, times a jitter in [0.5, 1.5).
		d := min(time.Millisecond<<min(attempt, 6)/2, 20*time.Millisecond)
		d = time.Duration(float64(d) * (0.5 + rand.Float64()))
		if err := s.sleep(ctx, d); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w (%d attempts)", ErrContention, maxAttempts)
}
