package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// noDM cannot deliver a credential (Slack: user_not_found / cannot_dm).
type noDM struct{ *notes }

func (noDM) TellSecret(context.Context, string, *bot.Request, string) error {
	return errors.New("slack conversations.open: user_not_found")
}

// A credential that cannot be delivered is re-created every 30 s, forever:
// the request stays running with the mailbox claimed, and the user's
// password / pass is replaced on every try.
func TestUndeliverableCredentialFailsAfterBoundedTries(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	e.cfg.Notifier = noDM{e.notes}
	e.restart()
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "sales@contoso.com", Options: mailbox.Options{Password: true}})
	if err := e.svc.AcceptClick(context.Background(), bot.Click{RequestID: r.ID, Approve: true, User: r.Approvers[0], TeamID: "T0001", ActionTS: "1"}); err != nil {
		t.Fatal(err)
	}
	deferred := 0
	for range 200 {
		jobs := e.queue.due(e.clock.Now())
		if len(jobs) == 0 {
			cur := e.get(r.ID)
			if d := cur.NextRunAt.Sub(e.clock.Now()); d > 0 {
				e.clock.Add(d)
				continue
			}
			break
		}
		for _, j := range jobs {
			err := e.svc.Handle(context.Background(), j)
			var ra *bot.RetryAfterError
			if errors.As(err, &ra) { // the real queue re-runs it after ra.After, without limit
				deferred++
				e.clock.Add(ra.After)
				e.queue.Enqueue(context.Background(), j)
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	r = e.get(r.ID)
	resets := e.tenant.ChangeCount("sales@contoso.com")[sandbox.ChangePasswordReset]
	t.Logf("state %s after %d deferrals; password reset %d times; step attempts %d", r.State, deferred, resets, stepOf(r, mailbox.StepIssueCredential).Attempts)
	if r.State != bot.StateFailed || resets != 5 || deferred != 0 || !strings.Contains(r.Failure, "could not be sent to you in Slack") {
		t.Fatalf("want a failure after 5 tries (StepRetries), each replacing the password: state %s, resets %d, deferrals %d, failure %q", r.State, resets, deferred, r.Failure)
	}
}
