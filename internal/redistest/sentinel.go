package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name under which the Sentinels of StartSentinel
// monitor their master.
const SentinelMaster = "mbbtest"

// Sentinel timings of StartSentinel: short, so that a failover takes
// seconds. A master is thought down after SentinelDownAfter without an
// answer; a failover that stalls is tried again after SentinelFailoverTimeout.
const (
	SentinelDownAfter       = time.Second
	SentinelFailoverTimeout = 3 * time.Second
)

// SentinelSet is a master, one replica and three Sentinels, each a
// redis-server process on a free loopback port, with its files in a
// temporary directory. The processes are killed when the test ends.
type SentinelSet struct {
	t         testing.TB
	Master    string   // host:port of the master at the start
	Replica   string   // host:port of the replica at the start
	Sentinels []string // host:port of the three Sentinels

	mu    sync.Mutex
	procs map[string]*exec.Cmd // by address
	logs  map[string]string    // log file by address
}

// StartSentinel starts a SentinelSet from the redis-server binary on PATH
// and waits until the replica has synced and every Sentinel knows the
// replica and the two other Sentinels, so that a failover can be
// authorised at once. Without redis-server the test is skipped, or fails
// under MAILBOXBOT_REQUIRE_REDIS=1.
func StartSentinel(t testing.TB) *SentinelSet {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("redistest: redis-server is not on PATH, and %s=1 requires the Sentinel test to run (install Debian's redis-server)", EnvRequire)
		}
		t.Skipf("redistest: redis-server is not on PATH: the Sentinel test needs it (install Debian's redis-server; %s=1 makes this a failure)", EnvRequire)
	}
	dir := t.TempDir()
	s := &SentinelSet{t: t, procs: map[string]*exec.Cmd{}, logs: map[string]string{}}
	t.Cleanup(s.stop)

	s.Master = freeLoopback(t)
	s.Replica = freeLoopback(t)
	_, masterPort, _ := net.SplitHostPort(s.Master)
	s.start(bin, dir, "master", s.Master, nil, "")
	s.start(bin, dir, "replica", s.Replica, []string{"--replicaof", "127.0.0.1", masterPort}, "")
	for i := range 3 {
		addr := freeLoopback(t)
		_, port, _ := net.SplitHostPort(addr)
		// Sentinel rewrites its configuration file as it learns: it must
		// be a file of its own, writable.
		conf := strings.Join([]string{
			"port " + port,
			"bind 127.0.0.1",
			"dir " + filepath.Join(dir, "sentinel-"+port),
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %s 2", SentinelMaster, masterPort),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", SentinelMaster, SentinelDownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", SentinelMaster, SentinelFailoverTimeout.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s 1", SentinelMaster),
			"",
		}, "\n")
		if err := os.MkdirAll(filepath.Join(dir, "sentinel-"+port), 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i))
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		s.start(bin, dir, fmt.Sprintf("sentinel-%d", i), addr, nil, path)
		s.Sentinels = append(s.Sentinels, addr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.waitUntil(ctx, "the replica to sync with the master", func(ctx context.Context) bool {
		return infoField(ctx, s.Replica, "replication", "master_link_status") == "up"
	})
	for _, addr := range s.Sentinels {
		s.waitUntil(ctx, "Sentinel "+addr+" to know the replica and the two other Sentinels", func(ctx context.Context) bool {
			c := sentinelClient(addr)
			defer c.Close()
			m, err := c.Master(ctx, SentinelMaster).Result()
			return err == nil && m["num-slaves"] == "1" && m["num-other-sentinels"] == "2" && !strings.Contains(m["flags"], "down")
		})
	}
	return s
}

// start runs redis-server for addr. conf, when not "", is a Sentinel's
// configuration file.
func (s *SentinelSet) start(bin, dir, name, addr string, extra []string, conf string) {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	logFile := filepath.Join(dir, name+".log")
	var args []string
	if conf != "" {
		args = []string{conf, "--sentinel", "--logfile", logFile}
	} else {
		data := filepath.Join(dir, name)
		if err := os.MkdirAll(data, 0o700); err != nil {
			s.t.Fatal(err)
		}
		args = append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", data, "--save", "",
			"--appendonly", "no", "--logfile", logFile}, extra...)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start %s: %v", name, err)
	}
	s.mu.Lock()
	s.procs[addr], s.logs[addr] = cmd, logFile
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.waitUntil(ctx, name+" to answer on "+addr, func(ctx context.Context) bool {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		defer c.Close()
		return c.Ping(ctx).Err() == nil
	})
}

