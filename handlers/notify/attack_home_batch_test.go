package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Attack: a batch is approved from the Home tab, whose Approve all button
// decides it as the batch message's does. The Home item must then show
// what is approved there: which mailboxes, and each one's own findings,
// or, when they do not fit, how many are not shown and where they are.
// Without them an approver approved "2 mailboxes" blind, and a requester
// could slip a mailbox into a batch its approver never saw named.
func TestAttackHomeBatchShowsTheMailboxesItApproves(t *testing.T) {
	for _, n := range []int{2, 150} {
		b, reqs := batchOf(n, mailbox.Options{})
		blocks := notify.HomeBlocks(bot.Home{User: manager, Now: t0, WaitingBatches: []bot.HomeBatch{{Batch: b, Requests: reqs}}})
		checkHome(t, blocks)
		raw, err := json.Marshal(blocks)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if !strings.Contains(text, `"action_id":"approve"`) {
			t.Fatalf("%d: no Approve button on the Home item", n)
		}
		for _, want := range []string{"user000@contoso.com", "user001@contoso.com", "user001@contoso.com has a litigation hold"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d mailboxes: the Home item does not show %q", n, want)
			}
		}
		if n > 2 && !strings.Contains(text, fmt.Sprintf("status %s", b.ID)) {
			t.Errorf("%d mailboxes: the Home item does not say where the others are", n)
		}
	}
}

// Two batches waiting for the same approver each show their mailboxes,
// and the Home view stays one Slack accepts (no block id twice).
func TestHomeTwoWaitingBatches(t *testing.T) {
	b1, r1 := batchOf(2, mailbox.Options{DryRun: true, FullAccess: []string{"kim@contoso.com"}})
	b2, r2 := batchOf(3, mailbox.Options{DryRun: true, FullAccess: []string{"lee@contoso.com"}})
	b2.ID = "bat_SECOND"
	blocks := notify.HomeBlocks(bot.Home{User: manager, Now: t0, WaitingBatches: []bot.HomeBatch{{Batch: b1, Requests: r1}, {Batch: b2, Requests: r2}}})
	checkHome(t, blocks)
}
