package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Slack ids of the cast (see sandbox.NewContoso for their mailboxes).
const (
	rita  = "U0RITA"  // helpdesk, the requester
	maria = "U0MARIA" // manager of alice and dave
	admin = "U0ADMIN" // configured approver
	erin  = "U0ERIN"
	leo   = "U0LEO"
)

var slackByEmail = map[string]string{
	"rita@contoso.com": rita, "maria@contoso.com": maria, "erin@contoso.com": erin,
	"leo@contoso.com":       leo,   // the leaver (issue 16)
	"ada.admin@contoso.com": admin, // a configured approver needs an address to be compared with who gains access (rule 16)
}

type slackDir struct{}

func (slackDir) GroupMembers(_ context.Context, id string) ([]string, error) {
	if id == "S0HELPDESK" {
		return []string{rita, erin}, nil
	}
	return nil, bot.ErrNoSlackUser
}

func (slackDir) EmailOf(_ context.Context, id string) (string, error) {
	for email, uid := range slackByEmail {
		if uid == id {
			return email, nil
		}
	}
	return "", bot.ErrNoSlackUser
}

func (slackDir) UserIDByEmail(_ context.Context, email string) (string, error) {
	if id, ok := slackByEmail[email]; ok {
		return id, nil
	}
	return "", bot.ErrNoSlackUser
}

// memQueue is a queue driven by hand: jobs run when the test says so, at
// the injected time. Ids deduplicate like the real queue's.
type memQueue struct {
	mu   sync.Mutex
	jobs []bot.Job
	ids  map[string]bool
	fail error
}

func (q *memQueue) Enqueue(_ context.Context, j bot.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return q.fail
	}
	if j.ID != "" {
		if q.ids[j.ID] {
			return nil
		}
		q.ids[j.ID] = true
	}
	q.jobs = append(q.jobs, j)
	return nil
}

// due takes the jobs due at now.
func (q *memQueue) due(now time.Time) []bot.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due, rest []bot.Job
	for _, j := range q.jobs {
		if j.At.After(now) {
			rest = append(rest, j)
		} else {
			due = append(due, j)
			delete(q.ids, j.ID)
		}
	}
	q.jobs = rest
	return due
}

func (q *memQueue) count(t bot.JobType) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, j := range q.jobs {
		if j.Type == t {
			n++
		}
	}
	return n
}

// notes records what people were told.
type notes struct {
	mu        sync.Mutex
	answers   []string // "user: text"
	asks      []string // approver ids
	updates   map[bot.MessageRef]bot.State
	tells     []string // "user: headline"
	audits    int
	failTell  bool
	secrets   []string // "user: text" of TellSecret
	reminders []string // "approver: request id"
	// batches
	batchAsks                  []string
	batchUpdates, batchReports int
	lastBatch                  []*bot.Request
	homes                      map[string]bot.Home
	lostAudits                 map[string]bool // ids posted to the audit channel as failed, never created
}

func (n *notes) Answer(_ context.Context, to bot.ReplyTo, a bot.Answer) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	text := a.Text
	if a.Plan != nil {
		for _, f := range a.Plan.Findings {
			text += " | " + f.Text + " " + f.Fix
		}
	}
	n.answers = append(n.answers, to.User+": "+text)
	return nil
}

func (n *notes) AskApproval(_ context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.asks = append(n.asks, approver)
	return bot.MessageRef{Channel: "D" + approver, TS: fmt.Sprint(len(n.asks))}, nil
}

func (n *notes) UpdateApproval(_ context.Context, r *bot.Request, ref bot.MessageRef) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.updates == nil {
		n.updates = map[bot.MessageRef]bot.State{}
	}
	n.updates[ref] = r.State
	return nil
}

func (n *notes) Tell(_ context.Context, user string, r *bot.Request, headline string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.tells = append(n.tells, user+": "+headline)
	return nil
}

func (n *notes) Remind(_ context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reminders = append(n.reminders, approver+": "+r.ID)
	return bot.MessageRef{Channel: "D" + approver, TS: "reminder-" + r.ID}, nil
}

func (n *notes) PublishHome(_ context.Context, h bot.Home) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.homes == nil {
		n.homes = map[string]bot.Home{}
	}
	n.homes[h.User] = h
	return nil
}

