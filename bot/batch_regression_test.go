package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

func bulkTenant(t *testing.T, e *env, n int) []string {
	tn := sandbox.NewContoso(sandbox.Options{Now: e.clock.Now})
	var addrs []string
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("rv%02d@contoso.com", i)
		addrs = append(addrs, addr)
		if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: addr, DisplayName: addr, ManagerUPN: "maria@contoso.com",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.useTenant(tn)
	return addrs
}

func batchCmd(addrs []string, trig string) bot.Command {
	return bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared}, Mailboxes: addrs, User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: trig}
}

func batchID(t *testing.T, answer string) string {
	i := strings.Index(answer, "Request `bat_")
	if i < 0 {
		t.Fatalf("no batch in answer: %s", answer)
	}
	return answer[i+len("Request `") : i+len("Request `")+len("bat_")+8]
}

// failNthExpire fails the n-th enqueue of an expiry job, once.
type failNthExpire struct {
	bot.Queue
	n, seen int
}

func (q *failNthExpire) Enqueue(ctx context.Context, j bot.Job) error {
	if j.Type == bot.JobExpire {
		q.seen++
		if q.seen == q.n {
			return errors.New("redis: i/o timeout")
		}
	}
	return q.Queue.Enqueue(ctx, j)
}

// 1. A batch command job that stops after creating some requests can never
// finish: every retry fails on ErrExists of its own first request.
func TestRegressionBatchCommandCannotResume(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 3)
	e.cfg.Queue = &failNthExpire{Queue: e.queue, n: 2}
	e.restart()
	j := bot.Job{Type: bot.JobCommand, Command: ptr(batchCmd(addrs, "rv.1"))}
	err := e.svc.Handle(context.Background(), j)
	t.Logf("first run: %v", err)
	for i := range 3 { // the queue retries the job
		err = e.svc.Handle(context.Background(), j)
		t.Logf("retry %d: %v", i+1, err)
	}
	if err != nil {
		t.Errorf("the batch command never completes after a transient failure: %v", err)
	}
	if len(e.notes.answers) == 0 {
		t.Errorf("the requester was never answered")
	}
	h := e.home(maria)
	t.Logf("maria's Home shows %d requests waiting (with buttons), not in any batch message", len(h.Waiting))
}

func ptr[T any](v T) *T { return &v }

// failUpdateOnce fails the first Update of one request id.
type failUpdateOnce struct {
	bot.Store
	suffix string
	done   atomic.Bool
}

func (s *failUpdateOnce) Update(ctx context.Context, id string, fn func(*bot.Request) error) (*bot.Request, error) {
	if strings.HasSuffix(id, s.suffix) && s.done.CompareAndSwap(false, true) {
		return nil, errors.New("redis: connection reset by peer")
	}
	return s.Store.Update(ctx, id, fn)
}

// 2. One request of an approved batch whose decision fails transiently is
// left pending for good: the click job returns nil, a second click is told
// the batch was already decided.
func TestRegressionBatchDecisionLostOnTransientError(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 3)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.2")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	b := batchID(t, e.notes.lastAnswer(t))
	e.cfg.Store = &failUpdateOnce{Store: e.store, suffix: "_2"}
	e.restart()
	job := bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: b, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1700000000.100"}}
	if err := e.svc.Handle(context.Background(), job); err == nil {
		t.Fatal("a decision that did not reach every request was reported done: the queue would not run it again")
	}
	if err := e.svc.Handle(context.Background(), job); err != nil { // the queue runs it again
		t.Fatal(err)
	}
	r2 := e.get(strings.Replace(b, "bat_", "req_", 1) + "_2")
	if r2.State == bot.StatePending {
		t.Errorf("request %s of the approved batch is still %s; it will expire", r2.ID, r2.State)
	}
}

// 3. Status and cancel cannot name a batch, nor a request of a batch.
func TestRegressionBatchCancelAndStatus(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.3")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	b := batchID(t, e.notes.lastAnswer(t))
	if got := e.requestCommand(rita, bot.CommandCancel, b); !strings.Contains(got, "2 mailboxes cancelled") {
		t.Errorf("cancel %s by its requester: %s", b, got)
	}
	if got := e.requestCommand(rita, bot.CommandStatus, b); strings.Contains(got, "I don't know") {
		t.Errorf("status %s: %s", b, got)
	}
}

// 4. A batch's approver is never reminded.
func TestRegressionBatchNoReminder(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = 4 * time.Hour })
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.4")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	asked := len(e.notes.batchAsks)
	e.clock.Add(3 * time.Hour)
	e.drain()
	if len(e.notes.batchAsks) != asked+1 {
		t.Errorf("no reminder for the batch at half time: %v", e.notes.batchAsks)
	}
}

