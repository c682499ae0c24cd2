package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// oneBlip answers 503 to the n-th Get-Mailbox call only.
type oneBlip struct {
	mailbox.Exchange
	mu    sync.Mutex
	calls int
	at    int
}

func (f *oneBlip) GetMailbox(ctx context.Context, id string) (mailbox.Mailbox, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls == f.at
	f.mu.Unlock()
	if fail {
		return mailbox.Mailbox{}, &mailbox.RemoteError{Service: "exchange", Op: "Get-Mailbox", Status: 503, Message: "The service is temporarily unavailable."}
	}
	return f.Exchange.GetMailbox(ctx, id)
}

// One 503 during a long (normal) wait for a restored mailbox fails the
// whole request: StepRetries counts the Pending polls as fault retries.
func TestOneFaultDuringALongWaitIsRetried(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.VerifyDelay = time.Minute; c.VerifyMaxDelay = 2 * time.Minute })
	e.useTenant(sandbox.NewContoso(sandbox.Options{RestoreLag: 12, Now: e.clock.Now}))
	blip := &oneBlip{Exchange: e.tenant, at: 8}
	e.useExchange(blip)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "gina@contoso.com"})
	e.click(admin, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("one passing 503 (Get-Mailbox call %d of a normal wait) ended the request: state %s, failure %q", blip.at, r.State, r.Failure)
	}
}