func (n *notes) BatchApproval(_ context.Context, b *bot.Batch, reqs []*bot.Request, approver string, ref *bot.MessageRef) (bot.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ref != nil {
		n.batchUpdates++
		return *ref, nil
	}
	n.batchAsks = append(n.batchAsks, approver)
	return bot.MessageRef{Channel: "D" + approver, TS: "batch-" + b.ID}, nil
}

func (n *notes) BatchReport(_ context.Context, channel string, b *bot.Batch, reqs []*bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.batchReports++
	n.lastBatch = reqs
	return bot.MessageRef{Channel: "D" + b.Requester, TS: "report-" + b.ID + channel}, nil
}

func (n *notes) TellSecret(_ context.Context, user string, r *bot.Request, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.secrets = append(n.secrets, user+": "+text)
	return nil
}

func (n *notes) Audit(_ context.Context, channel string, r *bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.audits++
	if r.State == bot.StateFailed && r.Version == 0 && strings.Contains(r.Failure, "lost") {
		if n.lostAudits == nil {
			n.lostAudits = map[string]bool{}
		}
		n.lostAudits[r.ID] = true
	}
	if ref != nil {
		return *ref, nil
	}
	return bot.MessageRef{Channel: channel, TS: "audit-" + r.ID}, nil
}

func (n *notes) lastAnswer(t *testing.T) string {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.answers) == 0 {
		t.Fatal("nobody was answered")
	}
	return n.answers[len(n.answers)-1]
}

func (n *notes) told(substr string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.ContainsFunc(n.tells, func(s string) bool { return strings.Contains(s, substr) })
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	t      *testing.T
	svc    *bot.Service
	cfg    bot.Config
	store  *redisstore.Store
	rdb    redis.UniversalClient
	prefix string // of the store's keys
	queue  *memQueue
	notes  *notes
	tenant *sandbox.Tenant
	clock  *clock
	clicks atomic.Int64
}

func newEnv(t *testing.T, mod func(*bot.Config)) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	tenant := sandbox.NewContoso(sandbox.Options{ConversionLag: 1})
	e := &env{t: t, store: redisstore.NewStore(rdb, prefix), rdb: rdb, prefix: prefix, queue: &memQueue{ids: map[string]bool{}},
		notes: &notes{}, tenant: tenant, clock: &clock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}}
	e.cfg = bot.Config{
		Store: e.store, Queue: e.queue, Locker: redisstore.NewLocker(rdb, prefix), Notifier: e.notes, Slack: slackDir{},
		Planner:  &mailbox.Planner{Directory: tenant, Exchange: tenant},
		Executor: &mailbox.Executor{Directory: tenant, Exchange: tenant},
		People:   tenant,
		Members: func(ctx context.Context, mbx string) (mailbox.Mailbox, []mailbox.Member, error) {
			return mailbox.Members(ctx, tenant, mbx)
		},
		Approvers:    []string{admin},
		AuditChannel: "C0AUDIT",
		VerifyDelay:  10 * time.Second, VerifyMaxDelay: time.Minute, VerifyTimeout: 10 * time.Minute,
		Now:    e.clock.Now,
		Jitter: func(d time.Duration) time.Duration { return d },
	}
	e.cfg.Batches, e.cfg.BatchNotifier = e.store, e.notes
	if mod != nil {
		mod(&e.cfg)
	}
	svc, err := bot.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

// drain runs every due job, and the jobs they queue, until none is due.
func (e *env) drain() {
	e.t.Helper()
	for range 100 {
		jobs := e.queue.due(e.clock.Now())
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			if err := e.svc.Handle(context.Background(), j); err != nil {
				e.t.Fatalf("job %s %s: %v", j.Type, j.ID, err)
			}
		}
	}
	e.t.Fatal("jobs never stopped coming")
}

func (e *env) command(user, addr string) {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{
		Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr}, User: user, TeamID: "T0001", Channel: "C0HELP",
	}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}

func (e *env) click(user, id string, approve bool) {
	e.t.Helper()
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: id, Approve: approve, User: user, TeamID: "T0001",
		ActionTS: fmt.Sprint(e.clicks.Add(1))}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
}

