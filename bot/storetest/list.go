package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

// listed returns the ids of rs, in order.
func listed(rs []*bot.Request) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// runList checks Store.List: who sees what, the Pending filter, the limit
// and the order (newest first).
func runList(t *testing.T, newStore func(t *testing.T) bot.Store) {
	ctx := context.Background()
	list := func(t *testing.T, s bot.Store, q bot.ListQuery) []string {
		t.Helper()
		rs, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		return listed(rs)
	}
	check := func(t *testing.T, s bot.Store, q bot.ListQuery, want ...string) {
		t.Helper()
		if got := list(t, s, q); !slices.Equal(got, want) {
			t.Errorf("List(%+v) = %v, want %v", q, got, want)
		}
	}
	// create stores a request by requester for approvers, created
	// minutes after T0.
	create := func(t *testing.T, s bot.Store, id, requester string, minutes int, approvers ...string) *bot.Request {
		t.Helper()
		r := NewRequest(id, id+"@contoso.com")
		r.Requester, r.Approvers = requester, approvers
		r.CreatedAt = T0.Add(time.Duration(minutes) * time.Minute)
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create %s: %v", id, err)
		}
		return r
	}

	t.Run("WhoSeesWhat", func(t *testing.T) {
		s := newStore(t)
		// Created out of order: List sorts by CreatedAt, not by arrival.
		create(t, s, "r2", "U111", 2, "U222")
		create(t, s, "r1", "U111", 1, "U222", "U333")
		create(t, s, "r3", "U444", 3, "U333")
		create(t, s, "r4", "U111", 4, "U444")

		check(t, s, bot.ListQuery{Requester: "U111"}, "r4", "r2", "r1")
		check(t, s, bot.ListQuery{Requester: "U444"}, "r3")
		check(t, s, bot.ListQuery{Approver: "U222"}, "r2", "r1")
		check(t, s, bot.ListQuery{Approver: "U333"}, "r3", "r1")
		check(t, s, bot.ListQuery{Approver: "U444"}, "r4")
		check(t, s, bot.ListQuery{}, "r4", "r3", "r2", "r1")
		check(t, s, bot.ListQuery{Requester: "U111", Approver: "U333"}, "r1")
		check(t, s, bot.ListQuery{Requester: "UNOBODY"})
		check(t, s, bot.ListQuery{Approver: "U111"})

		// The requests come back whole, as Get reads them.
		rs, err := s.List(ctx, bot.ListQuery{Requester: "U444"})
		if err != nil || len(rs) != 1 {
			t.Fatalf("List: %v, %v", rs, err)
		}
		got, err := s.Get(ctx, "r3")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rs[0], got) {
			t.Errorf("List gave\\n %+v\\nGet gives\\n %+v", rs[0], got)
		}
	})

	t.Run("Pending", func(t *testing.T) {
		s := newStore(t)
		create(t, s, "r1", "U111", 1, "U222")
		create(t, s, "r2", "U111", 2, "U222")
		create(t, s, "r3", "U111", 3, "U222")
		create(t, s, "r4", "U444", 4, "U555")
		if _, err := s.Update(ctx, "r2", Transition(bot.StatePending, bot.StateApproved, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, "r3", Transition(bot.StatePending, bot.StateRejected, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		check(t, s, bot.ListQuery{Approver: "U222", Pending: true}, "r1")
		check(t, s, bot.ListQuery{Approver: "U222"}, "r3", "r2", "r1")
		check(t, s, bot.ListQuery{Requester: "U111", Pending: true}, "r1")
		check(t, s, bot.ListQuery{Pending: true}, "r4", "r1")
		// The Update kept the indexes: the decided requests are still
		// listed, with their new state.
		rs, err := s.List(ctx, bot.ListQuery{Requester: "U111"})
		if err != nil {
			t.Fatal(err)
		}
		var states []bot.State
		for _, r := range rs {
			states = append(states, r.State)
		}
		if want := []bot.State{bot.StateRejected, bot.StateApproved, bot.StatePending}; !slices.Equal(states, want) {
			t.Errorf("states = %v, want %v", states, want)
		}
	})

	t.Run("PendingBehindManyDecided", func(t *testing.T) {
		// One old pending request behind more decided ones than a store
		// would read at once: the filter must look further.
		s := newStore(t)
		create(t, s, "old", "U111", 0, "U222")
		for i := range 250 {
			r := NewRequest(fmt.Sprintf("d%03d", i), fmt.Sprintf("d%03d@contoso.com", i))
			r.State = bot.StateRejected
			r.Approvers = []string{"U222"}
			r.CreatedAt = T0.Add(time.Duration(i+1) * time.Minute)
			if err := s.Create(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		check(t, s, bot.ListQuery{Approver: "U222", Pending: true}, "old")
		check(t, s, bot.ListQuery{Approver: "U222", Pending: true, Limit: 1}, "old")
		check(t, s, bot.ListQuery{Approver: "U222", Limit: 2}, "d249", "d248")
	})

	t.Run("Limit", func(t *testing.T) {
		s := newStore(t)
		var want []string
		for i := range 105 {
			id := fmt.Sprintf("r%03d", i)
			create(t, s, id, "U111", i, "U222")
			want = append(want, id)
		}
		slices.Reverse(want) // newest first
		check(t, s, bot.ListQuery{}, want[:20]...)
		check(t, s, bot.ListQuery{Requester: "U111", Limit: 3}, want[:3]...)
		check(t, s, bot.ListQuery{Approver: "U222", Limit: 1000}, want[:100]...)
		check(t, s, bot.ListQuery{Limit: -1}, want[:20]...)
	})

	t.Run("ApproverRemoved", func(t *testing.T) {
		s := newStore(t)
		create(t, s, "r1", "U111", 1, "U222", "U333")
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error {
			r.Approvers = []string{"U333", "U666"}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		check(t, s, bot.ListQuery{Approver: "U222"})
		check(t, s, bot.ListQuery{Approver: "U333"}, "r1")
		check(t, s, bot.ListQuery{Approver: "U666"}, "r1")
		// A refused Update changes no index.
		if _, err := s.Update(ctx, "r1", func(r *bot.Request) error {
			r.Approvers = nil
			return bot.ErrAlreadyDecided
		}); err == nil {
			t.Fatal("Update with a failing fn succeeded")
		}
		check(t, s, bot.ListQuery{Approver: "U666"}, "r1")
	})
}
