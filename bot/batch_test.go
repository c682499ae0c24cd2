package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// failFor answers Set-Mailbox for one mailbox with a permanent error.
type failFor struct {
	mailbox.Exchange
	who string
}

func (f failFor) SetMailboxType(ctx context.Context, id string, t mailbox.MailboxType) error {
	if strings.EqualFold(id, f.who) {
		return &mailbox.RemoteError{Service: "exchange", Op: "Set-Mailbox", Status: 400, Code: "BadRequest", Message: "This mailbox can't be converted right now."}
	}
	return f.Exchange.SetMailboxType(ctx, id, t)
}

// Several mailboxes at once (issue 5): one request with one approval and
// one report, each mailbox with its own plan, lock and outcome; one failing
// does not stop the others; the report is refreshed in coalesced bursts.
func TestBulkRequestOfFiftyWithOneFailing(t *testing.T) {
	e := newEnv(t, nil)
	tn := sandbox.NewContoso(sandbox.Options{Now: e.clock.Now})
	var addrs []string
	for i := 1; i <= 50; i++ {
		addr := fmt.Sprintf("bulk%02d@contoso.com", i)
		addrs = append(addrs, addr)
		if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: addr, DisplayName: fmt.Sprintf("Bulk %02d", i), ManagerUPN: "maria@contoso.com",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}}); err != nil {
			t.Fatal(err)
		}
	}
	addrs = append(addrs, "bob@contoso.com") // already shared: refused, not requested
	e.useTenant(tn)
	e.useExchange(failFor{Exchange: tn, who: "bulk17@contoso.com"})
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared},
		Mailboxes: addrs, User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "bulk.1"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	answer := e.notes.lastAnswer(t)
	i := strings.Index(answer, "Request `bat_")
	if i < 0 || !strings.Contains(answer, "for 50 mailboxes") || !strings.Contains(answer, "bob@contoso.com: bob@contoso.com is already a shared mailbox") {
		t.Fatalf("answer: %s", answer)
	}
	batch := answer[i+len("Request `") : i+len("Request `")+len("bat_")+8]
	if len(e.notes.batchAsks) != 1 || e.notes.batchAsks[0] != maria || len(e.notes.asks) != 0 {
		t.Fatalf("asked %v (batch) and %v (single)", e.notes.batchAsks, e.notes.asks)
	}
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: batch, Approve: true, User: maria, TeamID: "T0001", ActionTS: "1"}}); err != nil {
		t.Fatal(err)
	}
	for range 20 { // run, and wait out the conversions' verification
		e.clock.Add(time.Minute)
		e.drain()
	}
	reports := e.notes.batchReports
	t.Logf("%d report refreshes (requester + audit) for 50 requests", reports)
	succeeded, failed := 0, 0
	for _, r := range e.notes.lastBatch {
		switch r.State {
		case bot.StateSucceeded:
			succeeded++
		case bot.StateFailed:
			failed++
			if r.Op.Mailbox != "bulk17@contoso.com" || !strings.Contains(r.Failure, "can't be converted right now") {
				t.Errorf("failed: %s %q", r.Op.Mailbox, r.Failure)
			}
		}
	}
	if succeeded != 49 || failed != 1 {
		t.Fatalf("the report shows %d succeeded, %d failed", succeeded, failed)
	}
	for _, a := range addrs[:50] {
		want := 1
		if a == "bulk17@contoso.com" {
			want = 0
		}
		if n := tn.ChangeCount(a)[sandbox.ChangeMailboxType]; n != want {
			t.Errorf("%s converted %d times", a, n)
		}
	}
	// 50 requests went through several states each; the report and audit
	// message were refreshed in a few coalesced bursts, not per change, and
	// the requester got no message per mailbox.
	if reports > 25 || len(e.notes.tells) != 0 {
		t.Errorf("%d report refreshes and %d direct messages for 50 mailboxes", reports, len(e.notes.tells))
	}
	// A second click is told who decided.
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobClick, Click: &bot.Click{RequestID: batch, Approve: true, User: maria, TeamID: "T0001", ActionTS: "2"}}); err != nil {
		t.Fatal(err)
	}
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "was already approved by <@U0MARIA>") {
		t.Errorf("second click: %s", got)
	}
}