// KillMaster kills the current master with SIGKILL (no chance to flush or
// to tell anyone) and returns the address it had.
func (s *SentinelSet) KillMaster(ctx context.Context) string {
	s.t.Helper()
	master, err := s.MasterAddr(ctx)
	if err != nil {
		s.t.Fatalf("redistest: which master: %v", err)
	}
	s.mu.Lock()
	cmd := s.procs[master]
	delete(s.procs, master)
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatalf("redistest: the master %s is not a process of this set", master)
	}
	if err := cmd.Process.Kill(); err != nil {
		s.t.Fatalf("redistest: kill the master: %v", err)
	}
	_ = cmd.Wait()
	return master
}

// WaitReplicated waits until the replica has every write the master has
// acknowledged so far (its replication offset has reached the master's):
// replication is asynchronous, and on a loaded machine the replica can lag
// by seconds. A test that is about the failover itself, not about what
// such a lag loses, calls it before KillMaster.
func (s *SentinelSet) WaitReplicated(ctx context.Context) {
	s.t.Helper()
	master, err := s.MasterAddr(ctx)
	if err != nil {
		s.t.Fatalf("redistest: which master: %v", err)
	}
	want := infoField(ctx, master, "replication", "master_repl_offset")
	s.waitUntil(ctx, "the replica to reach the master's replication offset "+want, func(ctx context.Context) bool {
		got := infoField(ctx, s.Replica, "replication", "slave_repl_offset")
		w, err1 := strconv.ParseInt(want, 10, 64)
		g, err2 := strconv.ParseInt(got, 10, 64)
		return err1 == nil && err2 == nil && g >= w
	})
}

// MasterAddr asks the first Sentinel that answers which server is the master.
func (s *SentinelSet) MasterAddr(ctx context.Context) (string, error) {
	var errs []error
	for _, addr := range s.Sentinels {
		a, err := askMaster(ctx, addr)
		if err == nil {
			return a, nil
		}
		errs = append(errs, fmt.Errorf("sentinel %s: %w", addr, err))
	}
	return "", errors.Join(errs...)
}

// WaitFailover waits until every Sentinel names a master other than old
// and that server answers as a master; it returns the new master.
func (s *SentinelSet) WaitFailover(ctx context.Context, old string) string {
	s.t.Helper()
	var now string
	s.waitUntil(ctx, "the Sentinels to promote a new master in place of "+old, func(ctx context.Context) bool {
		now = ""
		for _, addr := range s.Sentinels {
			a, err := askMaster(ctx, addr)
			if err != nil || a == old || (now != "" && a != now) {
				return false
			}
			now = a
		}
		return infoField(ctx, now, "replication", "role") == "master"
	})
	return now
}

// waitUntil polls ok every 50 ms (waitFor) until it holds; when ctx ends
// first the test fails, with the logs of the set.
func (s *SentinelSet) waitUntil(ctx context.Context, what string, ok func(context.Context) bool) {
	s.t.Helper()
	err := waitFor(ctx, func() error {
		step, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if ok(step) {
			return nil
		}
		return errors.New("not yet")
	})
	if err != nil {
		s.t.Fatalf("redistest: waited for %s: %v\n%s", what, ctx.Err(), s.tails())
	}
}

// tails returns the last lines of every process's log, for a failure.
func (s *SentinelSet) tails() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for addr, path := range s.logs {
		data, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", addr, filepath.Base(path), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// stop kills every process still running.
func (s *SentinelSet) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, cmd := range s.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(s.procs, addr)
	}
}

// sentinelClient is a client of one Sentinel that does not retry.
func sentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
}

// askMaster asks the Sentinel at addr where the master is.
func askMaster(ctx context.Context, addr string) (string, error) {
	c := sentinelClient(addr)
	defer c.Close()
	m, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil {
		return "", err
	}
	if len(m) != 2 {
		return "", fmt.Errorf("answered %v", m)
	}
	return net.JoinHostPort(m[0], m[1]), nil
}

// infoField reads one field of INFO section from the server at addr, "" when
// it cannot.
func infoField(ctx context.Context, addr, section, field string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	info, err := c.Info(ctx, section).Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// freeLoopback returns a loopback address whose port was free a moment ago.
func freeLoopback(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