// only returns the one request of the mailbox.
func (e *env) request(addr string) *bot.Request {
	e.t.Helper()
	for _, ans := range e.notes.answers {
		if i := strings.Index(ans, "Request `req_"); i >= 0 && strings.Contains(ans, addr) {
			id := ans[i+len("Request `") : i+len("Request `")+len("req_")+8]
			r, err := e.store.Get(context.Background(), id)
			if err != nil {
				e.t.Fatal(err)
			}
			return r
		}
	}
	e.t.Fatalf("no request created for %s; answers: %q", addr, e.notes.answers)
	return nil
}

func (e *env) get(id string) *bot.Request {
	e.t.Helper()
	r, err := e.store.Get(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func TestConvertToSharedEndToEnd(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if r.State != bot.StatePending || !slices.Equal(r.Approvers, []string{maria}) || r.ApproverSource != "manager" {
		t.Fatalf("created %s approvers %v (%s)", r.State, r.Approvers, r.ApproverSource)
	}
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "<@U0MARIA> will be asked") {
		t.Errorf("answer: %s", got)
	}
	if !slices.Equal(e.notes.asks, []string{maria}) {
		t.Errorf("asked %v", e.notes.asks)
	}
	e.click(maria, r.ID, true)
	r = e.get(r.ID)
	// ConversionLag 1: the first verification still reads UserMailbox, so
	// the request waits, durably, for a later job.
	if r.State != bot.StateWaiting || stepOf(r, mailbox.StepConvertToShared).Status != mailbox.Done ||
		stepOf(r, mailbox.StepVerifyShared).Status != mailbox.Pending {
		t.Fatalf("after approval: %s %+v", r.State, r.Steps)
	}
	if e.queue.count(bot.JobRun) != 1 {
		t.Fatalf("no wait queued")
	}
	e.drain() // not due yet
	if e.get(r.ID).State != bot.StateWaiting {
		t.Fatal("ran before its time")
	}
	e.clock.Add(10 * time.Second)
	e.drain()
	r = e.get(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s, steps %+v", r.State, r.Steps)
	}
	for _, st := range r.Steps {
		if st.Status != mailbox.Done {
			t.Errorf("step %s: %s", st.Name, st.Status)
		}
	}
	mb, _ := e.tenant.GetMailbox(context.Background(), "alice@contoso.com")
	u, _ := e.tenant.User(context.Background(), "alice@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox || u.AccountEnabled {
		t.Errorf("tenant: %s enabled=%v", mb.RecipientTypeDetails, u.AccountEnabled)
	}
	// Revoke sessions, block sign-in, convert, remove the license: each once.
	eachOnce(t, e.tenant, "alice@contoso.com", 4)
	for _, want := range []string{"approved your request", "has started", "is done"} {
		if !e.notes.told(want) {
			t.Errorf("requester not told %q: %q", want, e.notes.tells)
		}
	}
	if e.notes.updates[bot.MessageRef{Channel: "D" + maria, TS: "1"}] != bot.StateSucceeded {
		t.Errorf("approval message not brought up to date: %v", e.notes.updates)
	}
	if r.AuditMessage == nil || e.notes.audits < 4 {
		t.Errorf("audit message %v posted/updated %d times", r.AuditMessage, e.notes.audits)
	}
	// The mailbox is free again.
	e.command(rita, "alice@contoso.com")
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "already a shared mailbox") {
		t.Errorf("second conversion: %s", got)
	}
}

func TestBlockersLeaveNothingPending(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"carol@contoso.com", "has no license"},                                           // rule 1
		{"dave@contoso.com", "Set-RemoteMailbox -Identity dave@contoso.com -Type Shared"}, // rule 8
		{"bob@contoso.com", "already a shared mailbox"},
		{"nobody@contoso.com", "can't find *nobody@contoso.com*"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			e := newEnv(t, nil)
			e.command(rita, tc.addr)
			if got := e.notes.lastAnswer(t); !strings.Contains(got, tc.want) || !strings.Contains(got, "Nothing") {
				t.Errorf("answer %q lacks %q", got, tc.want)
			}
			if len(e.notes.asks) != 0 {
				t.Errorf("approval asked: %v", e.notes.asks)
			}
			ids, _ := e.store.InFlight(context.Background())
			if len(ids) != 0 {
				t.Errorf("in flight: %v", ids)
			}
		})
	}
}

