package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// Leaver alice: converted to shared (sign-in blocked, password unchanged),
// later converted back with the default Temporary Access Pass: sign-in is
// enabled and her old password works again (rule 6 undone).
func TestConvertBackReplacesTheOldPassword(t *testing.T) {
	e := newEnv(t, nil)
	e.useTenant(sandbox.NewContoso(sandbox.Options{Now: e.clock.Now}))
	ctx := context.Background()
	u, _ := e.tenant.User(ctx, "alice@contoso.com")
	const old = "Alice-Old-Passw0rd!"
	if err := e.tenant.ResetPassword(ctx, u.ID, old, false); err != nil {
		t.Fatal(err)
	}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{KeepLicenses: true}})
	e.click(maria, r.ID, true)
	if r = e.untilSettled(r.ID); r.State != bot.StateSucceeded {
		t.Fatalf("to shared: %s %q", r.State, r.Failure)
	}
	e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "alice@contoso.com"})
	last := e.notes.answers[len(e.notes.answers)-1]
	i := strings.Index(last, "Request `req_")
	r2 := e.get(last[i+len("Request `") : i+len("Request `")+12])
	if r2.ID == r.ID || r2.State != bot.StatePending {
		t.Fatalf("to regular not requested: %s %q", r2.State, e.notes.answers)
	}
	e.click(r2.Approvers[0], r2.ID, true)
	if r2 = e.untilSettled(r2.ID); r2.State != bot.StateSucceeded {
		t.Fatalf("to regular: %s %q", r2.State, r2.Failure)
	}
	u, _ = e.tenant.User(ctx, "alice@contoso.com")
	if u.AccountEnabled && e.tenant.CheckPassword("alice@contoso.com", old) {
		t.Fatalf("after converting back (TAP) sign-in is enabled and the leaver's old password still works")
	}
}
