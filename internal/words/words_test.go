package words

import (
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func TestMembersTable(t *testing.T) {
	mb := mailbox.Mailbox{RecipientTypeDetails: "SharedMailbox", HiddenFromAddressListsEnabled: true}
	got := Members("info@contoso.com", mb, []mailbox.Member{{Who: "kim@contoso.com", FullAccess: true}, {Who: "<x>", SendAs: true}})
	for _, want := range []string{
		"*Who may use info@contoso.com* (SharedMailbox, 2):",
		"Who              Full Access  Send As  Send on Behalf\n",
		"kim@contoso.com  yes          -        -\n",
		"&lt;x&gt;",
		"(rule 13)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("members table lacks %q:\n%s", want, got)
		}
	}
	if got := Members("a@b", mailbox.Mailbox{RecipientTypeDetails: "UserMailbox"}, nil); got != "Nobody has Full Access, Send As or Send on Behalf on *a@b* (UserMailbox)." {
		t.Errorf("no members: %q", got)
	}
}

func TestList(t *testing.T) {
	if got := List(nil, nil); got != "You have no requests, and none waits for your decision." {
		t.Errorf("empty list: %q", got)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	got := List([]Listed{{ID: "req_1", What: "convert *a@b* to a shared mailbox", State: State("pending_approval"), Requester: "U1", Expires: at}},
		[]Listed{{ID: "req_2", What: "x", State: State("running")}})
	if !strings.HasPrefix(got, "*Waiting for your decision*\n• `req_1` convert *a@b* to a shared mailbox — waiting for approval, asked by <@U1>, expires ") ||
		!strings.HasSuffix(got, "*Your recent requests*\n• `req_2` x — running") {
		t.Errorf("list:\n%s", got)
	}
}

func TestFailedSaysWhatWasDone(t *testing.T) {
	if got := Failed("req_1", 2, "Convert", "busy", nil); !strings.HasSuffix(got, "Microsoft said: “busy”. Nothing had been changed.") {
		t.Errorf("nothing done: %q", got)
	}
	if got := Failed("req_1", 2, "Convert", "busy", []string{"Block sign-in"}); !strings.HasSuffix(got, "Already done: Block sign-in. Nothing after the failed step was run.") {
		t.Errorf("one done: %q", got)
	}
}
