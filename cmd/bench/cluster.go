package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/cmd/internal/sandboxworld"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// People of the bench's Slack workspace.
const (
	requester = "U0RITA"
	approver  = "U0ADA"
	approver2 = "U0MARIA"
	stranger  = "U0ERIN" // neither approver nor requester
	prefix    = "bench:"
)

// benchSku licenses the generated users: Exchange Online plan 2, with
// room for all of them.
var benchSku = mailbox.Sku{ID: "5d6a7f0e-0000-4b00-9000-00000000be9c", PartNumber: "BENCH_E3", Enabled: 100000,
	ServicePlans: []string{mailbox.PlanExchangeOnline2}}

// userUPN is the address of generated user i.
func userUPN(i int) string { return fmt.Sprintf("user%05d@%s", i, sandbox.ContosoDomain) }

// cluster is the sandbox world, a Redis server of its own and replicas of
// `mailboxbot serve` as child processes.
type cluster struct {
	dir      string
	logs     string
	bin      string
	world    *sandboxworld.World
	redis    *redisServer
	rdb      *redis.Client
	store    *redisstore.Store
	env      map[string]string
	replicas []*replica
}

type clusterConfig struct {
	Users        int               // generated users user00000@ ...
	ConvLag      int               // sandbox.Options.ConversionLag
	AOF          bool              // Redis with append-only persistence
	Env          map[string]string // settings added to serve's environment
	Replicas     int
	ExchangeRate float64 // Exchange calls a second; 0: unthrottled
	// Bin, when set, is the mailboxbot binary to run; else the bench builds
	// this one.
	Bin string
	// Replica, when set, gives replica i settings of its own added to Env,
	// and the niceness it runs at (0: as the bench).
	Replica func(i int) (env map[string]string, nice int)
}

// newCluster builds mailboxbot, starts Redis, the sandbox world and the
// replicas, and waits until every replica is ready.
func newCluster(ctx context.Context, cfg clusterConfig) (*cluster, error) {
	dir, err := os.MkdirTemp("", "mailboxbot-bench-")
	if err != nil {
		return nil, err
	}
	// The replicas' logs outlive the run, to read after a failure.
	logs, err := os.MkdirTemp("", "mailboxbot-bench-logs-")
	if err != nil {
		return nil, err
	}
	fmt.Println("replica logs:", logs)
	c := &cluster{dir: dir, logs: logs}
	fail := func(err error) (*cluster, error) { c.close(); return nil, err }
	c.bin = filepath.Join(dir, "mailboxbot")
	if cfg.Bin != "" {
		c.bin = cfg.Bin
	} else {
		build := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "github.com/mailboxbot/mailboxbot/cmd/mailboxbot")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fail(fmt.Errorf("go build mailboxbot: %w", err))
		}
	}
	if err := sandboxworld.WriteCert(filepath.Join(dir, "ca.pem")); err != nil {
		return fail(err)
	}
	c.redis, err = startRedis(ctx, dir, cfg.AOF)
	if err != nil {
		return fail(err)
	}
	c.rdb = redis.NewClient(&redis.Options{Addr: c.redis.addr})
	c.store = redisstore.NewStore(c.rdb, prefix)

	tenant := sandbox.NewContoso(sandbox.Options{ConversionLag: cfg.ConvLag})
	if err := tenant.AddSku(benchSku); err != nil {
		return fail(err)
	}
	specs := make([]sandbox.UserSpec, cfg.Users)
	for i := range specs {
		specs[i] = sandbox.UserSpec{UserPrincipalName: userUPN(i), DisplayName: fmt.Sprintf("Bench User %d", i),
			Licenses: []mailbox.License{{SkuID: benchSku.ID}}, MailboxSizeBytes: 1 << 30}
	}
	if err := tenant.AddUsers(specs...); err != nil {
		return fail(err)
	}
	c.world = sandboxworld.New(tenant)
	for _, p := range []struct{ id, name, email string }{
		{requester, "Rita Ramos", "rita@contoso.com"}, {approver, "Ada Admin", "ada@contoso.com"},
		{approver2, "Maria Martens", "maria@contoso.com"}, {stranger, "Erin Evans", "erin@contoso.com"},
	} {
		c.world.Slack.AddUser(p.id, p.name, p.email)
	}
	c.world.Exchange.Throttle(cfg.ExchangeRate)
	c.env = c.world.Env("redis://"+c.redis.addr, prefix, "")
	for k, v := range map[string]string{
		"MAILBOXBOT_APPROVAL_CONVERT": "approvers", "MAILBOXBOT_APPROVERS": approver,
		"MAILBOXBOT_AUDIT_CHANNEL": "C0AUDIT", "LOG_FORMAT": "json", "LOG_LEVEL": "info",
		"SSL_CERT_FILE": filepath.Join(dir, "ca.pem"),
	} {
		c.env[k] = v
	}
	for k, v := range cfg.Env {
		c.env[k] = v
	}
	for i := range cfg.Replicas {
		addr, err := freeAddr()
		if err != nil {
			return fail(err)
		}
		r := &replica{n: i, addr: addr}
		if cfg.Replica != nil {
			r.env, r.nice = cfg.Replica(i)
		}
		c.replicas = append(c.replicas, r)
		if err := c.start(ctx, r); err != nil {
			return fail(err)
		}
	}
	return c, nil
}