func TestOneActiveRequestPerMailbox(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	first := e.request("alice@contoso.com")
	e.command(erin, "alice@contoso.com")
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "already has an active request: `"+first.ID+"` by <@U0RITA>, waiting for approval") {
		t.Errorf("answer: %s", got)
	}
	if len(e.notes.asks) != 1 {
		t.Errorf("asked %d times", len(e.notes.asks))
	}
}

func TestApproverRouting(t *testing.T) {
	for _, tc := range []struct {
		name, requester, addr string
		approvers             []string
		want                  []string
		answer                string
	}{
		{"manager on Slack", rita, "alice@contoso.com", []string{admin}, []string{maria}, "<@U0MARIA> will be asked"},
		{"no manager", rita, "erin@contoso.com", []string{admin}, []string{admin}, "has no manager"},
		{"manager without Slack", rita, "frank@contoso.com", []string{admin}, []string{admin}, "has no Slack account"},
		{"manager is the requester", maria, "alice@contoso.com", []string{admin, maria}, []string{admin}, "cannot approve your own"},
		{"nobody at all", rita, "erin@contoso.com", nil, nil, "No one can approve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *bot.Config) { c.Approvers = tc.approvers })
			e.command(tc.requester, tc.addr)
			if got := e.notes.lastAnswer(t); !strings.Contains(got, tc.answer) {
				t.Errorf("answer %q lacks %q", got, tc.answer)
			}
			if !slices.Equal(e.notes.asks, tc.want) {
				t.Errorf("asked %v, want %v", e.notes.asks, tc.want)
			}
		})
	}
}

func TestClicksByTheWrongPeopleChangeNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(rita, r.ID, true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "you can't decide it yourself") {
		t.Errorf("self approval: %s", got)
	}
	e.click(erin, r.ID, true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "Only <@U0MARIA> can decide") {
		t.Errorf("stranger: %s", got)
	}
	e.click(maria, "req_NOSUCHID", true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "don't know request") {
		t.Errorf("unknown: %s", got)
	}
	if got := e.get(r.ID); got.State != bot.StatePending || got.Decision != nil {
		t.Fatalf("state %s decision %+v", got.State, got.Decision)
	}
	e.click(maria, r.ID, false)
	if got := e.get(r.ID); got.State != bot.StateRejected || !e.notes.told("rejected your request") {
		t.Fatalf("reject: %s %q", got.State, e.notes.tells)
	}
	e.click(maria, r.ID, true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "already rejected by <@U0MARIA>") {
		t.Errorf("late click: %s", got)
	}
	if len(e.tenant.Changes()) != 0 {
		t.Errorf("changes: %+v", e.tenant.Changes())
	}
}

func TestFiftyConcurrentApprovesRunOnce(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Approvers = []string{admin, "U0BOSS"} })
	e.command(rita, "erin@contoso.com") // no manager: the two configured approvers
	r := e.request("erin@contoso.com")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := []string{admin, "U0BOSS"}[i%2]
			err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{
				RequestID: r.ID, Approve: true, User: who, TeamID: "T0001", ActionTS: fmt.Sprint(i)}})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.queue.count(bot.JobRun); n != 1 {
		t.Fatalf("%d run jobs queued, want 1", n)
	}
	already := 0
	for _, a := range e.notes.answers {
		if strings.Contains(a, "was already approved by") {
			already++
		}
	}
	if already != 49 {
		t.Errorf("%d clicks told who decided, want 49", already)
	}
	e.drain()
	e.clock.Add(time.Minute)
	e.drain()
	if got := e.get(r.ID); got.State != bot.StateSucceeded {
		t.Fatalf("state %s", got.State)
	}
	// erin's license comes from a group: it stays (rule 4).
	eachOnce(t, e.tenant, "erin@contoso.com", 3)
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = time.Hour })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.clock.Add(59 * time.Minute)
	e.drain()
	if e.get(r.ID).State != bot.StatePending {
		t.Fatal("expired early")
	}
	e.clock.Add(time.Minute)
	e.drain()
	if got := e.get(r.ID); got.State != bot.StateExpired {
		t.Fatalf("state %s", got.State)
	}
	if !e.notes.told("expired") || e.notes.updates[bot.MessageRef{Channel: "D" + maria, TS: "1"}] != bot.StateExpired {
		t.Errorf("not told: %q %v", e.notes.tells, e.notes.updates)
	}
	e.click(maria, r.ID, true)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "expired on") {
		t.Errorf("click after expiry: %s", got)
	}
	// The mailbox is free again.
	e.command(rita, "alice@contoso.com")
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "will be asked") {
		t.Errorf("new request after expiry: %s", got)
	}
}

