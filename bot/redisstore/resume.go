package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Resuming the jobs of a process that died.
//
// asynq gives a job's worker a 30-second lease, extended every 5 seconds,
// and its recoverer looks for lapsed leases once a minute, 30 seconds after
// they lapsed: a job whose process was killed waits one to two minutes. None
// of that is configurable (asynq v0.26.0: rdb.LeaseDuration, the recoverer's
// interval and cutoff are constants). So the queue keeps a lease of its own,
// per process, much shorter:
//
//   - Each process that runs jobs holds a lease: the key alive:TOKEN under
//     the queue's hash tag, set with a TTL of LeaseTTL and refreshed every
//     fifth of it. serve holds it for its job process (jobproc.Config.Lease)
//     at serve's own priority, so that a job process starved of the CPU is
//     slow, never taken for dead; the job process runs only while serve
//     holds its lease, and is killed when serve cannot keep it. A process
//     that runs its jobs itself holds its own.
//   - A handler records its job's owner (owners: task id → TOKEN) when it
//     starts, and removes it when it returns.
//   - Every holder sweeps, every fifth of LeaseTTL: a running job whose
//     owner's lease is gone is handed back to the head of the queue, as
//     asynq does at a shutdown (its requeue script), in one script.
//   - The mailbox lock a dead owner held is taken over then (Locker), not at
//     the end of its TTL.
//
// A lease lapses LeaseTTL after the last sign of life of its process; a job
// process that exits has its lease cut to LeaseTTL from then, not deleted:
// the calls to Microsoft it had sent get that long to land before another
// worker reads the mailbox again.

// Defaults of the lease.
const (
	defaultLeaseTTL = 5 * time.Second
	// maxFastResumes: a job handed back this many times (its process died
	// each time) is left to asynq's own lease recoverer, which counts each
	// death as a failure and archives the job after MaxRetry: a job that
	// kills its process must not take every replica down in turn. With 3,
	// the bench's kill fault (a replica killed every 2-6 s) left a job or two
	// to asynq's minute; a job killed 10 times running is a job that kills.
	maxFastResumes = 10
)

// key is the queue's key name of its own: under the queue's hash tag, so
// that one script may read and move them with asynq's.
func (q *Queue) key(name string) string { return "asynq:{" + q.cfg.Name + "}:mailboxbot:" + name }

// aliveKey is the lease of the process holding token.
func (q *Queue) aliveKey(token string) string { return q.key("alive:") + token }

// NewLeaseToken returns a token for a process's lease: host/pid/random,
// so that an operator (or the bench) can tell whose lease it is.
func NewLeaseToken() string {
	host, _ := os.Hostname()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ReplaceAll(host, "/", "_") + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// ErrLeaseLost: a lease lapsed or disappeared while its process was alive.
// The process's jobs may be running elsewhere already: it must stop.
var ErrLeaseLost = errors.New("job lease lost")

// HoldLease takes the lease token (a new one: NewLeaseToken), calls held,
// then keeps it and sweeps for the jobs of dead processes until ctx is
// done; then it cuts the lease to LeaseTTL from now and returns nil. It
// returns an error before calling held when the lease cannot be taken, and
// ErrLeaseLost (wrapped) when it could not be refreshed in time or was
// found gone: whoever runs jobs under token must stop them at once.
func (q *Queue) HoldLease(ctx context.Context, token string, held func()) error {
	ttl := q.cfg.LeaseTTL
	key := q.aliveKey(token)
	sent := time.Now()
	ok, err := q.rdb.SetNX(ctx, key, "1", ttl).Result()
	if err != nil {
		return fmt.Errorf("take job lease: %w", err)
	}
	if !ok {
		return fmt.Errorf("take job lease: %s is taken", token)
	}
	held()
	defer func() {
		// Not deleted: the dead owner's calls in flight get ttl to land.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = q.rdb.PExpire(cctx, key, ttl).Err()
	}()
	every := ttl / 5
	// The lease must be known lost here before Redis drops it: a margin of
	// one refresh for the time a refresh takes to reach Redis.
	deadline := sent.Add(ttl - every)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		at := time.Now()
		rctx, cancel := context.WithDeadline(ctx, deadline)
		ok, err := q.rdb.PExpire(rctx, key, ttl).Result()
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil && !ok:
			return fmt.Errorf("%w: %s is gone from Redis", ErrLeaseLost, key)
		case err == nil:
			deadline = at.Add(ttl - every)
		case time.Now().After(deadline):
			return fmt.Errorf("%w: not refreshed for %s: %v", ErrLeaseLost, time.Since(deadline.Add(every-ttl)).Round(time.Millisecond), err)
		default:
			q.log.Warn("job lease not refreshed; trying again", "err", err)
			continue
		}
		if n, err := q.Resume(ctx); err != nil && ctx.Err() == nil {
			q.log.Warn("resume jobs of dead processes failed", "err", err)
		} else if n > 0 {
			q.log.Warn("jobs of a process that died handed back to the queue", "count", n)
		}
	}
}

