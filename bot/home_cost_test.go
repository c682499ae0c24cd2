package bot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What a Home refresh and `list` cost must not grow with the history
// behind them (issue 17): an approver's decided requests stay in the store
// for months, and the Home tab is refreshed on every change.

// homeAndListCost returns the Redis commands of maria's Home refresh and of
// her `list`, with one request waiting for her behind decided ones.
func homeAndListCost(t *testing.T, decided int) (home, list int64) {
	t.Helper()
	e := newEnv(t, nil)
	ctx := context.Background()
	waiting := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if waiting.State != bot.StatePending || !waiting.IsApprover(maria) {
		t.Fatalf("setup: %s %v", waiting.State, waiting.Approvers)
	}
	// The history: decided requests maria was asked for, newer than the one
	// still waiting (she decided the others first).
	for i := range decided {
		r := waiting.Clone()
		r.ID = fmt.Sprintf("req_d%07d", i)
		r.Op.Mailbox = fmt.Sprintf("d%d@contoso.com", i)
		r.State = bot.StateRejected
		r.CreatedAt = waiting.CreatedAt.Add(time.Duration(i+1) * time.Second)
		if err := e.store.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	c := redistest.Count(e.rdb.(*redis.Client))
	h := e.home(maria)
	if len(h.Waiting) != 1 || h.Waiting[0].ID != waiting.ID {
		t.Fatalf("maria waits for %v, want [%s]", ids(h.Waiting), waiting.ID)
	}
	home = c.Take()
	if err := e.svc.Handle(ctx, bot.Job{Type: bot.JobCommand, Command: &bot.Command{Action: bot.CommandList, User: maria, TeamID: "T0001", Channel: "C0HELP"}}); err != nil {
		t.Fatal(err)
	}
	list = c.Take()
	return home, list
}

func TestHomeAndListCostDoNotGrowWithHistory(t *testing.T) {
	home0, list0 := homeAndListCost(t, 0)
	home1, list1 := homeAndListCost(t, 650)
	t.Logf("Redis commands with 0 / 650 decided requests: Home %d / %d, list %d / %d", home0, home1, list0, list1)
	if home1 != home0 {
		t.Errorf("a Home refresh sends %d Redis commands behind 650 decided requests, %d behind none: it grows with history", home1, home0)
	}
	if list1 != list0 {
		t.Errorf("`list` sends %d Redis commands behind 650 decided requests, %d behind none: it grows with history", list1, list0)
	}
}
