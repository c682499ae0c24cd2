package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
)

// Retention (MAILBOXBOT_RETENTION): a finished request is removed once it
// has been finished that long, with its index entries, and the audit
// stream loses its entries written before the same cut. serve sweeps at
// start and then every sweepEvery, one replica at a time (a lock); before
// its first sweep it indexes what an earlier version wrote (Migrate).

// Sweep timing and sizes.
const (
	sweepEvery   = time.Hour
	sweepLockTTL = 2 * time.Minute // refreshed after each page
	sweepPage    = 500             // requests removed per Store.Sweep call
	sweepLockKey = "retention"
)

// sweeper removes what is past retention.
type sweeper struct {
	store     *redisstore.Store
	locker    bot.Locker
	retention time.Duration // 0: keep everything
	now       func() time.Time
	log       *slog.Logger
	migrated  bool
}

// once migrates the indexes if this process has not yet, then, under the
// sweep lock, removes the requests finished before now - retention and the
// audit entries written before then. A sweep running on another replica
// makes it do nothing (false).
func (w *sweeper) once(ctx context.Context) (ran bool, removed int, trimmed int64, err error) {
	if !w.migrated {
		n, err := w.store.Migrate(ctx)
		if err != nil {
			return false, 0, 0, err
		}
		if n > 0 {
			w.log.Info("indexed the requests of an earlier version", "count", n)
		}
		w.migrated = true
	}
	if w.retention <= 0 {
		return false, 0, 0, nil
	}
	lock, err := w.locker.Obtain(ctx, sweepLockKey, sweepLockTTL)
	if errors.Is(err, bot.ErrLocked) {
		return false, 0, 0, nil
	}
	if err != nil {
		return false, 0, 0, err
	}
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			w.log.Warn("release the retention lock", "err", err)
		}
	}()
	cut := w.now().Add(-w.retention)
	for {
		ids, err := w.store.Sweep(ctx, cut, sweepPage)
		removed += len(ids)
		if err != nil {
			return true, removed, 0, err
		}
		if len(ids) < sweepPage {
			break
		}
		if err := lock.Refresh(ctx, sweepLockTTL); err != nil {
			return true, removed, 0, err // another replica may sweep now
		}
	}
	trimmed, err = w.store.TrimAudit(ctx, cut)
	return true, removed, trimmed, err
}

// loop sweeps at start and then every `every` until ctx ends.
func (w *sweeper) loop(ctx context.Context, every time.Duration) {
	repeat(ctx, every, func() {
		ran, removed, trimmed, err := w.once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Warn("retention sweep failed; trying again later", "err", err, "removed", removed)
		case ran && removed+int(trimmed) > 0:
			w.log.Info("retention: removed finished requests and audit entries", "requests", removed, "audit_entries", trimmed, "retention", w.retention.String())
		}
	})
}

// repeat calls f at once, then `every` after each call returns, until ctx
// ends.
func repeat(ctx context.Context, every time.Duration, f func()) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f()
		t.Reset(every)
	}
}
