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
)

// TestStoreWaitsWithInjectedSleep: a write that loses its transaction to
// another writer waits through StoreOptions.Sleep before it tries again,
// and gives up with Sleep's error.
func TestStoreWaitsWithInjectedSleep(t *testing.T) {
	ctx := context.Background()
	forEachBackend(t, func(t *testing.T, rdb redis.UniversalClient, prefix string) {
		var slept []time.Duration
		stop := errors.New("stop waiting")
		var sleepErr error
		s := redisstore.NewStoreWith(rdb, prefix, redisstore.StoreOptions{Sleep: func(_ context.Context, d time.Duration) error {
			slept = append(slept, d)
			return sleepErr
		}})
		if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		// interfere writes the watched request key from outside the
		// transaction, as another replica would, so that it fails.
		interfere := func(t *testing.T) {
			key := prefix + "req:r1"
			data, err := rdb.Get(ctx, key).Bytes()
			if err == nil {
				err = rdb.Set(ctx, key, data, 0).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
		}

		calls := 0
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error {
			if calls++; calls == 1 {
				interfere(t)
			}
			r.Channel = "C2"
			return nil
		}); err != nil {
			t.Fatalf("Update after one lost transaction: %v", err)
		}
		if len(slept) != 1 || slept[0] <= 0 || slept[0] > 20*time.Millisecond {
			t.Errorf("slept %v, want one short wait through StoreOptions.Sleep", slept)
		}

		sleepErr = stop
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error { interfere(t); return nil }); !errors.Is(err, stop) {
			t.Errorf("Update whose Sleep fails: err = %v, want Sleep's error", err)
		}
	})
}
