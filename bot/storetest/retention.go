package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

// runRetention checks Store.Sweep (issue 17): exactly the requests that
// finished before the cut are removed, with everything that lists them; a
// request that is not finished is kept however old; a failed request is
// kept while it may be retried. And the open requests a user waits for
// follow each change of state and of approvers.
func runRetention(t *testing.T, newStore func(t *testing.T) bot.Store) {
	ctx := context.Background()
	day := 24 * time.Hour
	// put stores a request created at T0 + created days, in state, last
	// changed at T0 + changed days.
	put := func(t *testing.T, s bot.Store, id string, state bot.State, created, changed int) *bot.Request {
		t.Helper()
		r := NewRequest(id, id+"@contoso.com")
		r.State = state
		r.CreatedAt = T0.Add(time.Duration(created) * day)
		r.UpdatedAt = T0.Add(time.Duration(changed) * day)
		r.History = []bot.Event{{At: r.CreatedAt, Actor: "U111", Type: "created", To: bot.StatePending}}
		if state != bot.StatePending {
			r.History = append(r.History, bot.Event{At: r.UpdatedAt, Actor: "U222", Type: string(state), From: bot.StatePending, To: state})
		}
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create %s: %v", id, err)
		}
		return r
	}
	sweep := func(t *testing.T, s bot.Store, before time.Time, max int) []string {
		t.Helper()
		ids, err := s.Sweep(ctx, before, max)
		if err != nil {
			t.Fatalf("Sweep(%v, %d): %v", before, max, err)
		}
		return ids
	}
	listAll := func(t *testing.T, s bot.Store, q bot.ListQuery) []string {
		t.Helper()
		q.Limit = 100
		rs, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return listed(rs)
	}

	t.Run("SweepRemovesExactlyTheExpiredFinished", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "old-rejected", bot.StateRejected, 0, 1)
		put(t, s, "old-succeeded", bot.StateSucceeded, 0, 2)
		put(t, s, "new-rejected", bot.StateRejected, 0, 40) // changed after the cuts
		put(t, s, "old-pending", bot.StatePending, -900, -900)
		put(t, s, "old-running", bot.StateRunning, -900, -800)
		failed := NewRequest("old-failed", "old-failed@contoso.com")
		failed.State, failed.UpdatedAt, failed.RetryUntil = bot.StateFailed, T0, T0.Add(30*day) // may still be retried at the cut
		if err := s.Create(ctx, failed); err != nil {
			t.Fatal(err)
		}

		cut := T0.Add(10 * day)
		got := sweep(t, s, cut, 0)
		slices.Sort(got)
		if want := []string{"old-rejected", "old-succeeded"}; !slices.Equal(got, want) {
			t.Errorf("Sweep removed %v, want %v", got, want)
		}
		for _, id := range []string{"old-rejected", "old-succeeded"} {
			if _, err := s.Get(ctx, id); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("Get(%s) after Sweep: %v, want ErrNotFound", id, err)
			}
		}
		for _, id := range []string{"new-rejected", "old-pending", "old-running", "old-failed"} {
			if _, err := s.Get(ctx, id); err != nil {
				t.Errorf("Get(%s) after Sweep: %v, want it kept", id, err)
			}
		}
		// No list names a removed request any more.
		want := []string{"old-running", "old-pending", "old-failed", "new-rejected"}
		for _, q := range []bot.ListQuery{{}, {Requester: "U111"}, {Approver: "U222"}, {Approver: "U333"}} {
			got := listAll(t, s, q)
			slices.Sort(got)
			w := slices.Sorted(slices.Values(want))
			if !slices.Equal(got, w) {
				t.Errorf("List(%+v) after Sweep = %v, want %v", q, got, w)
			}
		}
		if got := listAll(t, s, bot.ListQuery{Approver: "U222", Pending: true}); !slices.Equal(got, []string{"old-pending"}) {
			t.Errorf("pending for U222 after Sweep = %v, want [old-pending]", got)
		}
		// A second sweep at the same cut has nothing left to do.
		if got := sweep(t, s, cut, 0); len(got) != 0 {
			t.Errorf("second Sweep removed %v", got)
		}
		// Once its retry window is over too, the failed one goes.
		if got := sweep(t, s, T0.Add(31*day), 0); !slices.Equal(got, []string{"old-failed"}) {
			t.Errorf("Sweep after the retry window removed %v, want [old-failed]", got)
		}
	})

	t.Run("SweepOldestFirstAtMostMax", func(t *testing.T) {
		s := newStore(t)
		for i := range 7 {
			put(t, s, fmt.Sprintf("r%d", i), bot.StateExpired, 0, 6-i) // r6 finished first
		}
		cut := T0.Add(100 * day)
		if got := sweep(t, s, cut, 3); !slices.Equal(got, []string{"r6", "r5", "r4"}) {
			t.Errorf("Sweep(max 3) = %v, want [r6 r5 r4]", got)
		}
		if got := sweep(t, s, cut, 10); !slices.Equal(got, []string{"r3", "r2", "r1", "r0"}) {
			t.Errorf("Sweep(max 10) = %v, want [r3 r2 r1 r0]", got)
		}
	})

	t.Run("SweepFollowsARetry", func(t *testing.T) {
		// Failed long ago, then retried: running now, so never removed; and
		// finished again later, kept from that later time.
		s := newStore(t)
		put(t, s, "r1", bot.StateFailed, 0, 1)
		if _, err := s.Update(ctx, "r1", Transition(bot.StateFailed, bot.StateRunning, "U111", T0.Add(50*day))); err != nil {
			t.Fatal(err)
		}
		if got := sweep(t, s, T0.Add(100*day), 0); len(got) != 0 {
			t.Errorf("Sweep removed the running %v", got)
		}
		if _, err := s.Update(ctx, "r1", Transition(bot.StateRunning, bot.StateSucceeded, "bot", T0.Add(60*day))); err != nil {
			t.Fatal(err)
		}
		if got := sweep(t, s, T0.Add(60*day), 0); len(got) != 0 {
			t.Errorf("Sweep before it finished again removed %v", got)
		}
		if got := sweep(t, s, T0.Add(61*day), 0); !slices.Equal(got, []string{"r1"}) {
			t.Errorf("Sweep after it finished again = %v, want [r1]", got)
		}
	})

	t.Run("SweptMailboxCanBeAskedAgain", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "r1", bot.StateCancelled, 0, 0)
		sweep(t, s, T0.Add(day), 0)
		if err := s.Create(ctx, NewRequest("r2", "r1@contoso.com")); err != nil {
			t.Errorf("Create for the mailbox of a swept request: %v", err)
		}
	})

	t.Run("PendingFollowsStateAndApprovers", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "r1", bot.StatePending, 0, 0)
		put(t, s, "r2", bot.StatePending, 1, 1)
		check := func(q bot.ListQuery, want ...string) {
			t.Helper()
			if got := listAll(t, s, q); !slices.Equal(got, want) {
				t.Errorf("List(%+v) = %v, want %v", q, got, want)
			}
		}
		check(bot.ListQuery{Approver: "U222", Pending: true}, "r2", "r1")
		check(bot.ListQuery{Requester: "U111", Pending: true}, "r2", "r1")
		// Approved, running, failed, retried: never pending again.
		for _, st := range [][2]bot.State{{bot.StatePending, bot.StateApproved}, {bot.StateApproved, bot.StateRunning},
			{bot.StateRunning, bot.StateFailed}, {bot.StateFailed, bot.StateRunning}} {
			if _, err := s.Update(ctx, "r1", Transition(st[0], st[1], "U222", T0)); err != nil {
				t.Fatal(err)
			}
			check(bot.ListQuery{Approver: "U222", Pending: true}, "r2")
			check(bot.ListQuery{Requester: "U111", Pending: true}, "r2")
		}
		// Another approver takes over r2: it waits for them, no longer for U222.
		if _, err := s.Update(ctx, "r2", func(r *bot.Request) error { r.Approvers = []string{"U333", "U777"}; return nil }); err != nil {
			t.Fatal(err)
		}
		check(bot.ListQuery{Approver: "U222", Pending: true})
		check(bot.ListQuery{Approver: "U777", Pending: true}, "r2")
		check(bot.ListQuery{Approver: "U777", Requester: "U111", Pending: true}, "r2")
		check(bot.ListQuery{Approver: "U777", Requester: "U999", Pending: true})
		if _, err := s.Update(ctx, "r2", Transition(bot.StatePending, bot.StateExpired, "bot", T0)); err != nil {
			t.Fatal(err)
		}
		check(bot.ListQuery{Approver: "U777", Pending: true})
		check(bot.ListQuery{Requester: "U111", Pending: true})
	})
}