func (c *cluster) close() {
	for _, r := range c.replicas {
		r.stop()
	}
	if c.world != nil {
		c.world.Close()
	}
	if c.rdb != nil {
		c.rdb.Close()
	}
	if c.redis != nil {
		c.redis.stop()
	}
	os.RemoveAll(c.dir)
}

// replica is one `mailboxbot serve` process.
type replica struct {
	n    int
	addr string
	env  map[string]string // added to the cluster's
	nice int
	cmd  *exec.Cmd
	done chan error
}

func (r *replica) url() string { return "http://" + r.addr }

// start runs r and waits until /readyz answers 200.
func (c *cluster) start(ctx context.Context, r *replica) error {
	env := []string{"LISTEN_ADDR=" + r.addr}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range c.env {
		if _, own := r.env[k]; k != "LISTEN_ADDR" && !own {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range r.env {
		env = append(env, k+"="+v)
	}
	logf, err := os.OpenFile(filepath.Join(c.logs, fmt.Sprintf("replica-%d.log", r.n)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	r.cmd = exec.Command(c.bin, "serve")
	if r.nice != 0 {
		// nice(1) sets the priority before mailboxbot starts, so that every
		// thread of the Go runtime has it.
		r.cmd = exec.Command("nice", "-n", strconv.Itoa(r.nice), c.bin, "serve")
	}
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = env, logf, logf
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(r.cmd, r.done)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(r.url() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-r.done:
			r.done <- err
			return fmt.Errorf("replica %d exited: %v (log in %s)", r.n, err, logf.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("replica %d not ready after 30s", r.n)
}

// dead says which replicas exited on their own (not killed by the bench).
func (c *cluster) dead() string {
	var out []string
	for _, r := range c.replicas {
		select {
		case err := <-r.done:
			r.done <- err
			out = append(out, fmt.Sprintf("replica %d exited by itself (%v): see %s", r.n, err, filepath.Join(c.logs, fmt.Sprintf("replica-%d.log", r.n))))
		default:
		}
	}
	if len(out) == 0 {
		return "every replica runs"
	}
	return strings.Join(out, "; ")
}

// kill sends SIGKILL: no shutdown, no hand-back.
func (r *replica) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		<-r.done
		r.done <- nil
	}
}

// stop sends SIGTERM and waits.
func (r *replica) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// rssKiB is the resident set size (VmRSS) in KiB of the process and its
// children.
func rssKiB(pid int) (int64, error) {
	own, err := vmRSS(pid)
	if err != nil {
		return 0, err
	}
	// serve's job process is its child: the bot's memory is both.
	for _, c := range childPids(pid) {
		if v, err := vmRSS(c); err == nil {
			own += v
		}
	}
	return own, nil
}

func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// childPids are the processes whose parent is pid: each thread of pid
// lists the children it forked.
func childPids(pid int) []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(c); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// redisServer is a redis-server child process of the bench's own, so that
// its memory is the bot's alone and it can be restarted.
type redisServer struct {
	addr, dir string
	aof       bool
	cmd       *exec.Cmd
	done      chan error
}

func startRedis(ctx context.Context, dir string, aof bool) (*redisServer, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New("redis-server is not on PATH: the bench starts a Redis of its own (apt-get install redis-server)")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	r := &redisServer{addr: addr, dir: dir, aof: aof}
	return r, r.start(ctx)
}

func (r *redisServer) start(ctx context.Context) error {
	_, port, _ := net.SplitHostPort(r.addr)
	appendonly := "no"
	if r.aof {
		appendonly = "yes"
	}
	r.cmd = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", appendonly, "--appendfsync", "everysec")
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	r.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(r.cmd, r.done)
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	defer rdb.Close()
	for range 200 {
		if rdb.Ping(ctx).Err() == nil {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer", r.addr)
}

// restart stops Redis the way a service manager does (SIGTERM: the
// append-only file is flushed) and starts it again on the same port and
// files. It returns how long Redis was down.
func (r *redisServer) restart(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	r.stop()
	err := r.start(ctx)
	return time.Since(start), err
}

func (r *redisServer) stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	<-r.done
	r.cmd = nil
}

// usedMemory is Redis's used_memory in bytes.
func (c *cluster) usedMemory(ctx context.Context) (int64, error) {
	info, err := c.rdb.InfoMap(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
}

// queueIdle reports whether no job is pending, active or scheduled soon
// in the bot's queue.
func (c *cluster) queueBusy(ctx context.Context) (int64, error) {
	q := "asynq:{" + strings.TrimSuffix(prefix, ":") + "}:"
	p := c.rdb.Pipeline()
	pending := p.LLen(ctx, q+"pending")
	active := p.LLen(ctx, q+"active")
	if _, err := p.Exec(ctx); err != nil {
		return 0, err
	}
	return pending.Val() + active.Val(), nil
}

// states counts the requests by state, and lists those not succeeded.
func (c *cluster) states(ctx context.Context, ids []string) (map[bot.State]int, []string, error) {
	counts := map[bot.State]int{}
	var open []string
	for _, id := range ids {
		r, err := c.store.Get(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		counts[r.State]++
		if r.State != bot.StateSucceeded {
			open = append(open, id)
		}
	}
	return counts, open, nil
}