func TestClickRacingExpiryHasOneOutcome(t *testing.T) {
	for i := range 20 {
		e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = time.Hour })
		e.command(rita, "alice@contoso.com")
		r := e.request("alice@contoso.com")
		e.clock.Add(time.Hour)
		jobs := e.queue.due(e.clock.Now())
		jobs = append(jobs, bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}})
		if i%2 == 1 {
			jobs[0], jobs[1] = jobs[1], jobs[0]
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			go func() { defer wg.Done(); e.svc.Handle(context.Background(), j) }()
		}
		wg.Wait()
		got := e.get(r.ID)
		if got.State != bot.StateExpired || got.Decision != nil {
			t.Fatalf("state %s decision %+v", got.State, got.Decision)
		}
		n := 0
		for _, ev := range got.History {
			if ev.To == bot.StateExpired || ev.To == bot.StateApproved {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d decisive transitions: %+v", n, got.History)
		}
	}
}

// crashAfter lets n steps run, then dies in the next one, like a process
// killed mid-step: nothing after that point runs.
type crashAfter struct {
	bot.Executor
	n int
}

func (c *crashAfter) Run(ctx context.Context, t mailbox.Target, s mailbox.Step, dry bool) (mailbox.Outcome, error) {
	if c.n == 0 {
		panic("killed")
	}
	c.n--
	return c.Executor.Run(ctx, t, s, dry)
}

func handleDying(svc *bot.Service, j bot.Job) (died bool) {
	defer func() { died = recover() != nil }()
	svc.Handle(context.Background(), j)
	return false
}

func TestRestartBetweenApprovalAndCompletion(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Approvers = []string{admin} })
	e.command(rita, "erin@contoso.com")
	r := e.request("erin@contoso.com")
	// Approve with a queue that is down: the decision stands, the run job is lost.
	e.queue.fail = errors.New("redis gone")
	err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Approve: true, User: admin, TeamID: "T0001", ActionTS: "1"}})
	e.queue.fail = nil
	if err != nil {
		t.Fatal(err)
	}
	if e.get(r.ID).State != bot.StateApproved || e.queue.count(bot.JobRun) != 0 {
		t.Fatal("setup")
	}
	// "Restart": a new service, whose reconciler finds the approved work.
	if n, err := e.svc.Reconcile(context.Background()); err != nil || n != 1 {
		t.Fatalf("reconcile: %d %v", n, err)
	}
	if n, _ := e.svc.Reconcile(context.Background()); e.queue.count(bot.JobRun) != 1 {
		t.Fatalf("reconcile twice queued %d jobs (%d)", e.queue.count(bot.JobRun), n)
	}
	// The first worker dies in its second step (verification)...
	e.runDying(&crashAfter{Executor: e.cfg.Executor, n: 1})
	if got := e.get(r.ID); got.State != bot.StateRunning || got.Steps[0].Status != mailbox.Done {
		t.Fatalf("after crash: %s %+v", got.State, got.Steps)
	}
	// ...and another picks the job up and finishes.
	e.drain()
	e.clock.Add(time.Minute)
	e.drain()
	if got := e.get(r.ID); got.State != bot.StateSucceeded {
		t.Fatalf("state %s %+v", got.State, got.Steps)
	}
	eachOnce(t, e.tenant, "erin@contoso.com", 3)
}