// 5. After expiry the batch approval message keeps its buttons; a late
// click marks the batch "Approved by maria" though every request expired,
// and maria is told nothing.
func TestRegressionBatchAfterExpiry(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = time.Hour })
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.5")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	b := batchID(t, e.notes.lastAnswer(t))
	e.clock.Add(2 * time.Hour)
	e.drain()
	n := len(e.notes.answers)
	e.click(maria, b, true)
	got, _ := e.store.GetBatch(context.Background(), b)
	if got.Decision != nil && got.Decision.Approved {
		t.Errorf("a click after expiry recorded the batch as approved by %s", got.Decision.By)
	}
	if len(e.notes.answers) == n {
		t.Errorf("the late clicker was told nothing")
	}
}

// 6. A kind whose policy needs no approval: one mailbox runs, several are refused.
func TestRegressionBatchPolicyNone(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) {
		c.Policy = map[mailbox.Kind]string{mailbox.KindConvertToShared: bot.PolicyNone}
		c.Approvers = nil
	})
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.6")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if got := e.notes.lastAnswer(t); strings.Contains(got, "No one can approve") {
		t.Errorf("a batch of a no-approval kind: %s", got)
	}
}

// blockingReport blocks the first BatchReport until released.
type blockingReport struct {
	*notes
	once    sync.Once
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	shown   []bot.State // what the message shows, last write wins
}

func (b *blockingReport) BatchReport(ctx context.Context, channel string, bt *bot.Batch, reqs []*bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
	}
	b.mu.Lock()
	if channel == "" {
		b.shown = nil
		for _, r := range reqs {
			b.shown = append(b.shown, r.State)
		}
	}
	b.mu.Unlock()
	return b.notes.BatchReport(ctx, channel, bt, reqs, ref)
}

// 8. Two refresh jobs of one batch (two buckets, concurrent workers): the
// older one, slowed down (a 429), writes last and the report shows an old
// state for good.
func TestRegressionBatchRefreshOutOfOrder(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.AuditChannel = "" })
	addrs := bulkTenant(t, e, 2)
	br := &blockingReport{notes: e.notes, entered: make(chan struct{}), release: make(chan struct{})}
	e.cfg.BatchNotifier = br
	e.restart()
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.8")); err != nil {
		t.Fatal(err)
	}
	// run the command job only (not the refresh)
	for _, j := range e.queue.due(e.clock.Now()) {
		if j.Type == bot.JobCommand {
			if err := e.svc.Handle(context.Background(), j); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := batchID(t, e.notes.lastAnswer(t))
	done := make(chan error)
	go func() { done <- e.svc.Handle(context.Background(), bot.Job{Type: bot.JobBatch, RequestID: b}) }()
	<-br.entered // the old job has read "pending" and waits on Slack
	e.clock.Add(3 * time.Second)
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: b, Approve: false, User: maria, TeamID: "T0001", ActionTS: "1"}}); err != nil {
		t.Fatal(err)
	}
	// The newer bucket's job waits for the older one (the batch's lock) and
	// is run again by the queue; it reads the latest state then.
	newer := bot.Job{Type: bot.JobBatch, RequestID: b}
	err := e.svc.Handle(context.Background(), newer)
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("a concurrent refresh ran: %v", err)
	}
	close(br.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Handle(context.Background(), newer); err != nil {
		t.Fatal(err)
	}
	if br.shown[0] != bot.StateRejected {
		t.Errorf("the report shows %v after the batch was rejected", br.shown)
	}
}

// countHomes counts views.publish calls.
type countHomes struct {
	*notes
	n atomic.Int64
}

func (c *countHomes) PublishHome(ctx context.Context, h bot.Home) error {
	c.n.Add(1)
	return c.notes.PublishHome(ctx, h)
}

// 9. The Home refresh is not coalesced: one batch approval of 50 publishes
// the Home tabs once per request per person, inside the click job.
func TestRegressionBatchHomePublishes(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 50)
	ch := &countHomes{notes: e.notes}
	e.cfg.Notifier = ch
	e.restart()
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "rv.9")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	before := ch.n.Load()
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: batchID(t, e.notes.lastAnswer(t)), Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}}); err != nil {
		t.Fatal(err)
	}
	if n := ch.n.Load() - before; n > 10 {
		t.Errorf("one batch click published Home tabs %d times (views.publish), within the click job", n)
	}
}
