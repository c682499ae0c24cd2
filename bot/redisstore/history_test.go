package redisstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// keysNaming returns the keys under prefix that name id, in their name or
// as a member, field or value; the audit stream aside (TrimAudit ages it).
func keysNaming(t *testing.T, rdb redis.UniversalClient, prefix, id string) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, rdb, prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		var values []string
		switch typ {
		case "string":
			v, _ := rdb.Get(ctx, k).Result()
			values = []string{v}
		case "set":
			values, _ = rdb.SMembers(ctx, k).Result()
		case "zset":
			values, _ = rdb.ZRange(ctx, k, 0, -1).Result()
		case "hash":
			values, _ = rdb.HKeys(ctx, k).Result()
		case "stream":
			continue
		default:
			t.Fatalf("%s is a %s", k, typ)
		}
		if strings.Contains(k, id) || slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, `"`+id+`"`) || v == id }) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// A swept request leaves nothing behind: not in an index, not as the
// mailbox's claim (a claim left over points to it), not in its batch.
func TestSweepLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		b := &bot.Batch{ID: "bat_1", Requester: "U111", Approvers: []string{"U222"}, RequestIDs: []string{"r1", "r2"}, CreatedAt: storetest.T0}
		if err := s.CreateBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		lone := &bot.Batch{ID: "bat_2", Requester: "U111", RequestIDs: []string{"r3"}, CreatedAt: storetest.T0}
		if err := s.CreateBatch(ctx, lone); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ id, batch string }{{"r1", "bat_1"}, {"r2", "bat_1"}, {"r3", "bat_2"}} {
			r := storetest.NewRequest(c.id, c.id+"@contoso.com")
			r.Batch = c.batch
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"r1", "r3"} {
			if _, err := s.Update(ctx, id, storetest.Transition(bot.StatePending, bot.StateRejected, "U222", storetest.T0)); err != nil {
				t.Fatal(err)
			}
		}
		// A claim left pointing at r1 (written by an older version).
		if err := rdb.Set(ctx, prefix+"active:r1@contoso.com", "r1", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got := keysNaming(t, rdb, prefix, "r1"); len(got) < 8 {
			t.Fatalf("before the sweep r1 is named by only %v", got)
		}

		got, err := s.Sweep(ctx, storetest.T0.Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Sort(got); !slices.Equal(got, []string{"r1", "r3"}) {
			t.Fatalf("Sweep removed %v, want [r1 r3]", got)
		}
		for _, id := range []string{"r1", "r3"} {
			if keys := keysNaming(t, rdb, prefix, id); len(keys) != 0 {
				t.Errorf("after the sweep %s is still named by %v", id, keys)
			}
		}
		kept, err := s.GetBatch(ctx, "bat_1")
		if err != nil || !slices.Equal(kept.RequestIDs, []string{"r2"}) {
			t.Errorf("bat_1 after the sweep: %+v, %v; want it with r2 alone", kept, err)
		}
		if _, err := s.GetBatch(ctx, "bat_2"); err == nil {
			t.Errorf("bat_2 outlived its only request")
		}
		if n, _ := rdb.Exists(ctx, prefix+"active:r2@contoso.com").Result(); n != 1 {
			t.Errorf("the pending r2 lost its claim")
		}
	})
}

// Requests written before the open sets existed still show once Migrate
// has run, and the finished among them are swept.
func TestMigrateIndexesEarlierRequests(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		done := storetest.NewRequest("r2", "bob@contoso.com")
		done.State = bot.StateSucceeded
		if err := s.Create(ctx, done); err != nil {
			t.Fatal(err)
		}
		// What an earlier version wrote: none of the new keys.
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		for _, k := range keys {
			if strings.HasPrefix(k, prefix+"open-by-") || k == prefix+"finished" {
				rdb.Del(ctx, k)
			}
		}
		pending := func() []*bot.Request {
			rs, err := s.List(ctx, bot.ListQuery{Approver: "U222", Pending: true})
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		if rs := pending(); len(rs) != 0 {
			t.Fatalf("without its open set the earlier request shows: the test cannot tell Migrate's work (%d)", len(rs))
		}
		n, err := s.Migrate(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Migrate = %d, %v; want 2 requests indexed", n, err)
		}
		if rs := pending(); len(rs) != 1 || rs[0].ID != "r1" {
			t.Errorf("after Migrate U222 waits for %d requests, want r1", len(rs))
		}
		if got, err := s.Sweep(ctx, storetest.T0.Add(time.Hour), 0); err != nil || !slices.Equal(got, []string{"r2"}) {
			t.Errorf("Sweep after Migrate = %v, %v; want [r2]", got, err)
		}
		// Once is enough: a second Migrate reads one key.
		if n, err := s.Migrate(ctx); n != 0 || err != nil {
			t.Errorf("second Migrate = %d, %v; want 0", n, err)
		}
	})
}

// TrimAudit drops the stream's entries written before the cut and keeps
// the rest.
func TestTrimAudit(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		// Two entries "written" long ago, one now (stream ids are write times).
		for _, id := range []string{"1000-0", "2000-0"} {
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: prefix + "audit", ID: id, Values: []any{"request", "old", "type", "created"}}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		n, err := s.TrimAudit(ctx, time.UnixMilli(1500))
		if err != nil || n != 1 {
			t.Fatalf("TrimAudit(1.5 s after the epoch) = %d, %v; want 1", n, err)
		}
		log, err := s.AuditLog(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].StreamID != "2000-0" || log[1].Request != "r1" {
			t.Errorf("after the trim: %+v", log)
		}
	})
}

// AuditRange reads the entries written in [since, until), across pages.
func TestAuditRange(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		s := redisstore.NewStore(rdb, prefix)
		// 1203 entries, one a second from t0: more than two pages.
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range 1203 {
				p.XAdd(ctx, &redis.XAddArgs{Stream: prefix + "audit", ID: fmt.Sprintf("%d-0", t0.Add(time.Duration(i)*time.Second).UnixMilli()),
					Values: []any{"request", fmt.Sprintf("r%d", i), "type", "created"}})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		read := func(since, until time.Time) []string {
			t.Helper()
			var got []string
			if err := s.AuditRange(ctx, since, until, func(e redisstore.AuditEntry) error { got = append(got, e.Request); return nil }); err != nil {
				t.Fatal(err)
			}
			return got
		}
		all := read(time.Time{}, time.Time{})
		if len(all) != 1203 || all[0] != "r0" || all[1202] != "r1202" {
			t.Errorf("everything: %d entries, %v ... ", len(all), all[:min(len(all), 3)])
		}
		got := read(t0.Add(100*time.Second), t0.Add(700*time.Second))
		if len(got) != 600 || got[0] != "r100" || got[599] != "r699" {
			t.Errorf("[100 s, 700 s): %d entries from %v", len(got), got[:min(len(got), 1)])
		}
		if got := read(t0.Add(time.Hour), time.Time{}); len(got) != 0 {
			t.Errorf("after the last: %d entries", len(got))
		}
	})
}
