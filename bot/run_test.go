package bot_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// useTenant points the env's planner and executor at tn.
func (e *env) useTenant(tn *sandbox.Tenant) {
	e.tenant = tn
	e.cfg.Planner = &mailbox.Planner{Directory: tn, Exchange: tn, Now: e.clock.Now}
	e.cfg.Executor = &mailbox.Executor{Directory: tn, Exchange: tn}
	e.cfg.People = tn
	e.cfg.Members = func(ctx context.Context, mbx string) (mailbox.Mailbox, []mailbox.Member, error) {
		return mailbox.Members(ctx, tn, mbx)
	}
	e.restart()
}

// restart replaces the service, as a new process would: same Redis, same
// queue, no memory.
func (e *env) restart() {
	svc, err := bot.New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
}

func (e *env) ask(user string, op mailbox.Operation) *bot.Request {
	e.t.Helper()
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: op, User: user, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
		e.t.Fatal(err)
	}
	e.drain()
	return e.request(op.Mailbox)
}

// untilSettled advances the clock to each scheduled run until the request
// stops waiting.
func (e *env) untilSettled(id string) *bot.Request {
	e.t.Helper()
	for range 200 {
		r := e.get(id)
		if r.State != bot.StateWaiting && r.State != bot.StateApproved {
			return r
		}
		if d := r.NextRunAt.Sub(e.clock.Now()); d > 0 {
			e.clock.Add(d)
		}
		e.drain()
	}
	e.t.Fatal("request never settled")
	return nil
}

// Rule 10: the wait for a restored user's mailbox is a delayed job in
// Redis: every replica stopping in the middle loses nothing.
func TestDeletedUserWaitSurvivesRestart(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.VerifyDelay = 5 * time.Minute; c.VerifyMaxDelay = 10 * time.Minute })
	e.useTenant(sandbox.NewContoso(sandbox.Options{ConversionLag: 1, RestoreLag: 4, Now: e.clock.Now}))
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "gina@contoso.com",
		Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}, SendAs: []string{"kim@contoso.com"}}})
	if !r.Plan.Target.Deleted || r.Approvers[0] != admin || !strings.Contains(e.notes.lastAnswer(t), "deleted account, whose manager cannot be read") {
		t.Fatalf("plan deleted=%v approvers %v", r.Plan.Target.Deleted, r.Approvers)
	}
	e.click(admin, r.ID, true)
	r = e.get(r.ID)
	wait := mailbox.StepWaitMailbox
	i := len(r.Steps)
	for k, st := range r.Steps {
		if st.Name == wait {
			i = k
		}
	}
	if r.State != bot.StateWaiting || r.Steps[i].Status != mailbox.Pending {
		t.Fatalf("not waiting for the mailbox: %s %+v", r.State, r.Steps)
	}
	// Every replica stops; the clock moves on; a new one starts.
	e.restart()
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s failure %q", r.State, r.Failure)
	}
	mb, _ := e.tenant.GetMailbox(context.Background(), "gina@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Errorf("gina is %s", mb.RecipientTypeDetails)
	}
	for kind, n := range e.tenant.ChangeCount("gina@contoso.com") {
		if n != 1 {
			t.Errorf("%s made %d times", kind, n)
		}
	}
	// The wait is bounded: with a mailbox that never comes back, it fails
	// after MailboxWaitTimeout with what was done.
	e2 := newEnv(t, func(c *bot.Config) {
		c.MailboxWaitTimeout = time.Hour
		c.VerifyDelay = 5 * time.Minute
		c.VerifyMaxDelay = 10 * time.Minute
	})
	e2.useTenant(sandbox.NewContoso(sandbox.Options{RestoreLag: 1 << 20, Now: e2.clock.Now}))
	r = e2.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "gina@contoso.com"})
	e2.click(admin, r.ID, true)
	r = e2.untilSettled(r.ID)
	if r.State != bot.StateFailed || !strings.Contains(r.Failure, "not back yet after waiting 1h0m0s") {
		t.Errorf("state %s failure %q", r.State, r.Failure)
	}
}

// flaky fails the first n conversions with a passing fault, then works.
type flaky struct {
	mailbox.Exchange
	mu     sync.Mutex
	n      int
	status int
}

func (f *flaky) SetMailboxType(ctx context.Context, id string, t mailbox.MailboxType) error {
	f.mu.Lock()
	fail := f.n > 0
	if fail {
		f.n--
	}
	f.mu.Unlock()
	if fail {
		return &mailbox.RemoteError{Service: "exchange", Op: "Set-Mailbox", Status: f.status, Code: "ServiceUnavailable", Message: "The service is temporarily unavailable."}
	}
	return f.Exchange.SetMailboxType(ctx, id, t)
}

func (e *env) useExchange(x mailbox.Exchange) {
	e.cfg.Executor = &mailbox.Executor{Directory: e.tenant, Exchange: x}
	e.restart()
}

// Passing faults (after the client's own retries) are tried again later,
// durably, up to StepRetries; then the request fails with Microsoft's text.
func TestPassingFaultsAreRetried(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.RetryDelay = time.Minute; c.StepRetries = 3 })
	e.useExchange(&flaky{Exchange: e.tenant, n: 2, status: 503})
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s failure %q", r.State, r.Failure)
	}
	if n := e.tenant.ChangeCount("alice@contoso.com")[sandbox.ChangeMailboxType]; n != 1 {
		t.Errorf("converted %d times", n)
	}
	e = newEnv(t, func(c *bot.Config) { c.RetryDelay = time.Minute; c.StepRetries = 3 })
	e.useExchange(&flaky{Exchange: e.tenant, n: 100, status: 503})
	r = e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateFailed || !strings.Contains(r.Failure, "The service is temporarily unavailable.") {
		t.Errorf("state %s failure %q", r.State, r.Failure)
	}
}

