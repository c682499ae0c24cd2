package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Issue 15, point 8: a batch is one decision. A click on one member with
// its own id (an old message, the Home tab, a forged value) changes
// nothing; the batch rejected afterwards leaves every mailbox as it was.
func TestBatchMemberCannotBeDecidedAlone(t *testing.T) {
	e := newEnv(t, nil)
	addrs := bulkTenant(t, e, 2)
	if err := e.svc.AcceptCommand(context.Background(), batchCmd(addrs, "b8.1")); err != nil {
		t.Fatal(err)
	}
	e.drain()
	bat := batchID(t, e.notes.lastAnswer(t))
	b, err := e.store.GetBatch(context.Background(), bat)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Approvers) != 1 || b.Approvers[0] != maria {
		t.Fatalf("approvers %v, want maria", b.Approvers)
	}

	// The Home tab shows the batch as one item, without member buttons.
	h := e.home(maria)
	if len(h.WaitingBatches) != 1 || h.WaitingBatches[0].Batch.ID != bat || len(h.WaitingBatches[0].Requests) != 2 {
		t.Errorf("Home waiting batches = %+v, want batch %s with its 2 requests", h.WaitingBatches, bat)
	}
	for _, r := range h.Waiting {
		if r.Batch != "" {
			t.Errorf("Home lists batch member %s on its own, with its own buttons", r.ID)
		}
	}

	member := b.RequestIDs[0]
	e.click(maria, member, true) // a member's own button
	if got := e.notes.lastAnswer(t); !strings.Contains(got, "decide the batch") || !strings.Contains(got, bat) {
		t.Errorf("member click answered %q, want a refusal naming the batch", got)
	}
	if r := e.get(member); r.State != bot.StatePending || r.Decision != nil {
		t.Fatalf("member %s after its own click: %s %+v, want pending and undecided", member, r.State, r.Decision)
	}

	e.click(maria, bat, false) // the batch rejected
	for _, id := range b.RequestIDs {
		if r := e.get(id); r.State != bot.StateRejected {
			t.Errorf("%s is %s after the batch was rejected, want rejected", id, r.State)
		}
	}
	for _, addr := range addrs {
		mb, err := e.tenant.GetMailbox(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
			t.Errorf("%s converted to %s although the batch was rejected", addr, mb.RecipientTypeDetails)
		}
	}
	for _, r := range e.notes.lastBatch {
		if r.State != bot.StateRejected {
			t.Errorf("the batch report shows %s as %s, the batch was rejected", r.ID, r.State)
		}
	}
}
