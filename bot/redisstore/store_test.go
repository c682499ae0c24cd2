package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// backends are the Redis servers every Store test runs against.
var backends = []struct {
	name   string
	client func(t *testing.T) (redis.UniversalClient, string)
}{
	{"redis", func(t *testing.T) (redis.UniversalClient, string) { return redistest.Client(t) }},
	{"miniredis", func(t *testing.T) (redis.UniversalClient, string) { return redistest.Embedded(t), redistest.Prefix(t) }},
	{"cluster", clusterBackend},
}

func forEachBackend(t *testing.T, f func(t *testing.T, rdb redis.UniversalClient, prefix string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			rdb, prefix := b.client(t)
			f(t, rdb, prefix)
		})
	}
}

// TestStoreContract runs the contracts of bot.Store and bot.BatchStore.
func TestStoreContract(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			newStore := func(t *testing.T) *redisstore.Store {
				rdb, prefix := b.client(t)
				return redisstore.NewStore(rdb, prefix)
			}
			storetest.Run(t, func(t *testing.T) bot.Store { return newStore(t) })
			t.Run("Batch", func(t *testing.T) {
				storetest.RunBatchStore(t, func(t *testing.T) bot.BatchStore { return newStore(t) })
			})
		})
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, storetest.NewRequest("r2", "bob@contoso.com")); err != nil {
			t.Fatal(err)
		}
		t1, t2 := storetest.T0.Add(time.Minute), storetest.T0.Add(2*time.Minute)
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error {
			if err := storetest.Transition(bot.StatePending, bot.StateApproved, "U222", t1)(r); err != nil {
				return err
			}
			r.Record(bot.Event{At: t2, Actor: "bot", Type: "step", Note: "convert_to_shared: done"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A refused change and a change without events add nothing.
		if _, err := s.Update(ctx, "r1", storetest.Transition(bot.StatePending, bot.StateRejected, "U333", t2)); !errors.Is(err, bot.ErrAlreadyDecided) {
			t.Fatalf("err = %v, want ErrAlreadyDecided", err)
		}
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error { r.RunSeq++; return nil }); err != nil {
			t.Fatal(err)
		}

		want := []redisstore.AuditEntry{
			{Request: "r1", Mailbox: "alice@contoso.com", Op: "convert_to_shared", Type: "created", Actor: "U111", To: bot.StatePending, At: storetest.T0},
			{Request: "r1", Mailbox: "alice@contoso.com", Op: "convert_to_shared", Type: "approved", Actor: "U222", From: bot.StatePending, To: bot.StateApproved, At: t1},
			{Request: "r1", Mailbox: "alice@contoso.com", Op: "convert_to_shared", Type: "step", Actor: "bot", Note: "convert_to_shared: done", At: t2},
		}
		got, err := s.AuditLog(ctx, "r1", 0)
		if err != nil {
			t.Fatal(err)
		}
		checkAudit(t, got, want)

		all, err := s.AuditLog(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[1].Request != "r2" || all[1].Type != "created" {
			t.Errorf("whole log: %+v; want r1 created, r2 created, r1 approved, r1 step", all)
		}
		last, err := s.AuditLog(ctx, "r1", 2)
		if err != nil {
			t.Fatal(err)
		}
		checkAudit(t, last, want[1:])
	})
}

func checkAudit(t *testing.T, got, want []redisstore.AuditEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("audit log has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if g.StreamID == "" {
			t.Errorf("entry %d has no stream id", i)
		}
		g.StreamID = ""
		if !g.At.Equal(want[i].At) {
			t.Errorf("entry %d at %v, want %v", i, g.At, want[i].At)
		}
		g.At = want[i].At
		if g != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
}

func TestCreateTakesOverStaleClaim(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		// A claim whose request is gone (deleted by hand, or a crash between
		// tools): the mailbox must not stay blocked forever.
		if err := rdb.Set(ctx, prefix+"active:alice@contoso.com", "ghost", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatalf("Create over a claim of a missing request: %v", err)
		}
		if got, _ := rdb.Get(ctx, prefix+"active:alice@contoso.com").Result(); got != "r1" {
			t.Errorf("active key = %q, want r1", got)
		}
		// A claim left by a terminal request (written by an older version
		// that did not release it).
		old := storetest.NewRequest("r2", "bob@contoso.com")
		old.State = bot.StateSucceeded
		if err := s.Create(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, prefix+"active:bob@contoso.com", "r2", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, storetest.NewRequest("r3", "bob@contoso.com")); err != nil {
			t.Fatalf("Create over a claim of a terminal request: %v", err)
		}
	})
}

func TestStoreKeys(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	s := redisstore.NewStore(rdb, prefix)
	r := storetest.NewRequest("r1", "alice@contoso.com")
	r.State = bot.StateApproved
	if err := s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		prefix + "req:r1":                   "string",
		prefix + "active:alice@contoso.com": "string",
		prefix + "inflight":                 "set",
		prefix + "tracked":                  "hash", // issue 15 point 7: who and what, to report a lost request
		prefix + "audit":                    "stream",
		prefix + "recent":                   "zset",
		prefix + "by-requester:U111":        "zset",
		prefix + "by-approver:U222":         "zset",
		prefix + "by-approver:U333":         "zset",
		prefix + "open-by-requester:U111":   "zset", // issue 17: what is open, apart from the history
		prefix + "open-by-approver:U222":    "zset",
		prefix + "open-by-approver:U333":    "zset",
	}
	if len(keys) != len(want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	for k, typ := range want {
		if got, _ := rdb.Type(ctx, k).Result(); got != typ {
			t.Errorf("type of %s = %q, want %q", k, got, typ)
		}
	}
	// A terminal state releases the claim itself (Create's takeover of
	// stale claims is only the safety net).
	if _, err := s.Update(ctx, "r1", storetest.Transition(bot.StateApproved, bot.StateCancelled, "U111", storetest.T0)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{prefix + "active:alice@contoso.com", prefix + "inflight"} {
		if n, _ := rdb.Exists(ctx, k).Result(); n != 0 {
			t.Errorf("%s still exists after the request was cancelled", k)
		}
	}
}

func TestAuditLogPages(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		for _, id := range []string{"r1", "r2"} {
			if err := s.Create(ctx, storetest.NewRequest(id, id+"@contoso.com")); err != nil {
				t.Fatal(err)
			}
		}
		const n = 1200 // more than one page of the stream
		for _, id := range []string{"r1", "r2"} {
			if _, err := s.Update(ctx, id, func(r *bot.Request) error {
				for i := range n {
					r.Record(bot.Event{At: storetest.T0.Add(time.Duration(i) * time.Second), Actor: "bot", Type: "step"})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AuditLog(ctx, "r1", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n+1 {
			t.Fatalf("AuditLog(r1) has %d entries, want %d", len(got), n+1)
		}
		if got[0].Type != "created" {
			t.Errorf("first entry %+v, want created", got[0])
		}
		for i, e := range got[1:] {
			if e.Request != "r1" || !e.At.Equal(storetest.T0.Add(time.Duration(i)*time.Second)) {
				t.Fatalf("entry %d = %+v, out of order or of another request", i+1, e)
			}
		}
		tail, err := s.AuditLog(ctx, "r1", 700)
		if err != nil {
			t.Fatal(err)
		}
		if len(tail) != 700 || !tail[699].At.Equal(storetest.T0.Add((n-1)*time.Second)) {
			t.Errorf("AuditLog(r1, 700): %d entries ending at %v", len(tail), tail[len(tail)-1].At)
		}
	})
}
