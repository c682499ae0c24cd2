package redisstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// clusterBackend is a Redis Cluster of three masters with a prefix that
// carries a hash tag, as serve uses it.
func clusterBackend(t *testing.T) (redis.UniversalClient, string) {
	rdb, prefix := redistest.Cluster(t)
	tagged, err := redisstore.HashTagged(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return rdb, tagged
}

func TestClusterQueueContract(t *testing.T) {
	storetest.RunQueue(t, func(t *testing.T, concurrency int) storetest.Worker {
		rdb, prefix := redistest.Cluster(t)
		return newQueueWith(t, rdb, redisstore.QueueConfig{Name: prefix + "jobs", Concurrency: concurrency})
	})
}

// clusterKeys lists the keys under prefix on every master of rdb.
func clusterKeys(t *testing.T, rdb *redis.ClusterClient, prefix string) []string {
	t.Helper()
	keys, err := redistest.Keys(context.Background(), rdb, prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestClusterKeysShareOneSlot: every key the store, the locks, the
// deduplication and the rate limiter write under a tagged prefix lies in
// one slot, so that any transaction over them is allowed.
func TestClusterKeysShareOneSlot(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Cluster(t)
	tagged, err := redisstore.HashTagged(prefix)
	if err != nil {
		t.Fatal(err)
	}
	s := redisstore.NewStore(rdb, tagged)
	if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, storetest.NewRequest("r2", "bob@contoso.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "r1", storetest.Transition(bot.StatePending, bot.StateApproved, "U222", storetest.T0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "r2", storetest.Transition(bot.StatePending, bot.StateRejected, "U222", storetest.T0)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBatch(ctx, storetest.NewBatch("b1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateBatch(ctx, "b1", func(b *bot.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.NewLocker(rdb, tagged).Obtain(ctx, "req:r1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := redisstore.NewDeduper(rdb, tagged, 0).Seen(ctx, "env-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := redisstore.NewRateLimiter(rdb, tagged, 5, time.Minute).Allow(ctx, "U0RITA"); err != nil {
		t.Fatal(err)
	}
	keys := clusterKeys(t, rdb, prefix)
	if len(keys) < 12 {
		t.Fatalf("%d keys under %s, want at least 12: %v", len(keys), prefix, keys)
	}
	slots := map[int64][]string{}
	for _, k := range keys {
		if !strings.HasPrefix(k, tagged) {
			t.Errorf("key %s is not under the tagged prefix %s", k, tagged)
		}
		slot, err := rdb.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		slots[slot] = append(slots[slot], k)
	}
	if len(slots) != 1 {
		t.Errorf("the keys lie in %d slots, want 1: %v", len(slots), slots)
	}
}

// TestClusterUntaggedPrefixFailsLoudly: without a hash tag, the store's
// transactions span slots and the cluster refuses them; nothing is half
// written. It shows that the cluster tests would catch a key that leaves
// the tag (and that they do run against a cluster).
func TestClusterUntaggedPrefixFailsLoudly(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Cluster(t)
	s := redisstore.NewStore(rdb, prefix)
	r := storetest.NewRequest("r1", "alice@contoso.com")
	a, _ := rdb.ClusterKeySlot(ctx, prefix+"req:r1").Result()
	b, _ := rdb.ClusterKeySlot(ctx, prefix+"active:alice@contoso.com").Result()
	if a == b {
		t.Fatalf("req and active keys share slot %d by chance; the test proves nothing", a)
	}
	if err := s.Create(ctx, r); err == nil {
		t.Error("Create under an untagged prefix succeeded on a cluster")
	} else {
		t.Logf("Create: %v", err)
	}
	// A request stored by hand, then updated: the transaction's writes
	// go to other slots than the request's.
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, prefix+"req:r1", data, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "r1", storetest.Transition(bot.StatePending, bot.StateApproved, "U222", storetest.T0)); err == nil {
		t.Error("Update under an untagged prefix succeeded on a cluster")
	} else {
		t.Logf("Update: %v", err)
	}
	if _, err := s.Forget(ctx, "r1"); err == nil {
		t.Error("Forget under an untagged prefix succeeded on a cluster")
	} else {
		t.Logf("Forget: %v", err)
	}
	if keys := clusterKeys(t, rdb, prefix); len(keys) != 1 {
		t.Errorf("keys after the refused writes: %v, want only the request stored by hand", keys)
	}
	got, err := s.Get(ctx, "r1")
	if err != nil || got.State != bot.StatePending {
		t.Errorf("request after the refused Update: %v, %v; want it pending", got, err)
	}
}
