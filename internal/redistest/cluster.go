package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvCluster names a Redis Cluster for the tests: its seed addresses,
// comma-separated (127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103, as .ci/run
// starts it).
const EnvCluster = "MAILBOXBOT_TEST_REDIS_CLUSTER"

// ClusterMasters is how many masters a cluster that Cluster starts has, and
// the fewest it accepts from EnvCluster: with fewer, keys in different
// slots might all land on one server and a transaction crossing slots go
// unnoticed.
const ClusterMasters = 3

// Cluster returns a client for a Redis Cluster of at least ClusterMasters
// masters and a fresh key prefix ("mbbtest:<random>:", without a hash
// tag: callers add one, as the bot does). Cleanup deletes the keys under
// the prefix on every master, then closes the client.
//
// The cluster is the one EnvCluster names (it must answer, with every slot
// covered), else one the test binary starts once from the redis-server
// binary on free loopback ports, killed when the binary exits. When neither
// is possible the test is skipped, or fails with MAILBOXBOT_REQUIRE_REDIS=1.
func Cluster(t testing.TB) (rdb *redis.ClusterClient, prefix string) {
	t.Helper()
	addrs, err := clusterAddrs(os.Getenv)
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("redistest: no Redis Cluster (%v), and %s=1 requires one", err, EnvRequire)
		}
		t.Skipf("redistest: no Redis Cluster: %v (set %s, or install redis-server)", err, EnvCluster)
	}
	rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := CheckCluster(ctx, rdb); err != nil {
		rdb.Close()
		t.Fatalf("redistest: the cluster at %s: %v", strings.Join(addrs, ","), err)
	}
	prefix = Prefix(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeletePrefix(ctx, rdb, prefix); err != nil {
			t.Errorf("redistest: clean up %s* on the cluster: %v", prefix, err)
		}
		rdb.Close()
	})
	return rdb, prefix
}

// CheckCluster checks that every master of rdb reports cluster_state:ok
// and that there are at least ClusterMasters of them.
func CheckCluster(ctx context.Context, rdb *redis.ClusterClient) error {
	var mu sync.Mutex
	masters := 0
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		info, err := m.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("%s: CLUSTER INFO: %w", m.Options().Addr, err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster_state is not ok", m.Options().Addr)
		}
		mu.Lock()
		masters++
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	if masters < ClusterMasters {
		return fmt.Errorf("%d masters, want at least %d", masters, ClusterMasters)
	}
	return nil
}

// deleteClusterPrefix is DeletePrefix on every master of a cluster: SCAN
// sees one server's keys only, and a DEL of several keys must stay in one
// slot, so each key is deleted on its own (pipelined).
func deleteClusterPrefix(ctx context.Context, rdb *redis.ClusterClient, prefix string) error {
	return rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		iter := m.Scan(ctx, 0, prefix+"*", 500).Iterator()
		p := m.Pipeline()
		for iter.Next(ctx) {
			p.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		if p.Len() == 0 {
			return nil
		}
		_, err := p.Exec(ctx)
		return err
	})
}

var (
	ownCluster     sync.Once
	ownClusterAddr []string
	ownClusterErr  error
)

// clusterAddrs returns EnvCluster's addresses, else those of the cluster
// this process starts (once).
func clusterAddrs(getenv func(string) string) ([]string, error) {
	if v := getenv(EnvCluster); v != "" {
		var addrs []string
		for a := range strings.SplitSeq(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		return addrs, nil
	}
	ownCluster.Do(func() { ownClusterAddr, ownClusterErr = startCluster() })
	return ownClusterAddr, ownClusterErr
}

// clusterDirPattern names the directories of the clusters tests start;
// the number after it is the pid of the test binary.
const clusterDirPattern = "mailboxbot-redistest-cluster-"

// startCluster starts ClusterMasters redis-server processes in cluster
// mode on free loopback ports, gives each a third of the slots, joins them
// and waits until all report cluster_state:ok. The servers keep nothing on
// disk but their nodes.conf, in a temporary directory removed by the next
// run once this process is gone.
func startCluster() ([]string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("%s is not set and there is no redis-server binary to start one", EnvCluster)
	}
	removeStaleClusterDirs()
	dir, err := os.MkdirTemp("", clusterDirPattern+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	ports, err := clusterPorts(ClusterMasters)
	if err != nil {
		return nil, err
	}
	addrs := make([]string, len(ports))
	for i, p := range ports {
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	}
	if err := startServers(bin, dir, ports); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := formCluster(ctx, addrs); err != nil {
		return nil, fmt.Errorf("form a cluster of %s (logs in %s): %w", strings.Join(addrs, ","), dir, err)
	}
	return addrs, nil
}

// startServers starts the servers from a goroutine that keeps its OS
// thread for good: each server is killed when that thread ends (Linux's
// parent-death signal), that is when the test binary exits.
func startServers(bin, dir string, ports []int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives as long as the process
		for _, p := range ports {
			port := strconv.Itoa(p)
			cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
				"--cluster-config-file", "nodes-"+port+".conf", "--cluster-node-timeout", "5000",
				"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, port+".log"))
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := cmd.Start(); err != nil {
				errc <- fmt.Errorf("start redis-server on port %s: %w", port, err)
				return
			}
			go cmd.Wait() //nolint:errcheck // reaped; the server lives until the test binary exits
		}
		errc <- nil
		select {}
	}()
	return <-errc
}

// formCluster gives each server its share of the 16384 slots and
// introduces them to one another.
func formCluster(ctx context.Context, addrs []string) error {
	clients := make([]*redis.Client, len(addrs))
	for i, a := range addrs {
		clients[i] = redis.NewClient(&redis.Options{Addr: a})
		defer clients[i].Close()
	}
	for i, c := range clients {
		if err := waitFor(ctx, func() error { return c.Ping(ctx).Err() }); err != nil {
			return fmt.Errorf("%s does not answer: %w", addrs[i], err)
		}
		lo, hi := i*16384/len(clients), (i+1)*16384/len(clients)-1
		if err := c.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			return fmt.Errorf("%s: CLUSTER ADDSLOTSRANGE %d %d: %w", addrs[i], lo, hi, err)
		}
	}
	for _, a := range addrs[1:] {
		host, port, _ := net.SplitHostPort(a)
		if err := clients[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", a, err)
		}
	}
	for i, c := range clients {
		err := waitFor(ctx, func() error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(addrs))) {
				return errors.New("cluster not formed yet")
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", addrs[i], err)
		}
	}
	return nil
}

// waitFor calls f every 50 ms until it succeeds or ctx ends.
func waitFor(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// clusterPorts finds n free loopback ports p whose cluster bus port,
// p+10000, is free too.
func clusterPorts(n int) ([]int, error) {
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for tries := 0; len(ports) < n && tries < 200; tries++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		p := l.Addr().(*net.TCPAddr).Port
		if p+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+10000)))
		if err != nil {
			continue
		}
		held = append(held, bus)
		ports = append(ports, p)
	}
	if len(ports) < n {
		return nil, fmt.Errorf("found %d free port pairs (p, p+10000), need %d", len(ports), n)
	}
	return ports, nil
}

// removeStaleClusterDirs removes the directories of clusters started by
// test binaries that have exited.
func removeStaleClusterDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), clusterDirPattern+"*"))
	for _, m := range matches {
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(m), clusterDirPattern), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(m)
		}
	}
}
