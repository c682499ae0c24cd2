package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// TestServeEndToEndOnCluster: TestServeEndToEnd on a Redis Cluster of
// three masters, from the command to the report. Then the bot's own
// keys all lie in one slot, under the tagged prefix; the queue's keys in
// the slot of its own tag.
func TestServeEndToEndOnCluster(t *testing.T) {
	w := newWorld(t, 1)
	rdb := w.onCluster()
	serveEndToEnd(t, w)

	prefix := w.env["MAILBOXBOT_REDIS_PREFIX"]
	tagged := prefix + "{" + strings.TrimSuffix(prefix, ":") + "}:"
	slots := keySlots(t, rdb, prefix)
	if len(slots) != 1 {
		t.Errorf("the bot's keys lie in %d slots, want 1: %v", len(slots), slots)
	}
	for _, keys := range slots {
		for _, want := range []string{"audit", "recent", "by-approver:U0MARIA"} {
			if !slices.Contains(keys, tagged+want) {
				t.Errorf("no key %s%s among %v", tagged, want, keys)
			}
		}
	}
	if q := keySlots(t, rdb, "asynq:{"+strings.TrimSuffix(prefix, ":")+"}:"); len(q) != 1 {
		t.Errorf("the queue's keys lie in %d slots, want 1: %v", len(q), q)
	}
}

// TestTwoReplicasFiftyClicksOnCluster: two replicas of `serve` on one
// cluster, 50 concurrent Approve clicks over both: the conversion runs
// exactly once and every other click is told who decided.
func TestTwoReplicasFiftyClicksOnCluster(t *testing.T) {
	w := newWorld(t, 0)
	w.onCluster()
	twoReplicasFiftyClicks(t, w)
}

// keySlots maps each hash slot to the keys under prefix in it, over every
// master of rdb.
func keySlots(t *testing.T, rdb *redis.ClusterClient, prefix string) map[int64][]string {
	t.Helper()
	ctx := context.Background()
	keys, err := redistest.Keys(ctx, rdb, prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]string{}
	for _, k := range keys {
		slot, err := rdb.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[slot] = append(out[slot], k)
	}
	return out
}
