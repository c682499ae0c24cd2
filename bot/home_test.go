package bot_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The App Home tab (issue 5).

func ids(rs []*bot.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// home opens user's Home tab and returns what was published.
func (e *env) home(user string) bot.Home {
	e.t.Helper()
	if err := e.svc.HomeOpened(context.Background(), user); err != nil {
		e.t.Fatalf("HomeOpened(%s): %v", user, err)
	}
	e.notes.mu.Lock()
	defer e.notes.mu.Unlock()
	h, ok := e.notes.homes[user]
	if !ok {
		e.t.Fatalf("no Home published for %s", user)
	}
	return h
}

func TestHomeOpened(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Admins = []string{admin} })
	alice := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.clock.Add(time.Minute)
	jack := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "jack@contoso.com"})
	if alice.State != bot.StatePending || jack.State != bot.StatePending || !jack.IsApprover(maria) {
		t.Fatalf("setup: alice %s %v, jack %s %v", alice.State, alice.Approvers, jack.State, jack.Approvers)
	}

	h := e.home(maria)
	if !slices.Equal(ids(h.Waiting), []string{jack.ID, alice.ID}) || len(h.Mine) != 0 || h.Admin || h.Everyone != nil {
		t.Errorf("maria's home: waiting %v mine %v admin %v everyone %v; want [jack alice], none, false, nil",
			ids(h.Waiting), ids(h.Mine), h.Admin, ids(h.Everyone))
	}
	if !h.Now.Equal(e.clock.Now()) || h.User != maria {
		t.Errorf("home of %s at %v, want maria at the injected time %v", h.User, h.Now, e.clock.Now())
	}
	h = e.home(rita)
	if len(h.Waiting) != 0 || !slices.Equal(ids(h.Mine), []string{jack.ID, alice.ID}) || h.Admin || h.Everyone != nil {
		t.Errorf("rita's home: waiting %v mine %v admin %v everyone %v", ids(h.Waiting), ids(h.Mine), h.Admin, ids(h.Everyone))
	}
	h = e.home(admin)
	if !h.Admin || !slices.Equal(ids(h.Everyone), []string{jack.ID, alice.ID}) || len(h.Waiting) != 0 || len(h.Mine) != 0 {
		t.Errorf("admin's home: waiting %v mine %v admin %v everyone %v", ids(h.Waiting), ids(h.Mine), h.Admin, ids(h.Everyone))
	}

	// Once decided, a request no longer waits; it stays among rita's.
	e.click(maria, alice.ID, false)
	if got := e.get(alice.ID).State; got != bot.StateRejected {
		t.Fatalf("alice is %s after the rejection", got)
	}
	h = e.home(maria)
	if !slices.Equal(ids(h.Waiting), []string{jack.ID}) {
		t.Errorf("maria waits for %v after rejecting alice, want [jack]", ids(h.Waiting))
	}
	h = e.home(rita)
	if len(h.Mine) != 2 || h.Mine[1].ID != alice.ID || h.Mine[1].State != bot.StateRejected {
		t.Errorf("rita's requests after the rejection: %v", ids(h.Mine))
	}
}

func TestRefreshHomes(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	r.Approvers = append(r.Approvers, admin) // as if an extra approver had been added
	e.notes.mu.Lock()
	e.notes.homes = nil
	e.notes.mu.Unlock()

	ch := &countHomes{notes: e.notes}
	e.cfg.Notifier = ch
	e.restart()
	// Ten transitions within one window cost each person one publish,
	// when the window ends.
	for range 10 {
		e.svc.RefreshHomes(context.Background(), r)
	}
	if n := ch.n.Load(); n != 0 {
		t.Errorf("%d Home tabs published before the window ended", n)
	}
	e.clock.Add(2 * time.Second)
	e.drain()
	if n := ch.n.Load(); n != 3 {
		t.Errorf("%d Home tabs published for 10 transitions, want 3 (one per person)", n)
	}
	e.notes.mu.Lock()
	var users []string
	for u := range e.notes.homes {
		users = append(users, u)
	}
	waiting := ids(e.notes.homes[maria].Waiting)
	e.notes.mu.Unlock()
	slices.Sort(users)
	if want := []string{admin, maria, rita}; !slices.Equal(users, want) {
		t.Errorf("homes refreshed for %v, want %v", users, want)
	}
	if !slices.Equal(waiting, []string{r.ID}) {
		t.Errorf("maria's refreshed home waits for %v, want [%s]", waiting, r.ID)
	}
}

// failingHome is a notifier whose views.publish fails.
type failingHome struct{ bot.Notifier }

var errPublish = errors.New("views.publish: ratelimited")

func (failingHome) PublishHome(context.Context, bot.Home) error { return errPublish }

func TestHomePublishFails(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) { c.Notifier = failingHome{c.Notifier} })
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if err := e.svc.HomeOpened(context.Background(), maria); !errors.Is(err, errPublish) {
		t.Errorf("HomeOpened err = %v, want the notifier's error", err)
	}
	e.svc.RefreshHomes(context.Background(), r) // logged, not returned, no panic
}

// homeQueue counts the Home jobs offered to the queue.
type homeQueue struct {
	bot.Queue
	n atomic.Int64
}

func (q *homeQueue) Enqueue(ctx context.Context, j bot.Job) error {
	if j.Type == bot.JobHome {
		q.n.Add(1)
	}
	return q.Queue.Enqueue(ctx, j)
}

// TestRefreshHomesAsksQueueOncePerWindow: within one window a process
// offers each person's Home job to the queue once; the next window, again.
func TestRefreshHomesAsksQueueOncePerWindow(t *testing.T) {
	e := newEnv(t, nil)
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	e.drain()
	q := &homeQueue{Queue: e.cfg.Queue}
	e.cfg.Queue = q
	e.restart()
	people := int64(len(slices.Compact(slices.Sorted(slices.Values(append([]string{r.Requester}, r.Approvers...))))))
	for range 10 {
		e.svc.RefreshHomes(context.Background(), r)
	}
	if n := q.n.Load(); n != people {
		t.Errorf("10 transitions in one window offered %d Home jobs to the queue, want %d (one per person)", n, people)
	}
	e.clock.Add(2 * time.Second)
	e.svc.RefreshHomes(context.Background(), r)
	if n := q.n.Load(); n != 2*people {
		t.Errorf("a transition in the next window: %d Home jobs offered in all, want %d", n, 2*people)
	}
	// In the window's last half second another replica's clock may have
	// run the job already: ask again.
	e.clock.Add(1600 * time.Millisecond)
	e.svc.RefreshHomes(context.Background(), r)
	if n := q.n.Load(); n != 3*people {
		t.Errorf("a transition at the window's end: %d Home jobs offered in all, want %d", n, 3*people)
	}
}