func TestVerificationIsBounded(t *testing.T) {
	e := newEnv(t, nil)
	e.tenant = sandbox.NewContoso(sandbox.Options{ConversionLag: 1000})
	e.cfg.Planner = &mailbox.Planner{Directory: e.tenant, Exchange: e.tenant}
	e.cfg.Executor = &mailbox.Executor{Directory: e.tenant, Exchange: e.tenant}
	e.svc, _ = bot.New(e.cfg)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(maria, r.ID, true)
	var delays []time.Duration
	for range 30 {
		got := e.get(r.ID)
		if got.State != bot.StateWaiting {
			break
		}
		d := got.NextRunAt.Sub(e.clock.Now())
		delays = append(delays, d)
		e.clock.Add(d)
		e.drain()
	}
	got := e.get(r.ID)
	if got.State != bot.StateFailed || !strings.Contains(got.Failure, "still reports UserMailbox after waiting 10m0s") {
		t.Fatalf("state %s failure %q", got.State, got.Failure)
	}
	// Backoff: 10 s doubling to the 1 min cap.
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute}
	if len(delays) < 4 || !slices.Equal(delays[:4], want) {
		t.Errorf("delays %v", delays)
	}
	if !e.notes.told("Already done: Revoke sign-in sessions (rule 6); Block sign-in of the account (rule 6); Convert to a shared mailbox (Set-Mailbox -Type Shared). Nothing after") {
		t.Errorf("told %q", e.notes.tells)
	}
}

// failing answers every Exchange change with Microsoft's error.
type failing struct{ mailbox.Exchange }

func (failing) SetMailboxType(context.Context, string, mailbox.MailboxType) error {
	return &mailbox.RemoteError{Service: "exchange", Op: "Set-Mailbox", Status: 400, Code: "BadRequest",
		Message: "The mailbox can't be converted because it's on litigation hold."}
}

func TestFailedStepQuotesMicrosoft(t *testing.T) {
	e := newEnv(t, nil)
	e.cfg.Executor = &mailbox.Executor{Directory: e.tenant, Exchange: failing{e.tenant}}
	e.svc, _ = bot.New(e.cfg)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(maria, r.ID, true)
	got := e.get(r.ID)
	if got.State != bot.StateFailed || stepOf(got, mailbox.StepConvertToShared).Status != bot.StepFailed {
		t.Fatalf("state %s steps %+v", got.State, got.Steps)
	}
	if !e.notes.told("failed at step 3, “Convert to a shared mailbox (Set-Mailbox -Type Shared)”. Microsoft said: “The mailbox can't be converted because it's on litigation hold.”. Already done: Revoke sign-in sessions (rule 6); Block sign-in of the account (rule 6). Nothing after the failed step was run.") {
		t.Errorf("told %q", e.notes.tells)
	}
}

// dyingNotifier panics in AskApproval the first time: the process dies
// after the request was created and before anyone was asked.
type dyingNotifier struct {
	*notes
	died bool
}

func (d *dyingNotifier) AskApproval(ctx context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	if !d.died {
		d.died = true
		panic("killed")
	}
	return d.notes.AskApproval(ctx, r, approver)
}

// A command job run again after a crash carries on with the request it
// created: the approver is asked, and the requester is not told that their
// own request blocks the mailbox.
func TestCommandJobRetriedAfterCrashResumes(t *testing.T) {
	e := newEnv(t, nil)
	dying := &dyingNotifier{notes: e.notes}
	cfg := e.cfg
	cfg.Notifier = dying
	svc, _ := bot.New(cfg)
	j := bot.Job{Type: bot.JobCommand, Command: &bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "1234.5678.abcd"}}
	if !func() (died bool) {
		defer func() { died = recover() != nil }()
		svc.Handle(context.Background(), j)
		return false
	}() {
		t.Fatal("did not die")
	}
	if len(e.notes.asks) != 0 {
		t.Fatal("setup: asked before dying")
	}
	if err := svc.Handle(context.Background(), j); err != nil { // the queue runs the job again
		t.Fatal(err)
	}
	if !slices.Equal(e.notes.asks, []string{maria}) {
		t.Errorf("asked %v, want Maria once", e.notes.asks)
	}
	got := e.notes.lastAnswer(t)
	if strings.Contains(got, "already has an active request") || !strings.Contains(got, "will be asked to approve") {
		t.Errorf("answer: %s", got)
	}
	r := e.request("alice@contoso.com")
	if len(r.Approvals) != 1 || r.State != bot.StatePending {
		t.Errorf("request %s approvals %v", r.State, r.Approvals)
	}
}

