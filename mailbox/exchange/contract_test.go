package exchange

import (
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// TestExchangeContract runs the mailbox.Exchange contract against this
// client, over the wire to the fake admin endpoint, backed by the sandbox.
func TestExchangeContract(t *testing.T) {
	mailboxtest.TestExchange(t, func(t *testing.T, seed []sandbox.UserSpec) mailbox.Exchange {
		tn := sandbox.New(sandbox.Options{ConversionLag: 2})
		if err := tn.AddUsers(seed...); err != nil {
			t.Fatal(err)
		}
		return setup(t, tn, exchangetest.Options{}, nil).c
	})
}