// A failed request offers a retry from its failed step, without a new
// approval, within RetryWindow; the steps already done are not run again.
func TestRetryFromTheFailedStep(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.RetryWindow = time.Hour })
	broken := &flaky{Exchange: e.tenant, n: 1, status: 400}
	e.useExchange(broken)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	r = e.get(r.ID)
	if r.State != bot.StateFailed || !r.RetryUntil.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("state %s retry until %v", r.State, r.RetryUntil)
	}
	failed := r.Steps[2].Name // revoke, block, convert
	if failed != mailbox.StepConvertToShared || r.Steps[2].Status != bot.StepFailed {
		t.Fatalf("steps %+v", r.Steps)
	}
	retry := func(user string) {
		if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: user, TeamID: "T0001", ActionTS: user}}); err != nil {
			t.Fatal(err)
		}
	}
	retry(erin)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "can retry request") {
		t.Errorf("stranger: %s", got)
	}
	// Another request took the mailbox meanwhile? No: a failed request frees
	// it, and the retry claims it again.
	retry(rita)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("after retry: %s %q", r.State, r.Failure)
	}
	if !e.notes.told("retried request") {
		t.Errorf("told %q", e.notes.tells)
	}
	blocks := e.tenant.ChangeCount("alice@contoso.com")[sandbox.ChangeAccountEnabled]
	if blocks != 1 {
		t.Errorf("sign-in blocked %d times: done steps ran again", blocks)
	}
	retry(rita)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "nothing to retry") {
		t.Errorf("retry of a success: %s", got)
	}
	// Too late.
	e = newEnv(t, func(c *bot.Config) { c.RetryWindow = time.Hour })
	e.useExchange(&flaky{Exchange: e.tenant, n: 1, status: 400})
	r = e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	e.clock.Add(time.Hour)
	retry(rita)
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "The time to retry") {
		t.Errorf("late retry: %s", got)
	}
}

// Rule 9: the credential of a mailbox converted back goes to the requester
// alone, in a private message: never to a log line, the audit stream, the
// approver, the audit channel or the request record.
func TestCredentialGoesOnlyToTheRequester(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *bot.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.useTenant(sandbox.NewContoso(sandbox.Options{ConversionLag: 1, Now: e.clock.Now}))
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com"})
	if r.State != bot.StatePending {
		t.Fatalf("state %s: %q", r.State, e.notes.answers)
	}
	e.click(r.Approvers[0], r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s %q", r.State, r.Failure)
	}
	pass := e.tenant.LastTemporaryAccessPass("sales@contoso.com")
	if pass == "" {
		t.Fatal("no pass issued")
	}
	shown := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(pass) // Slack mrkdwn
	if len(e.notes.secrets) != 1 || !strings.HasPrefix(e.notes.secrets[0], rita+": ") || !strings.Contains(e.notes.secrets[0], "`"+shown+"`") {
		t.Fatalf("secret messages %q", e.notes.secrets)
	}
	where := map[string]string{"log": logs.String()}
	entries, err := e.store.AuditLog(context.Background(), r.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var audit strings.Builder
	for _, a := range entries {
		audit.WriteString(a.Note + " " + a.Type + "\n")
	}
	where["audit stream"] = audit.String()
	where["answers"] = strings.Join(e.notes.answers, "\n")
	where["direct messages"] = strings.Join(e.notes.tells, "\n")
	stored := e.get(r.ID)
	var steps strings.Builder
	for _, st := range stored.Steps {
		steps.WriteString(st.Detail + st.Error + "\n")
	}
	where["request record"] = steps.String() + stored.Failure
	for name, text := range where {
		if strings.Contains(text, pass) {
			t.Errorf("the pass is in the %s", name)
		}
	}
}

// A scheduled conversion is approved now and runs at its time.
func TestScheduledConversionRunsAtItsTime(t *testing.T) {
	e := newEnv(t, nil)
	at := e.clock.Now().Add(3 * time.Hour)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{At: at}})
	e.click(maria, r.ID, true)
	r = e.get(r.ID)
	if r.State != bot.StateApproved || !r.NextRunAt.Equal(at) || !e.notes.told("The work starts at") {
		t.Fatalf("state %s next %v told %q", r.State, r.NextRunAt, e.notes.tells)
	}
	e.clock.Add(2 * time.Hour)
	e.drain()
	if len(e.tenant.Changes()) != 0 {
		t.Fatal("ran before its time")
	}
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s", r.State)
	}
}

// A dry run goes through approval and reports each step with the data it
// would send, and changes nothing.
func TestDryRunRequest(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{DryRun: true}})
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "dry run") {
		t.Errorf("answer %s", got)
	}
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded || len(e.tenant.Changes()) != 0 {
		t.Fatalf("state %s changes %+v", r.State, e.tenant.Changes())
	}
	for _, st := range r.Steps {
		if !strings.HasPrefix(st.Detail, "would ") {
			t.Errorf("step %s: %q", st.Name, st.Detail)
		}
	}
	if !e.notes.told("this was a dry run: nothing was changed") {
		t.Errorf("told %q", e.notes.tells)
	}
}