// An expiry job that runs before the deadline (another replica's clock)
// asks to be run again at the deadline instead of being dropped.
func TestEarlyExpiryIsPostponedNotDropped(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.ApprovalTimeout = time.Hour })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.clock.Add(59*time.Minute + 58*time.Second)
	err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobExpire, RequestID: r.ID})
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 2*time.Second {
		t.Fatalf("early expiry: %v, want a retry after 2s", err)
	}
	e.clock.Add(2 * time.Second)
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobExpire, RequestID: r.ID}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(r.ID); got.State != bot.StateExpired {
		t.Errorf("state %s", got.State)
	}
}

// changingPlanner plans from live data like the real one, and from its
// second call on finds the license gone (rule 1).
type changingPlanner struct {
	bot.Planner
	calls int
}

func (p *changingPlanner) Plan(ctx context.Context, op mailbox.Operation) (mailbox.Plan, error) {
	plan, err := p.Planner.Plan(ctx, op)
	if p.calls++; p.calls > 1 {
		plan.Findings = append(plan.Findings, mailbox.Finding{Severity: mailbox.Blocker, Rule: 1, Text: "alice@contoso.com has no license.", Fix: "Assign it back."})
	}
	return plan, err
}

// The plan may be a day old when the work starts: the rules are checked
// again, and a rule that now blocks stops the request before any change.
func TestApprovedRequestIsCheckedAgainBeforeStart(t *testing.T) {
	e := newEnv(t, nil)
	e.cfg.Planner = &changingPlanner{Planner: e.cfg.Planner}
	e.svc, _ = bot.New(e.cfg)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(maria, r.ID, true)
	got := e.get(r.ID)
	if got.State != bot.StateFailed || !strings.Contains(got.Failure, "has no license") {
		t.Fatalf("state %s failure %q", got.State, got.Failure)
	}
	if len(e.tenant.Changes()) != 0 {
		t.Errorf("changes: %+v", e.tenant.Changes())
	}
	if !e.notes.told("was not started") {
		t.Errorf("told %q", e.notes.tells)
	}
}

// losingLocker hands out locks that cannot be refreshed.
type losingLocker struct{ bot.Locker }

type lostLock struct{ bot.Lock }

func (l losingLocker) Obtain(ctx context.Context, key string, ttl time.Duration) (bot.Lock, error) {
	lk, err := l.Locker.Obtain(ctx, key, ttl)
	return lostLock{lk}, err
}

func (lostLock) Refresh(context.Context, time.Duration) error { return errors.New("lock not held") }

// slowStep runs until its context ends.
type slowStep struct{ bot.Executor }

func (slowStep) Run(ctx context.Context, _ mailbox.Target, _ mailbox.Step, _ bool) (mailbox.Outcome, error) {
	select {
	case <-ctx.Done():
		return mailbox.Outcome{}, ctx.Err()
	case <-time.After(10 * time.Second):
		return mailbox.Outcome{}, errors.New("the lock loss did not stop the step")
	}
}

// Work whose lock is lost stops, to be resumed later, rather than go on
// while another worker may take the mailbox.
func TestLostLockStopsTheWork(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.LockTTL = 30 * time.Millisecond })
	e.cfg.Locker = losingLocker{e.cfg.Locker}
	e.cfg.Executor = slowStep{}
	e.svc, _ = bot.New(e.cfg)
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}}); err != nil {
		t.Fatal(err)
	}
	jobs := e.queue.due(e.clock.Now())
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	err := e.svc.Handle(context.Background(), jobs[0])
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("run: %v, want a retry later", err)
	}
	if got := e.get(r.ID); got.State != bot.StateRunning {
		t.Errorf("state %s: the request must wait for the retry, not fail", got.State)
	}
}

// stepOf returns r's step called name.
func stepOf(r *bot.Request, name mailbox.StepName) bot.StepState {
	for _, st := range r.Steps {
		if st.Name == name {
			return st
		}
	}
	return bot.StepState{}
}

// eachOnce checks that the tenant changed upn in n kinds of way, each once.
func eachOnce(t *testing.T, tn *sandbox.Tenant, upn string, n int) {
	t.Helper()
	c := tn.ChangeCount(upn)
	if len(c) != n {
		t.Errorf("%s changed in %d ways, want %d: %v", upn, len(c), n, c)
	}
	for kind, k := range c {
		if k != 1 {
			t.Errorf("%s: %s made %d times", upn, kind, k)
		}
	}
}
