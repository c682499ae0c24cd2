package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

func TestConfigRetention(t *testing.T) {
	cfg, err := loadConfig(envOf(validEnv()))
	if err != nil || cfg.Retention != 400*24*time.Hour {
		t.Errorf("default MAILBOXBOT_RETENTION = %v, %v; want 400 days", cfg.Retention, err)
	}
	env := validEnv()
	env["MAILBOXBOT_RETENTION"] = "-1h"
	if _, err := loadConfig(envOf(env)); err == nil || !strings.Contains(err.Error(), "MAILBOXBOT_RETENTION must not be negative") {
		t.Errorf("negative retention: %v", err)
	}
}

// serve's sweep: indexes what an earlier version wrote, removes the
// requests finished longer ago than the retention and the audit entries
// written before the same cut, once at a time across replicas.
func TestSweeperRemovesWhatIsPastRetention(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	store := redisstore.NewStore(rdb, prefix)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	retention := 400 * 24 * time.Hour
	// An audit entry written before the cut.
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: prefix + "audit", ID: "1000-0", Values: []any{"request", "ancient", "type", "created"}}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id      string
		state   bot.State
		changed time.Time
	}{
		{"expired", bot.StateSucceeded, now.Add(-retention - time.Hour)},
		{"recent", bot.StateSucceeded, now.Add(-retention + time.Hour)},
		{"old-pending", bot.StatePending, now.Add(-2 * retention)},
	} {
		r := storetest.NewRequest(c.id, c.id+"@contoso.com")
		r.State, r.CreatedAt, r.UpdatedAt = c.state, c.changed, c.changed
		r.History[0].At = c.changed
		if err := store.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// An earlier version wrote them: no finished index yet.
	if err := rdb.Del(ctx, prefix+"finished").Err(); err != nil {
		t.Fatal(err)
	}
	locker := redisstore.NewLocker(rdb, prefix)
	w := &sweeper{store: store, locker: locker, retention: retention, now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}

	// Another replica sweeping: this one does nothing but index.
	held, err := locker.Obtain(ctx, sweepLockKey, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ran, removed, _, err := w.once(ctx); ran || removed != 0 || err != nil {
		t.Errorf("sweep while another holds the lock: ran %v, removed %d, %v", ran, removed, err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}

	ran, removed, trimmed, err := w.once(ctx)
	if !ran || removed != 1 || trimmed != 1 || err != nil {
		t.Fatalf("sweep: ran %v, removed %d, trimmed %d, %v; want 1 request and 1 audit entry", ran, removed, trimmed, err)
	}
	if _, err := store.Get(ctx, "expired"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the expired request: %v, want it gone", err)
	}
	for _, id := range []string{"recent", "old-pending"} {
		if _, err := store.Get(ctx, id); err != nil {
			t.Errorf("%s: %v, want it kept", id, err)
		}
	}
	log, err := store.AuditLog(ctx, "", 0)
	if err != nil || len(log) != 3 || log[0].Request == "ancient" {
		t.Errorf("audit log after the sweep: %d entries, %v; want the 3 of the requests", len(log), err)
	}

	// Retention 0 keeps everything.
	w.retention = 0
	w.now = func() time.Time { return now.Add(100 * retention) }
	if ran, removed, _, err := w.once(ctx); ran || removed != 0 || err != nil {
		t.Errorf("retention 0: ran %v, removed %d, %v", ran, removed, err)
	}
}
