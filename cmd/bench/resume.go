package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// resumeGiveUp is how long after a kill the bench waits for a killed
// job's request to move again before it counts it as not resumed.
const resumeGiveUp = time.Minute

// resumes measures, for each job a killed replica was running, how long
// after the kill its request moved again (its record in Redis changed).
type resumes struct {
	mu      sync.Mutex
	took    []time.Duration
	missed  int
	pending sync.WaitGroup
}

// ownersKey is where the queue records which process runs which job
// (bot/redisstore's resume.go).
func ownersKey() string { return "asynq:{" + strings.TrimSuffix(prefix, ":") + "}:mailboxbot:owners" }

// running returns the requests whose run jobs the serve process pid (or
// its job process, whose lease serve holds: host/pid/random) is running.
func (c *cluster) running(ctx context.Context, pid int) []string {
	owners, err := c.rdb.HGetAll(ctx, ownersKey()).Result()
	if err != nil {
		return nil
	}
	var ids []string
	for job, owner := range owners {
		if !strings.Contains(owner, "/"+strconv.Itoa(pid)+"/") {
			continue
		}
		if rest, ok := strings.CutPrefix(job, "run:"); ok {
			if i := strings.LastIndexByte(rest, ':'); i > 0 {
				ids = append(ids, rest[:i])
			}
		}
	}
	return ids
}

// mark is what changes in a request's record when its work moves on.
func (c *cluster) mark(ctx context.Context, id string) (string, bool) {
	r, err := c.store.Get(ctx, id)
	if err != nil {
		return "", false
	}
	n := 0
	for _, st := range r.Steps {
		n += st.Attempts
	}
	return fmt.Sprint(r.State, n, len(r.History)), r.State.Terminal()
}

// watch follows the requests ids, whose jobs were killed at killed, until
// each moves again (or resumeGiveUp passes).
// The caller adds one to rs.pending for it.
func (rs *resumes) watch(ctx context.Context, c *cluster, ids []string, killed time.Time) {
	defer rs.pending.Done()
	// The killed process's job process dies with it (its parent-death
	// signal): read the records once it can no longer write.
	time.Sleep(50 * time.Millisecond)
	for _, id := range ids {
		before, done := c.mark(ctx, id)
		if done || before == "" {
			continue
		}
		rs.pending.Add(1)
		go func() {
			defer rs.pending.Done()
			for time.Since(killed) < resumeGiveUp && ctx.Err() == nil {
				if now, _ := c.mark(ctx, id); now != "" && now != before {
					rs.mu.Lock()
					rs.took = append(rs.took, time.Since(killed))
					rs.mu.Unlock()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			rs.mu.Lock()
			rs.missed++
			rs.mu.Unlock()
		}()
	}
}

// String waits for the requests being watched and says how long they took.
func (rs *resumes) String() string {
	rs.pending.Wait()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.took)+rs.missed == 0 {
		return "no job was running on a killed replica"
	}
	return fmt.Sprintf("%d jobs were running on the killed replicas; their requests moved again after: median %s, max %s; %d not within %s",
		len(rs.took), median(rs.took).Round(time.Millisecond), slices.Max(append(rs.took, 0)).Round(time.Millisecond), rs.missed, resumeGiveUp)
}

// idleBench: Redis commands a second that replicas send while there is
// nothing to do (INFO commandstats over the interval).
func idleBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("idle", flag.ContinueOnError)
	replicas := fs.Int("replicas", 1, "mailboxbot serve processes")
	d := fs.Duration("for", 30*time.Second, "how long to count")
	bin := fs.String("bin", "", "a mailboxbot binary to run instead of building this one (to measure another version)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := newCluster(ctx, clusterConfig{Users: 1, Replicas: *replicas, Bin: *bin, Env: map[string]string{"LOG_LEVEL": "warn"}})
	if err != nil {
		return err
	}
	defer c.close()
	time.Sleep(5 * time.Second) // past the start's own traffic
	if err := c.rdb.ConfigResetStat(ctx).Err(); err != nil {
		return err
	}
	time.Sleep(*d)
	info, err := c.rdb.InfoMap(ctx, "commandstats").Result()
	if err != nil {
		return err
	}
	calls := map[string]int{}
	total := 0
	for k, v := range info["Commandstats"] {
		name := strings.TrimPrefix(k, "cmdstat_")
		f, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
		n, _ := strconv.Atoi(f)
		if strings.HasPrefix(name, "config") || name == "info" { // the bench's own
			continue
		}
		calls[name] = n
		total += n
	}
	per := float64(total) / d.Seconds() / float64(*replicas)
	fmt.Printf("idle: %d replicas for %s: %d Redis commands (those run inside scripts included), %.1f a second per replica\n", *replicas, *d, total, per)
	names := slices.SortedFunc(maps.Keys(calls), func(a, b string) int { return calls[b] - calls[a] })
	for _, n := range names {
		fmt.Printf("  %-14s %6d  %.2f/s per replica\n", n, calls[n], float64(calls[n])/d.Seconds()/float64(*replicas))
	}
	return nil
}
