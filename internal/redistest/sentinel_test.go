package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSentinelFailover: a key written through a failover client before
// the master is killed with SIGKILL is read back, through the same client,
// from the replica the Sentinels promote; a write after the failover
// succeeds. It logs the failover time: from the kill to the first write
// the new master accepted.
func TestSentinelFailover(t *testing.T) {
	s := StartSentinel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: s.Sentinels})
	defer rdb.Close()
	if err := rdb.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: wait until the replica has the write,
	// which is what this test is not about.
	if n, err := rdb.Wait(ctx, 1, 5000).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d replicas, %v", n, err)
	}
	killed := time.Now()
	old := s.KillMaster(ctx)
	if old != s.Master {
		t.Fatalf("killed %s, want the first master %s", old, s.Master)
	}
	for {
		err := rdb.Set(ctx, "after", "1", 0).Err()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no write accepted after the kill: %v\n%s", err, s.tails())
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(killed)
	if now := s.WaitFailover(ctx, old); now != s.Replica {
		t.Errorf("the new master is %s, want the replica %s", now, s.Replica)
	}
	if v, err := rdb.Get(ctx, "before").Result(); err != nil || v != "1" {
		t.Errorf("the key written before the failover: %q, %v", v, err)
	}
	t.Logf("failover: SIGKILL of the master to the first write accepted by the new master: %v", took.Round(time.Millisecond))
}
