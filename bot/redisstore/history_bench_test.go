package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// BenchmarkHistory measures what a Home refresh and `list` cost, and the
// Redis memory a finished request takes, behind 100,000 finished requests
// against the same behind 100 (issue 17; MAILBOXBOT_BENCH_HISTORY sets the
// larger size). One approver, U0MARIA, decided all of them and has 5
// waiting; requests are spread over 50 requesters. Run it against a real
// Redis:
//
//	MAILBOXBOT_REQUIRE_REDIS=1 go test ./bot/redisstore/ -run '^$' -bench BenchmarkHistory -benchtime 500x -count 3
//
// Both stores are loaded first; then each iteration reads the small one
// and the large one in turn, so that a machine busy with other work slows
// both alike, and the ratio is the figure. home is the Store reads of
// maria's Home tab as bot.Service.home makes them (she is an admin:
// waiting, her own, everyone's); list those of her `list`; waiting and
// everyone two of them alone. Each reports, for the small and the large
// store, ms/op and Redis commands per op, the time ratio large/small, and
// bytes/finished: the sum of MEMORY USAGE over the store's keys divided by
// its finished requests.
func BenchmarkHistory(b *testing.B) {
	large := 100_000
	if v, err := strconv.Atoi(os.Getenv("MAILBOXBOT_BENCH_HISTORY")); err == nil && v > 0 {
		large = v
	}
	small := loadHistory(b, 100)
	big := loadHistory(b, large)
	queries := map[string][]bot.ListQuery{
		// bot.Service.home: waiting, her own, and (an admin) everyone's.
		"home": {{Approver: benchApprover, Pending: true}, {Requester: benchApprover, Limit: 10}, {Limit: 20}},
		// bot.Service.listAnswer.
		"list":     {{Approver: benchApprover, Pending: true}, {Requester: benchApprover, Limit: 10}},
		"waiting":  {{Approver: benchApprover, Pending: true}},
		"everyone": {{Limit: 20}},
	}
	for _, name := range []string{"home", "list", "waiting", "everyone"} {
		b.Run(name, func(b *testing.B) {
			var took [2]time.Duration
			var cmds [2]int64
			for b.Loop() {
				for i, h := range []*history{small, big} {
					h.count.Take()
					start := time.Now()
					for _, q := range queries[name] {
						rs, err := h.store.List(context.Background(), q)
						if err != nil {
							b.Fatal(err)
						}
						if q.Pending && len(rs) != 5 {
							b.Fatalf("maria waits for %d requests, want 5", len(rs))
						}
					}
					took[i] += time.Since(start)
					cmds[i] += h.count.Take()
				}
			}
			n := float64(b.N)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(took[0].Microseconds())/1000/n, "small-ms/op")
			b.ReportMetric(float64(took[1].Microseconds())/1000/n, "large-ms/op")
			b.ReportMetric(float64(took[1])/float64(took[0]), "ratio")
			b.ReportMetric(float64(cmds[0])/n, "small-cmds/op")
			b.ReportMetric(float64(cmds[1])/n, "large-cmds/op")
			b.ReportMetric(small.bytes, "small-bytes/finished")
			b.ReportMetric(big.bytes, "large-bytes/finished")
		})
	}
}

// history is a store loaded with finished requests.
type history struct {
	store *redisstore.Store
	count *redistest.Counter
	bytes float64 // MEMORY USAGE of its keys per finished request
}

const benchApprover = "U0MARIA"

// finishedRequest is a realistic finished conversion: planned, approved,
// run in two steps, with the history a real one has.
func finishedRequest(i int, at time.Time) *bot.Request {
	r := storetest.NewRequest(fmt.Sprintf("req_%08x", i), fmt.Sprintf("leaver%06d@contoso.com", i))
	r.Requester = fmt.Sprintf("U0REQ%03d", i%50)
	r.Approvers = []string{benchApprover}
	r.State = bot.StateSucceeded
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = at, at.Add(3*time.Minute), at.Add(24*time.Hour)
	r.Decision = &bot.Decision{By: benchApprover, At: at.Add(time.Minute), Approved: true, Click: "1700000000.123456"}
	for j := range r.Steps {
		r.Steps[j].Status, r.Steps[j].Attempts = mailbox.Done, 1
		r.Steps[j].StartedAt, r.Steps[j].EndedAt = at.Add(time.Minute), at.Add(2*time.Minute)
	}
	r.History = []bot.Event{
		{At: at, Actor: r.Requester, Type: "created", To: bot.StatePending},
		{At: at.Add(time.Minute), Actor: benchApprover, Type: "approved", From: bot.StatePending, To: bot.StateApproved},
		{At: at.Add(time.Minute), Actor: "bot", Type: "running", From: bot.StateApproved, To: bot.StateRunning},
		{At: at.Add(2 * time.Minute), Actor: "bot", Type: "step", Note: "convert_to_shared: done"},
		{At: at.Add(3 * time.Minute), Actor: "bot", Type: "succeeded", From: bot.StateRunning, To: bot.StateSucceeded},
	}
	return r
}

// loadHistory fills a store with n finished requests (decided by maria)
// and then 5 waiting for her, older than most of what she decided.
func loadHistory(b *testing.B, n int) *history {
	ctx := context.Background()
	rdb, prefix := redistest.Client(b)
	if redistest.IsEmbedded(b, rdb) {
		b.Skip("needs a real Redis (MEMORY USAGE)")
	}
	s := redisstore.NewStore(rdb, prefix)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const chunk = 1000
	for i := 0; i < n; i += chunk {
		rs := make([]*bot.Request, 0, chunk)
		for j := i; j < min(i+chunk, n); j++ {
			rs = append(rs, finishedRequest(j, t0.Add(time.Duration(j)*time.Minute)))
		}
		if err := s.Load(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
	used := keyBytes(b, rdb, prefix)
	for i := range 5 {
		r := storetest.NewRequest(fmt.Sprintf("req_w%d", i), fmt.Sprintf("waiting%d@contoso.com", i))
		r.Requester, r.Approvers = "U0REQ001", []string{benchApprover}
		r.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		if err := s.Create(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	return &history{store: s, count: redistest.Count(rdb), bytes: float64(used) / float64(n)}
}

// keyBytes sums MEMORY USAGE (exact: SAMPLES 0) over the keys under prefix.
func keyBytes(b *testing.B, rdb *redis.Client, prefix string) int64 {
	ctx := context.Background()
	var total int64
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			b.Fatal(err)
		}
		cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.MemoryUsage(ctx, k, 0)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cmds {
			total += c.(*redis.IntCmd).Val()
		}
		if cursor = next; cursor == 0 {
			return total
		}
	}
}
