package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// A conversion changes each mailbox in these four ways, once each.
var conversionChanges = []sandbox.ChangeKind{sandbox.ChangeSessionsRevoked, sandbox.ChangeAccountEnabled,
	sandbox.ChangeMailboxType, sandbox.ChangeLicenseRemoved}

// bulkBench: n conversion requests, approved together, run by replicas
// against Exchange throttled to rate calls a second, with an optional
// fault during the run.
func bulkBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	n := fs.Int("n", 1000, "conversion requests")
	replicas := fs.Int("replicas", 3, "mailboxbot serve processes")
	rate := fs.Float64("exchange-rate", 50, "Exchange calls a second the sandbox lets through; the rest get 429 with Retry-After")
	fault := fs.String("fault", "none", "none | kill (kill -9 a random replica every 2-6s, restarted at once) | redis (restart Redis, append-only, every 20s) | errors (Exchange 429 and Graph 503 on one call in five)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after")
	removeAccess := fs.Bool("remove-access", false, "plan each conversion with remove-access (MAILBOXBOT_LEAVER_REMOVE_ACCESS): each plan then reads every shared mailbox's permissions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *fault {
	case "none", "kill", "redis", "errors":
	default:
		return fmt.Errorf("-fault %q: want none, kill, redis or errors", *fault)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	fmt.Printf("bulk: %d conversions, %d replicas, Exchange throttled to %.0f calls/s, fault: %s\n", *n, *replicas, *rate, *fault)
	c, err := newCluster(ctx, clusterConfig{Users: *n, ConvLag: 1, AOF: true, Replicas: *replicas, ExchangeRate: *rate,
		// One requester asks for all: no per-person limit (MAILBOXBOT_RATE_PER_USER, 20 a minute by default).
		// remove-access off: with it each plan reads every shared mailbox's permissions, so the
		// calls grow with the square of the run and the floor below (4 changes and their reads
		// per mailbox) would not be the floor (-remove-access measures that cost).
		Env: map[string]string{"MAILBOXBOT_VERIFY_DELAY": "1s", "LOG_LEVEL": "warn", "MAILBOXBOT_RATE_PER_USER": "0",
			"MAILBOXBOT_LEAVER_REMOVE_ACCESS": strconv.FormatBool(*removeAccess)}})
	if err != nil {
		return err
	}
	defer c.close()
	if *fault == "errors" {
		c.world.Exchange.FailEvery(5, http.StatusTooManyRequests, "1")
		c.world.Graph.FailEvery(5, http.StatusServiceUnavailable, "")
	}

	m0, err := c.usedMemory(ctx)
	if err != nil {
		return err
	}
	addrs := make([]string, *n)
	for i := range addrs {
		addrs[i] = userUPN(i)
	}
	t0 := time.Now()
	if err := ask(ctx, c, addrs, 16); err != nil {
		return err
	}
	asks, err := approvals(ctx, c.world.Slack, approver, *n)
	if err != nil {
		return err
	}
	if err := c.settle(ctx); err != nil {
		return err
	}
	m1, err := c.usedMemory(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d requests pending after %s; Redis used_memory %d → %d bytes: %.0f bytes per pending request\n",
		len(asks), time.Since(t0).Round(time.Millisecond), m0, m1, float64(m1-m0)/float64(len(asks)))

	ids := slices.Sorted(maps.Keys(asks))
	before := c.world.Exchange.FaultCounts()
	callsBefore := len(c.world.Exchange.Calls())
	start := time.Now()
	bad := clickAll(ctx, c, asks, ids, approver, 64)
	fmt.Printf("%d Approve clicks sent in %s, %d not answered 200\n", len(ids), time.Since(start).Round(time.Millisecond), bad)

	stopFaults := c.inject(ctx, *fault)
	counts, open, err := c.waitDone(ctx, ids, start)
	total := time.Since(start)
	faults := stopFaults()
	if err != nil {
		return err
	}
	after := c.world.Exchange.FaultCounts()
	calls := after.Served - before.Served
	floor := time.Duration(float64(calls) / *rate * float64(time.Second))
	fmt.Printf("\nall %d requests ended in %s: %v\n", len(ids), total.Round(time.Millisecond), counts)
	if len(open) > 0 {
		fmt.Printf("not succeeded: %v\n", open[:min(len(open), 20)])
	}
	fmt.Printf("Exchange after approval: %d calls served, %d throttled (429), %d failed on purpose\n",
		calls, after.Throttled-before.Throttled, after.Injected-before.Injected)
	byCmdlet := map[string]int{}
	for _, call := range c.world.Exchange.Calls()[callsBefore:] {
		byCmdlet[call.Cmdlet]++
	}
	fmt.Printf("Exchange requests after approval by cmdlet, refused ones included: %v\n", byCmdlet)
	g := c.world.Graph.FaultCounts()
	fmt.Printf("Graph over the whole run: %d calls served, %d failed on purpose\n", g.Served, g.Injected)
	if *rate > 0 {
		fmt.Printf("floor %s (%d calls ÷ %.0f/s); total/floor %.3f (target ≤ 1.2)\n", floor.Round(time.Millisecond), calls, *rate, total.Seconds()/floor.Seconds())
	}
	if faults != "" {
		fmt.Println("faults:", faults)
	}
	once, twice := c.changedOnce(addrs)
	fmt.Printf("mailboxes changed exactly once in each of the 4 ways: %d of %d; changes made more than once: %v\n", once, len(addrs), twice)
	health := c.dead()
	fmt.Println("replicas at the end:", health)
	if once != len(addrs) || counts[bot.StateSucceeded] != len(ids) || health != "every replica runs" {
		return fmt.Errorf("not every request completed with each change made once")
	}
	return nil
}

