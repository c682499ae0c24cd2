// Package storetest holds the contract test suites of the ports package
// bot keeps its state and work in: bot.Store (Run), bot.BatchStore
// (RunBatchStore), bot.Locker (RunLocker) and bot.Queue (RunQueue). Every
// implementation runs them (redisstore against a real Redis and, but for the
// queue, miniredis; an in-memory one may too). They check behaviour only
// through the interfaces, and what the suites need beyond them (a second
// locker, a worker loop) is asked of the implementation by name.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// T0 is the time the suite's requests are created at. Its times are UTC
// without a monotonic reading, so they survive encoding unchanged.
var T0 = time.Date(2025, 3, 4, 10, 11, 12, 123456789, time.UTC)

// NewRequest returns a pending request for mailboxAddr with every field set,
// and one "created" event in its history.
func NewRequest(id, mailboxAddr string) *bot.Request {
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: mailboxAddr}
	return &bot.Request{
		ID: id,
		Op: op,
		Plan: mailbox.Plan{
			Op:       op,
			Target:   mailbox.Target{UserID: "u-1", UserPrincipalName: mailboxAddr, DisplayName: "Alice", RecipientTypeDetails: mailbox.RecipientUserMailbox, AccountEnabled: true, ManagerEmail: "bob@contoso.com"},
			Findings: []mailbox.Finding{{Severity: mailbox.Info, Rule: 7, Text: "Inbox rules are kept after the conversion."}},
			Steps:    []mailbox.Step{{Name: mailbox.StepConvertToShared, Title: "Convert"}, {Name: mailbox.StepVerifyShared, Title: "Verify"}},
		},
		Requester:      "U111",
		TeamID:         "T1",
		Channel:        "C1",
		Approvers:      []string{"U222", "U333"},
		ApproverSource: "manager",
		State:          bot.StatePending,
		CreatedAt:      T0,
		UpdatedAt:      T0,
		ExpiresAt:      T0.Add(24 * time.Hour),
		Steps: []bot.StepState{
			{Step: mailbox.Step{Name: mailbox.StepConvertToShared, Title: "Convert"}},
			{Step: mailbox.Step{Name: mailbox.StepVerifyShared, Title: "Verify"}},
		},
		Approvals:    []bot.MessageRef{{Channel: "D222", TS: "1700000000.000100"}},
		AuditMessage: &bot.MessageRef{Channel: "CAUDIT", TS: "1700000000.000200"},
		History:      []bot.Event{{At: T0, Actor: "U111", Type: "created", To: bot.StatePending}},
	}
}

// Transition returns an Update fn that moves a request from one state to
// another, recording the event; bot.ErrAlreadyDecided when it is not in
// from.
func Transition(from, to bot.State, actor string, at time.Time) func(*bot.Request) error {
	return func(r *bot.Request) error {
		if r.State != from {
			return fmt.Errorf("%s is %s, not %s: %w", r.ID, r.State, from, bot.ErrAlreadyDecided)
		}
		r.State = to
		r.UpdatedAt = at
		r.Record(bot.Event{At: at, Actor: actor, Type: string(to), From: from, To: to})
		return nil
	}
}

