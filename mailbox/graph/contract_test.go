package graph

import (
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// TestDirectoryContract runs the mailbox.Directory contract against this
// client, over the wire to the fake Graph, backed by the sandbox.
func TestDirectoryContract(t *testing.T) {
	mailboxtest.TestDirectory(t, func(t *testing.T, seed []sandbox.UserSpec) mailbox.Directory {
		tn := sandbox.New(sandbox.Options{})
		if err := tn.AddUsers(seed...); err != nil {
			t.Fatal(err)
		}
		srv := graphtest.New(tn, graphtest.Options{Token: "contract-token"})
		t.Cleanup(srv.Close)
		c, err := New(Config{BaseURL: srv.URL(), HTTPClient: srv.Client(), Token: "contract-token", RetryDelay: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}