// clickAll has who click Approve on every request in ids, conc at a time,
// spread over the replicas; it returns how many clicks were not answered
// 200, and prints the first three.
func clickAll(ctx context.Context, c *cluster, asks map[string]slacktest.Entry, ids []string, who string, conc int) int {
	shots := make([]shot, len(ids))
	for i, id := range ids {
		sh, err := clickShot(c.world.Slack, who, asks[id], "approve")
		if err != nil {
			fmt.Printf("  click on %s: %v\n", id, err)
			return len(ids)
		}
		shots[i] = sh
	}
	errs := sendAll(ctx, c, shots, conc, nil)
	for _, err := range errs[:min(len(errs), 3)] {
		fmt.Printf("  click: %v\n", err)
	}
	return len(errs)
}

// inject starts the fault and returns a function that stops it and says
// what was done.
func (c *cluster) inject(ctx context.Context, fault string) (stop func() string) {
	done := make(chan struct{})
	finished := make(chan string, 1)
	go func() {
		var log []string
		defer func() { finished <- strings.Join(log, "; ") }()
		switch fault {
		case "kill":
			kills := 0
			var down []time.Duration
			rs := &resumes{}
			for {
				select {
				case <-done:
					log = append(log, fmt.Sprintf("%d replicas killed with SIGKILL and restarted; restart to ready: median %s, max %s",
						kills, median(down).Round(time.Millisecond), slices.Max(append(down, 0)).Round(time.Millisecond)),
						"resume after SIGKILL: "+rs.String())
					return
				case <-time.After(time.Duration(2000+rand.IntN(4000)) * time.Millisecond):
				}
				r := c.replicas[rand.IntN(len(c.replicas))]
				running := c.running(ctx, r.cmd.Process.Pid)
				t := time.Now()
				r.kill()
				rs.pending.Add(1)
				go rs.watch(ctx, c, running, t)
				kills++
				if err := c.start(ctx, r); err != nil {
					log = append(log, "restart failed: "+err.Error())
					return
				}
				down = append(down, time.Since(t))
			}
		case "redis":
			var down []time.Duration
			for {
				select {
				case <-done:
					log = append(log, fmt.Sprintf("Redis restarted %d times (SIGTERM, append-only file, same port); down for %v", len(down), down))
					return
				case <-time.After(20 * time.Second):
				}
				d, err := c.redis.restart(ctx)
				if err != nil {
					log = append(log, "Redis restart failed: "+err.Error())
					return
				}
				down = append(down, d.Round(time.Millisecond))
			}
		case "errors":
			<-done
			log = append(log, "Exchange answered 429 (Retry-After 1) and Graph 503 to every fifth call")
		default:
			<-done
		}
	}()
	var once sync.Once
	result := ""
	return func() string {
		once.Do(func() { close(done); result = <-finished })
		return result
	}
}

// waitDone polls the requests until none is pending, approved, running
// or waiting, printing progress every 10 seconds. It gives up when nothing
// moved for 5 minutes (a replica resumes a killed one's jobs within seconds).
func (c *cluster) waitDone(ctx context.Context, ids []string, start time.Time) (map[bot.State]int, []string, error) {
	last, moved := time.Now(), time.Now()
	var before map[bot.State]int
	for {
		counts, open, err := c.states(ctx, ids)
		if err == nil && !maps.Equal(counts, before) {
			before, moved = counts, time.Now()
		} else if time.Since(moved) > 5*time.Minute {
			return counts, open, fmt.Errorf("nothing moved for 5 minutes: %v; %s", counts, c.dead())
		}
		if err == nil {
			ended := 0
			for s, k := range counts {
				if s.Terminal() {
					ended += k
				}
			}
			if ended == len(ids) {
				return counts, open, nil
			}
			if time.Since(last) > 10*time.Second {
				fmt.Printf("  %6.1fs %v\n", time.Since(start).Seconds(), counts)
				last = time.Now()
			}
		}
		// A Redis restart makes a poll fail; the next one will do.
		select {
		case <-ctx.Done():
			return counts, open, fmt.Errorf("gave up waiting: %v (%w)", counts, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// changedOnce counts the mailboxes changed in each of the conversion's
// ways exactly once, and tallies the changes made more than once.
func (c *cluster) changedOnce(addrs []string) (int, map[sandbox.ChangeKind]int) {
	once := 0
	twice := map[sandbox.ChangeKind]int{}
	for _, a := range addrs {
		got := c.world.Tenant.ChangeCount(a)
		ok := len(got) == len(conversionChanges)
		for _, k := range conversionChanges {
			if got[k] != 1 {
				ok = false
			}
		}
		for k, v := range got {
			if v > 1 {
				twice[k]++
			}
		}
		if ok {
			once++
		}
	}
	return once, twice
}
