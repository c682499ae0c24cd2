package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Attack on rule 16 through a batch's order: each mailbox is left out of
// its own member list, so in "convert kim@, alice@ … full-access kim@" the
// first request (kim@'s) gives kim nothing, while alice@'s gives her Full
// Access. A batch is routed and its click checked on its first request
// only, so kim, an extra approver, was asked and her Approve all went
// through. What must hold: nothing is done to alice@ on kim's approval.
// The routing counts everyone who gains access through any mailbox of the
// batch (batchGainers), so kim is not asked; the click check counts every
// request of the batch (isBeneficiary); the run-time re-check would stop
// alice@'s request anyway.
func TestAttackBatchOrderHidesTheApproversAccess(t *testing.T) {
	e := policyEnv(t, nil, func(c *bot.Config) {
		c.ExtraApprovers = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {kim, erin}}
	})
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Options: mailbox.Options{FullAccess: []string{"kim@contoso.com"}}}
	if err := e.svc.AcceptCommand(context.Background(), bot.Command{Op: op, Mailboxes: []string{"kim@contoso.com", "alice@contoso.com"},
		User: rita, TeamID: "T0001", Channel: "C0HELP", TriggerID: "atk.order"}); err != nil {
		t.Fatal(err)
	}
	e.drain()
	answer := e.notes.lastAnswer(t)
	i := strings.Index(answer, "Request `bat_")
	if i < 0 {
		t.Fatalf("no batch: %s", answer)
	}
	batch := answer[i+len("Request `") : i+len("Request `")+len("bat_")+8]
	e.notes.mu.Lock()
	asked := slices.Clone(e.notes.batchAsks)
	e.notes.mu.Unlock()
	t.Logf("batch asked %v", asked)
	e.clickAs(bot.Click{RequestID: batch, Approve: true, User: kim, TeamID: "T0001"})
	for range 20 {
		e.clock.Add(e.cfg.VerifyDelay)
		e.drain()
	}
	if n := e.tenant.ChangeCount("alice@contoso.com"); len(n) != 0 {
		t.Errorf("alice@ changed on the approval of kim, who gains Full Access to it: %v", n)
	}
	b, err := e.store.GetBatch(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if b.Decision != nil {
		t.Errorf("kim's click decided the batch: %+v", b.Decision)
	}
	if !e.answeredTo(kim, "changed nothing") { // not an approver now; were she one, "gives you access"
		t.Errorf("kim was not told why: %q", e.notes.answers)
	}
	if slices.Contains(asked, kim) {
		t.Errorf("kim, who gains Full Access to alice@, was asked: %v", asked)
	}
}
