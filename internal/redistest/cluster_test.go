package redistest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestClusterSpreadsKeysAndCleansItsPrefix: the cluster has its masters,
// keys without a common hash tag land on different ones, and the cleanup
// of a finished test deletes them on all of them.
func TestClusterSpreadsKeysAndCleansItsPrefix(t *testing.T) {
	ctx := context.Background()
	var keys []string
	var rdb *redis.ClusterClient
	t.Run("writer", func(t *testing.T) {
		c, prefix := Cluster(t)
		for i := range 30 {
			k := fmt.Sprintf("%sk%d", prefix, i)
			if err := c.Set(ctx, k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		owners := map[string]bool{}
		for _, k := range keys {
			m, err := c.MasterForKey(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			owners[m.Options().Addr] = true
		}
		if len(owners) < ClusterMasters {
			t.Errorf("30 keys on %d masters, want %d: is it a cluster?", len(owners), ClusterMasters)
		}
	})
	rdb, _ = Cluster(t)
	for _, k := range keys {
		if n, err := rdb.Exists(ctx, k).Result(); err != nil || n != 0 {
			t.Errorf("%s: exists=%d err=%v after the test that wrote it, want deleted", k, n, err)
		}
	}
}

// TestClusterNamedButBrokenFails: a cluster named in EnvCluster that does
// not answer fails the test; it is never skipped or replaced.
func TestClusterNamedButBrokenFails(t *testing.T) {
	t.Setenv(EnvCluster, "127.0.0.1:1") // nothing listens on port 1
	f := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Cluster(f)
	}()
	<-done
	if len(f.fatal) != 1 || !strings.Contains(f.fatal[0], "127.0.0.1:1") {
		t.Errorf("Cluster on a dead seed: fatal %q, want one failure naming the seed", f.fatal)
	}
}