// resumeScript hands back the running jobs whose owner's lease is gone:
// asynq's requeue (LREM active, ZREM lease, RPUSH pending, state pending),
// at most maxFastResumes times per job; forgets the owners that are gone.
// A running job with no owner at all (its process died between taking it
// and recording itself, or between forgetting itself and telling asynq)
// is handed back once it has had none for ARGV[4] seconds (by Redis's
// clock): a live process records itself within milliseconds, and should it
// be that slow, the job delivered twice still runs once (the mailbox lock).
//
// KEYS[1] active, KEYS[2] lease, KEYS[3] pending, KEYS[4] owners,
// KEYS[5] resumed (count per task id), KEYS[6] unowned (since when);
// ARGV[1] the task key prefix, ARGV[2] the lease key prefix, ARGV[3]
// maxFastResumes, ARGV[4] the lease in seconds. Returns the ids handed back.
var resumeScript = redis.NewScript(`
local function handBack(id)
  if redis.call("HINCRBY", KEYS[5], id, 1) > tonumber(ARGV[3]) then return end
  redis.call("LREM", KEYS[1], 0, id)
  redis.call("ZREM", KEYS[2], id)
  redis.call("RPUSH", KEYS[3], id)
  redis.call("HSET", ARGV[1] .. id, "state", "pending")
  return true
end
local active, owned, out = {}, {}, {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do active[id] = true end
local owners = redis.call("HGETALL", KEYS[4])
for i = 1, #owners, 2 do
  local id, owner = owners[i], owners[i+1]
  owned[id] = true
  if redis.call("EXISTS", ARGV[2] .. owner) == 0 then
    redis.call("HDEL", KEYS[4], id)
    if active[id] and handBack(id) then table.insert(out, id) end
  end
end
local now = tonumber(redis.call("TIME")[1])
for id in pairs(active) do
  if not owned[id] then
    local since = redis.call("HGET", KEYS[6], id)
    if not since then
      redis.call("HSET", KEYS[6], id, now)
    elseif now - tonumber(since) >= tonumber(ARGV[4]) then
      redis.call("HDEL", KEYS[6], id)
      if handBack(id) then table.insert(out, id) end
    end
  end
end
for _, id in ipairs(redis.call("HKEYS", KEYS[6])) do
  if not active[id] or owned[id] then redis.call("HDEL", KEYS[6], id) end
end
return out`)

// Resume hands the jobs of processes whose lease is gone back to the
// queue, and returns how many. Holders of a lease call it; tests too.
func (q *Queue) Resume(ctx context.Context) (int, error) {
	p := "asynq:{" + q.cfg.Name + "}:"
	ids, err := resumeScript.Run(ctx, q.rdb,
		[]string{p + "active", p + "lease", p + "pending", q.key("owners"), q.key("resumed"), q.key("unowned")},
		p+"t:", q.aliveKey(""), maxFastResumes, int((q.cfg.LeaseTTL+time.Second-1)/time.Second)).StringSlice()
	if err != nil {
		return 0, fmt.Errorf("resume jobs of queue %s: %w", q.cfg.Name, err)
	}
	return len(ids), nil
}

// own records that the job id runs under token.
func (q *Queue) own(ctx context.Context, id, token string) {
	if err := q.rdb.HSet(ctx, q.key("owners"), id, token).Err(); err != nil {
		// The job then resumes after asynq's own lease, if its process dies.
		q.log.Warn("job owner not recorded", "job", id, "err", err)
	}
}

// disownScript forgets id's owner if it is still token (another process
// may run it now), and its count of resumes once it succeeded.
var disownScript = redis.NewScript(`
if redis.call("HGET", KEYS[1], ARGV[1]) == ARGV[2] then redis.call("HDEL", KEYS[1], ARGV[1]) end
if ARGV[3] == "1" then redis.call("HDEL", KEYS[2], ARGV[1]) end
return 0`)

func (q *Queue) disown(ctx context.Context, id, token string, succeeded bool) {
	ok := "0"
	if succeeded {
		ok = "1"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := disownScript.Run(ctx, q.rdb, []string{q.key("owners"), q.key("resumed")}, id, token, ok).Err(); err != nil {
		q.log.Warn("job owner not cleared", "job", id, "err", err)
	}
}

// ownerKey is the context key of the lease a job runs under.
type ownerKey struct{}

// withOwner marks ctx as a job's that runs under the lease at alive.
func withOwner(ctx context.Context, alive string) context.Context {
	return context.WithValue(ctx, ownerKey{}, alive)
}

// owner is the lease key of the job ctx belongs to, or "".
func owner(ctx context.Context) string {
	s, _ := ctx.Value(ownerKey{}).(string)
	return s
}
