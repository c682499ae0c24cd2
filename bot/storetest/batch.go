package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// NewBatch returns a batch of two requests with every field set.
func NewBatch(id string) *bot.Batch {
	return &bot.Batch{
		ID:           id,
		Requester:    "U111",
		TeamID:       "T1",
		Channel:      "C1",
		Op:           mailbox.Operation{Kind: mailbox.KindConvertToShared},
		Approvers:    []string{"U222", "U333"},
		ApproverNote: "the IT admins",
		RequestIDs:   []string{"r1", "r2"},
		Refused:      []string{"carol@contoso.com: not found"},
		CreatedAt:    T0,
		ExpiresAt:    T0.Add(24 * time.Hour),
		Approvals:    []bot.MessageRef{{Channel: "D222", TS: "1700000000.000100"}},
		Report:       &bot.MessageRef{Channel: "D111", TS: "1700000000.000300"},
		AuditMessage: &bot.MessageRef{Channel: "CAUDIT", TS: "1700000000.000200"},
	}
}

// checkBatch checks what UpdateBatch returned and what is then stored
// against want.
func checkBatch(t *testing.T, s bot.BatchStore, returned, want *bot.Batch) {
	t.Helper()
	if !reflect.DeepEqual(returned, want) {
		t.Errorf("UpdateBatch returned\n %+v\nwant\n %+v", returned, want)
	}
	if stored, err := s.GetBatch(context.Background(), want.ID); err != nil || !reflect.DeepEqual(stored, want) {
		t.Errorf("GetBatch after UpdateBatch =\n %+v, %v\nwant\n %+v", stored, err, want)
	}
}

// RunBatchStore runs the contract of bot.BatchStore: a batch reads back as
// created, with Version 1; an id is created once; a missing batch is
// bot.ErrNotFound; Update applies fn and bumps Version, writes nothing when
// fn fails, and loses no concurrent update. newStore returns an empty store
// for one subtest.
func RunBatchStore(t *testing.T, newStore func(t *testing.T) bot.BatchStore) {
	ctx := context.Background()

	t.Run("CreateGetRoundTrip", func(t *testing.T) {
		s := newStore(t)
		b := NewBatch("bat_1")
		b.Decision = &bot.Decision{By: "U222", At: T0.Add(time.Minute), Approved: true}
		b.Reminded = true
		if err := s.CreateBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		want := *b
		want.Version = 1
		got, err := s.GetBatch(ctx, "bat_1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("GetBatch =\n %+v\nwant\n %+v", *got, want)
		}
	})

	t.Run("CreateTakenID", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateBatch(ctx, NewBatch("bat_1")); err != nil {
			t.Fatal(err)
		}
		other := NewBatch("bat_1")
		other.Requester = "U999"
		if err := s.CreateBatch(ctx, other); err == nil {
			t.Error("CreateBatch of a taken id: no error")
		}
		if got, err := s.GetBatch(ctx, "bat_1"); err != nil || got.Requester != "U111" {
			t.Errorf("after a second CreateBatch: %+v, %v; want the first batch", got, err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.GetBatch(ctx, "bat_none"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("GetBatch of a missing batch: err = %v, want ErrNotFound", err)
		}
		called := false
		if _, err := s.UpdateBatch(ctx, "bat_none", func(*bot.Batch) error { called = true; return nil }); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("UpdateBatch of a missing batch: err = %v, want ErrNotFound", err)
		}
		if called {
			t.Error("UpdateBatch called fn for a missing batch")
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateBatch(ctx, NewBatch("bat_1")); err != nil {
			t.Fatal(err)
		}
		d := &bot.Decision{By: "U333", At: T0.Add(time.Hour), Approved: false}
		got, err := s.UpdateBatch(ctx, "bat_1", func(b *bot.Batch) error {
			b.Decision = d
			b.Approvals = append(b.Approvals, bot.MessageRef{Channel: "D333", TS: "1700000000.000400"})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := NewBatch("bat_1")
		want.Version, want.Decision = 2, d
		want.Approvals = append(want.Approvals, bot.MessageRef{Channel: "D333", TS: "1700000000.000400"})
		checkBatch(t, s, got, want)
	})

	t.Run("UpdateFnErrorWritesNothing", func(t *testing.T) {
		s := newStore(t)
		if err := s.CreateBatch(ctx, NewBatch("bat_1")); err != nil {
			t.Fatal(err)
		}
		refused := errors.New("already decided")
		got, err := s.UpdateBatch(ctx, "bat_1", func(b *bot.Batch) error {
			b.Reminded = true
			b.Approvals = append(b.Approvals[:0], bot.MessageRef{Channel: "DX", TS: "1"})
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("UpdateBatch: err = %v, want fn's error", err)
		}
		want := NewBatch("bat_1")
		want.Version = 1
		checkBatch(t, s, got, want) // as stored before
	})

	t.Run("ConcurrentUpdatesAllApplied", func(t *testing.T) {
		s := newStore(t)
		b := NewBatch("bat_1")
		b.Approvals = nil
		if err := s.CreateBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		const n = 10
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ref := bot.MessageRef{Channel: "D", TS: string(rune('a' + i))}
				if _, err := s.UpdateBatch(ctx, "bat_1", func(b *bot.Batch) error {
					b.Approvals = append(b.Approvals, ref)
					return nil
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.GetBatch(ctx, "bat_1")
		if err != nil {
			t.Fatal(err)
		}
		var ts []string
		for _, a := range got.Approvals {
			ts = append(ts, a.TS)
		}
		slices.Sort(ts)
		if want := "abcdefghij"; got.Version != n+1 || strings.Join(ts, "") != want {
			t.Errorf("after %d concurrent updates: Version %d, approvals %q; want Version %d and every update", n, got.Version, ts, n+1)
		}
	})
}