// Run runs the suite. newStore returns an empty store for one subtest.
func Run(t *testing.T, newStore func(t *testing.T) bot.Store) {
	ctx := context.Background()

	t.Run("CreateGetRoundTrip", func(t *testing.T) {
		s := newStore(t)
		r := NewRequest("r1", "alice@contoso.com")
		r.Decision = &bot.Decision{By: "U222", At: T0.Add(time.Minute), Approved: true}
		r.Steps[0].Status, r.Steps[0].StartedAt, r.Steps[0].EndedAt, r.Steps[0].Attempts = mailbox.Done, T0, T0.Add(time.Second), 1
		r.NextRunAt = T0.Add(time.Hour)
		r.RunSeq = 3
		if err := s.Create(ctx, r); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if r.Version != 1 {
			t.Errorf("Version after Create = %d, want 1", r.Version)
		}
		got, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("Get after Create:\n got %+v\nwant %+v", got, r)
		}
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Get(missing) err = %v, want ErrNotFound", err)
		}
	})

	t.Run("CreateSameIDFails", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		dup := NewRequest("r1", "carol@contoso.com")
		dup.Requester = "UEVIL"
		if err := s.Create(ctx, dup); err == nil {
			t.Fatal("second Create with the same id succeeded")
		}
		got, err := s.Get(ctx, "r1")
		if err != nil || got.Requester != "U111" || got.Op.Mailbox != "alice@contoso.com" {
			t.Errorf("after duplicate Create: %+v, %v; want the first request unchanged", got, err)
		}
		// carol's mailbox was not claimed by the failed Create.
		if err := s.Create(ctx, NewRequest("r2", "carol@contoso.com")); err != nil {
			t.Errorf("Create for the mailbox of a failed duplicate: %v", err)
		}
	})

	t.Run("OneActiveRequestPerMailbox", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		err := s.Create(ctx, NewRequest("r2", "alice@contoso.com"))
		if !errors.Is(err, bot.ErrActiveRequest) {
			t.Fatalf("second Create for the mailbox: err = %v, want ErrActiveRequest", err)
		}
		var active *bot.ActiveError
		if !errors.As(err, &active) || active.ID != "r1" {
			t.Errorf("err = %#v, want *ActiveError{ID: r1}", err)
		}
		if _, err := s.Get(ctx, "r2"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("refused request was stored: Get err = %v", err)
		}
		if err := s.Create(ctx, NewRequest("r3", "bob@contoso.com")); err != nil {
			t.Errorf("Create for another mailbox: %v", err)
		}
		// A non-terminal move keeps the claim.
		if _, err := s.Update(ctx, "r1", Transition(bot.StatePending, bot.StateApproved, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(ctx, NewRequest("r4", "alice@contoso.com")); !errors.Is(err, bot.ErrActiveRequest) {
			t.Errorf("Create while the first is approved: err = %v, want ErrActiveRequest", err)
		}
	})

	t.Run("TerminalReleasesMailbox", func(t *testing.T) {
		for _, end := range []bot.State{bot.StateRejected, bot.StateExpired, bot.StateCancelled} {
			t.Run(string(end), func(t *testing.T) {
				s := newStore(t)
				if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Update(ctx, "r1", Transition(bot.StatePending, end, "U222", T0)); err != nil {
					t.Fatal(err)
				}
				if err := s.Create(ctx, NewRequest("r2", "alice@contoso.com")); err != nil {
					t.Fatalf("Create after r1 became %s: %v", end, err)
				}
				if err := s.Create(ctx, NewRequest("r3", "alice@contoso.com")); !errors.Is(err, bot.ErrActiveRequest) {
					t.Errorf("third Create: err = %v, want ErrActiveRequest (r2 holds it)", err)
				}
				// r1's late terminal write must not free r2's claim.
				if _, err := s.Update(ctx, "r1", func(r *bot.Request) error { r.Failure = "late"; return nil }); err != nil {
					t.Fatal(err)
				}
				if err := s.Create(ctx, NewRequest("r4", "alice@contoso.com")); !errors.Is(err, bot.ErrActiveRequest) {
					t.Errorf("Create after an update of the old terminal request: err = %v, want ErrActiveRequest", err)
				}
			})
		}
	})

	t.Run("RetryClaimsMailboxAgain", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		for _, step := range []func(*bot.Request) error{
			Transition(bot.StatePending, bot.StateApproved, "U222", T0),
			Transition(bot.StateApproved, bot.StateFailed, "bot", T0),
		} {
			if _, err := s.Update(ctx, "r1", step); err != nil {
				t.Fatal(err)
			}
		}
		// Failed: the mailbox is free, and another request takes it.
		if err := s.Create(ctx, NewRequest("r2", "alice@contoso.com")); err != nil {
			t.Fatalf("Create after r1 failed: %v", err)
		}
		_, err := s.Update(ctx, "r1", Transition(bot.StateFailed, bot.StateApproved, "U111", T0))
		var active *bot.ActiveError
		if !errors.As(err, &active) || active.ID != "r2" {
			t.Fatalf("retry while r2 holds the mailbox: err = %v, want ActiveError r2", err)
		}
		if r, _ := s.Get(ctx, "r1"); r.State != bot.StateFailed {
			t.Errorf("the refused retry wrote: r1 is %s", r.State)
		}
		// r2 ends; the retry claims the mailbox again.
		if _, err := s.Update(ctx, "r2", Transition(bot.StatePending, bot.StateRejected, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, "r1", Transition(bot.StateFailed, bot.StateApproved, "U111", T0)); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if err := s.Create(ctx, NewRequest("r3", "alice@contoso.com")); !errors.Is(err, bot.ErrActiveRequest) {
			t.Errorf("Create while the retried r1 runs: err = %v, want ErrActiveRequest", err)
		}
	})

	t.Run("UpdateBumpsVersion", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		at := T0.Add(time.Minute)
		got, err := s.Update(ctx, "r1", Transition(bot.StatePending, bot.StateApproved, "U222", at))
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.State != bot.StateApproved || len(got.History) != 2 {
			t.Errorf("Update returned version %d state %s history %d; want 2 approved 2", got.Version, got.State, len(got.History))
		}
		stored, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, got) {
			t.Errorf("Get after Update:\n got %+v\nwant %+v", stored, got)
		}
		if _, err := s.Update(ctx, "nope", func(*bot.Request) error { return nil }); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Update(missing) err = %v, want ErrNotFound", err)
		}
	})

	t.Run("UpdateFnErrorWritesNothing", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		before, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		errNo := errors.New("no")
		got, err := s.Update(ctx, "r1", func(r *bot.Request) error {
			r.State = bot.StateRejected
			r.Approvers[0] = "UCHANGED"
			r.Decision = &bot.Decision{By: "U222"}
			r.Record(bot.Event{Type: "rejected"})
			return errNo
		})
		if !errors.Is(err, errNo) {
			t.Fatalf("Update err = %v, want fn's error", err)
		}
		if !reflect.DeepEqual(got, before) {
			t.Errorf("Update with fn error returned\n %+v\nwant the unchanged request\n %+v", got, before)
		}
		after, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, before) {
			t.Errorf("stored request changed by a failed fn:\n %+v\nwant\n %+v", after, before)
		}
		if err := s.Create(ctx, NewRequest("r2", "alice@contoso.com")); !errors.Is(err, bot.ErrActiveRequest) {
			t.Errorf("mailbox released by a failed fn: Create err = %v", err)
		}
	})

	t.Run("ConcurrentDecisionsOneWinner", func(t *testing.T) {
		s := newStore(t)
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = s.Update(ctx, "r1", func(r *bot.Request) error {
					if r.State != bot.StatePending {
						return bot.ErrAlreadyDecided
					}
					// Widen the window between read and write, as a slow
					// caller would, so that a store without compare-and-set
					// lets several through.
					time.Sleep(10 * time.Millisecond)
					r.State = bot.StateApproved
					r.Decision = &bot.Decision{By: fmt.Sprintf("U%d", i), At: T0, Approved: true}
					r.Record(bot.Event{At: T0, Actor: fmt.Sprintf("U%d", i), Type: "approved", From: bot.StatePending, To: bot.StateApproved})
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Errorf("both %d and %d won", winner, i)
				}
				winner = i
			case !errors.Is(err, bot.ErrAlreadyDecided):
				t.Errorf("goroutine %d: err = %v, want ErrAlreadyDecided", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("nobody won")
		}
		got, err := s.Get(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || got.Decision == nil || got.Decision.By != fmt.Sprintf("U%d", winner) || len(got.History) != 2 {
			t.Errorf("after the race: version %d decision %+v history %d; want 2, U%d, 2", got.Version, got.Decision, len(got.History), winner)
		}
	})

	t.Run("ConcurrentCreatesOneWinner", func(t *testing.T) {
		s := newStore(t)
		const rounds, n = 10, 20
		for round := range rounds {
			addr := fmt.Sprintf("user%d@contoso.com", round)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					errs[i] = s.Create(ctx, NewRequest(fmt.Sprintf("r%d-%d", round, i), addr))
				})
			}
			close(start)
			wg.Wait()
			winner := ""
			for i, err := range errs {
				if err == nil {
					if winner != "" {
						t.Errorf("round %d: both %s and r%d-%d claimed the mailbox", round, winner, round, i)
					}
					winner = fmt.Sprintf("r%d-%d", round, i)
				}
			}
			if winner == "" {
				t.Fatalf("round %d: nobody won: %v", round, errs)
			}
			for i, err := range errs {
				var active *bot.ActiveError
				if err != nil && (!errors.As(err, &active) || active.ID != winner) {
					t.Errorf("round %d: r%d-%d: err = %v, want *ActiveError{ID: %s}", round, round, i, err, winner)
				}
			}
		}
	})

	t.Run("List", func(t *testing.T) { runList(t, newStore) })
	t.Run("Retention", func(t *testing.T) { runRetention(t, newStore) })

	t.Run("InFlightFollowsState", func(t *testing.T) {
		s := newStore(t)
		check := func(want ...string) {
			t.Helper()
			got, err := s.InFlight(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
				t.Errorf("InFlight = %v, want %v", got, want)
			}
		}
		check()
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		other := NewRequest("r2", "bob@contoso.com")
		other.State = bot.StateApproved
		if err := s.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		check("r2")
		steps := []struct {
			from, to bot.State
			want     []string
		}{
			{bot.StatePending, bot.StateApproved, []string{"r1", "r2"}},
			{bot.StateApproved, bot.StateRunning, []string{"r1", "r2"}},
			{bot.StateRunning, bot.StateWaiting, []string{"r1", "r2"}},
			{bot.StateWaiting, bot.StateRunning, []string{"r1", "r2"}},
			{bot.StateRunning, bot.StateSucceeded, []string{"r2"}},
		}
		for _, st := range steps {
			if _, err := s.Update(ctx, "r1", Transition(st.from, st.to, "bot", T0)); err != nil {
				t.Fatal(err)
			}
			check(st.want...)
		}
		if _, err := s.Update(ctx, "r2", Transition(bot.StateApproved, bot.StateFailed, "bot", T0)); err != nil {
			t.Fatal(err)
		}
		check()
	})
	t.Run("TrackedKeepsPendingAndInFlightWithRequester", func(t *testing.T) {
		s := newStore(t)
		tracked := func() []bot.Tracked {
			t.Helper()
			got, err := s.Tracked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if err := s.Create(ctx, NewRequest("r1", "alice@contoso.com")); err != nil {
			t.Fatal(err)
		}
		want := []bot.Tracked{{ID: "r1", Requester: "U111", Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"}}
		if got := tracked(); !reflect.DeepEqual(got, want) {
			t.Errorf("pending: Tracked = %+v, want %+v", got, want)
		}
		if _, err := s.Update(ctx, "r1", Transition(bot.StatePending, bot.StateApproved, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		if got := tracked(); !reflect.DeepEqual(got, want) {
			t.Errorf("approved: Tracked = %+v, want %+v", got, want)
		}
		if ok, err := s.Forget(ctx, "r1"); !ok || err != nil {
			t.Errorf("Forget = %v, %v; want true", ok, err)
		}
		if ok, err := s.Forget(ctx, "r1"); ok || err != nil {
			t.Errorf("second Forget = %v, %v; want false", ok, err)
		}
		if got := tracked(); len(got) != 0 {
			t.Errorf("after Forget: Tracked = %+v", got)
		}
		if ids, _ := s.InFlight(ctx); len(ids) != 0 {
			t.Errorf("after Forget: InFlight = %v", ids)
		}
		if _, err := s.Update(ctx, "r1", Transition(bot.StateApproved, bot.StateRejected, "U222", T0)); err != nil {
			t.Fatal(err)
		}
		if got := tracked(); len(got) != 0 {
			t.Errorf("terminal: Tracked = %+v", got)
		}
	})
}
