package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// failRemove refuses license removals (a permanent 400) while on.
type failRemove struct {
	mailbox.Directory
	mu sync.Mutex
	on bool
}

func (f *failRemove) AssignLicenses(ctx context.Context, id string, add, remove []string) error {
	f.mu.Lock()
	on := f.on
	f.mu.Unlock()
	if on && len(remove) > 0 {
		return &mailbox.RemoteError{Service: "graph", Op: "POST assignLicense", Status: 400, Code: "Request_BadRequest", Message: "License assignment failed."}
	}
	return f.Directory.AssignLicenses(ctx, id, add, remove)
}

// failedAtRemoveLicenses converts alice, approved by maria, with license
// removals refused: the request fails at that step, after the conversion.
func (e *env) failedAtRemoveLicenses() (*bot.Request, *failRemove) {
	e.t.Helper()
	dir := &failRemove{Directory: e.tenant, on: true}
	e.cfg.Executor = &mailbox.Executor{Directory: dir, Exchange: e.tenant}
	e.restart()
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateFailed {
		e.t.Fatalf("state %s", r.State)
	}
	return r, dir
}

// A failed request retried (within RetryWindow, no re-check) removes the
// license from a mailbox that is no longer shared: removeLicenses never
// checks RecipientTypeDetails itself.
func TestRetryNeverUnlicensesAUserMailbox(t *testing.T) {
	e := newEnv(t, nil)
	r, dir := e.failedAtRemoveLicenses()
	// Meanwhile the mailbox is converted back to a user mailbox (the
	// mailbox was released when the request failed: any other request, or
	// an admin in the EAC, may do it).
	ctx := context.Background()
	if err := e.tenant.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeRegular); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.tenant.GetMailbox(ctx, "alice@contoso.com") // let the conversion lag pass
	}
	dir.mu.Lock()
	dir.on = false
	dir.mu.Unlock()
	if err := e.svc.Handle(ctx, bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: r.ID, Action: bot.ActionRetry, User: rita, TeamID: "T0001", ActionTS: "x"}}); err != nil {
		t.Fatal(err)
	}
	r = e.untilSettled(r.ID)
	mb, _ := e.tenant.GetMailbox(ctx, "alice@contoso.com")
	u, _ := e.tenant.User(ctx, "alice@contoso.com")
	t.Logf("state %s; mailbox %s; licenses %v", r.State, mb.RecipientTypeDetails, u.Licenses)
	if len(u.Licenses) != 1 || r.State != bot.StateFailed || !strings.Contains(r.Failure, "not a shared mailbox: its licenses stay (rule 1)") {
		t.Fatalf("rule 1: a UserMailbox must keep its license and the request fail saying why; got %s %q, licenses %v", r.State, r.Failure, u.Licenses)
	}
}
