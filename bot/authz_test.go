package bot

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// authzDir is a Slack directory of user groups. Groups it does not hold
// are unknown (ErrNoSlackGroup); those in fail fail with that error.
type authzDir struct {
	mu     sync.Mutex
	groups map[string][]string
	fail   map[string]error
	calls  []string // group ids asked for, in order
}

func (d *authzDir) GroupMembers(_ context.Context, id string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, id)
	if err := d.fail[id]; err != nil {
		return nil, err
	}
	m, ok := d.groups[id]
	if !ok {
		return nil, errors.Join(errors.New("slack usergroups.users.list: no_such_subteam"), ErrNoSlackGroup)
	}
	return append([]string(nil), m...), nil
}

func (d *authzDir) UserIDByEmail(context.Context, string) (string, error) { return "", ErrNoSlackUser }
func (d *authzDir) EmailOf(context.Context, string) (string, error)       { return "", ErrNoSlackUser }

func (d *authzDir) asked() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

// authzUnused stands for every dependency the authorisation must not touch:
// calling any of its methods panics.
type authzUnused struct {
	Store
	Queue
	Locker
	Notifier
	Planner
	Executor
}

func authzService(t *testing.T, dir *authzDir, requesters, extra map[mailbox.Kind][]string) (*Service, *testlog.Buffer) {
	t.Helper()
	var logs testlog.Buffer
	u := authzUnused{}
	s, err := New(Config{
		Store: u, Queue: u, Locker: u, Notifier: u, Planner: u, Executor: u, Slack: dir,
		Requesters: requesters, ExtraApprovers: extra,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

const (
	authzShared = mailbox.KindConvertToShared
	authzGrant  = mailbox.KindGrant
)

func TestMayRequest(t *testing.T) {
	helpdesk := []string{"U0ANN", "U0BEN", "U0RITA", "U0CAT", "U0DAN", "U0EVE"}
	newDir := func() *authzDir {
		return &authzDir{groups: map[string][]string{
			"S0HELPDESK": helpdesk,
			"S0ADMINS":   {"U0ADMIN", "U0ANN"},
			"S0EMPTY":    {},
		}}
	}
	for _, tc := range []struct {
		name       string
		requesters map[mailbox.Kind][]string
		fail       map[string]error
		user       string
		ok         bool
		ask        []string
		err        error    // matched with errors.Is
		asked      []string // group lookups, in order
		logs       string
	}{
		{name: "no configuration: everyone", requesters: nil, user: "U0ZED", ok: true},
		{name: "kind not listed: everyone", requesters: map[mailbox.Kind][]string{authzGrant: {"U0ANN"}}, user: "U0ZED", ok: true},
		{name: "empty list: everyone", requesters: map[mailbox.Kind][]string{authzShared: {}}, user: "U0ZED", ok: true},
		{name: "blank entries: everyone", requesters: map[mailbox.Kind][]string{authzShared: {"", " "}}, user: "U0ZED", ok: true},
		{name: "listed directly, no lookup", requesters: map[mailbox.Kind][]string{authzShared: {"S0ADMINS", " U0RITA "}}, user: "U0RITA", ok: true},
		{name: "member of the second group", requesters: map[mailbox.Kind][]string{authzShared: {"U0ZOE", "S0ADMINS", "S0HELPDESK"}},
			user: "U0RITA", ok: true, asked: []string{"S0ADMINS", "S0HELPDESK"}},
		{name: "not allowed: who to ask, listed users first, at most 5, without duplicates",
			requesters: map[mailbox.Kind][]string{authzShared: {"U0ANN", "S0ADMINS", "S0EMPTY", "S0ADMINS", "S0HELPDESK"}},
			user:       "U0ZED", ask: []string{"U0ANN", "U0ADMIN", "U0BEN", "U0RITA", "U0CAT"},
			asked: []string{"S0ADMINS", "S0EMPTY", "S0HELPDESK"}},
		{name: "not allowed: few to ask", requesters: map[mailbox.Kind][]string{authzShared: {"S0ADMINS"}},
			user: "U0ZED", ask: []string{"U0ADMIN", "U0ANN"}, asked: []string{"S0ADMINS"}},
		{name: "unknown group skipped and logged", requesters: map[mailbox.Kind][]string{authzShared: {"S0GONE", "S0ADMINS"}},
			user: "U0ZED", ask: []string{"U0ADMIN", "U0ANN"}, asked: []string{"S0GONE", "S0ADMINS"},
			logs: "requester group not found in Slack"},
		{name: "only an unknown group: nobody to ask", requesters: map[mailbox.Kind][]string{authzShared: {"S0GONE"}},
			user: "U0ZED", asked: []string{"S0GONE"}, logs: "group=S0GONE"},
		{name: "failing group, found in another", requesters: map[mailbox.Kind][]string{authzShared: {"S0ADMINS", "S0HELPDESK"}},
			fail: map[string]error{"S0ADMINS": errAuthzLookup}, user: "U0RITA", ok: true, asked: []string{"S0ADMINS", "S0HELPDESK"}},
		{name: "failing group, found nowhere: the error", requesters: map[mailbox.Kind][]string{authzShared: {"U0ANN", "S0HELPDESK", "S0ADMINS"}},
			fail: map[string]error{"S0HELPDESK": errAuthzLookup}, user: "U0ZED", ask: []string{"U0ANN", "U0ADMIN"}, err: errAuthzLookup,
			asked: []string{"S0HELPDESK", "S0ADMINS"}, logs: "requester group lookup failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDir()
			dir.fail = tc.fail
			s, logs := authzService(t, dir, tc.requesters, nil)
			ok, ask, err := s.mayRequest(t.Context(), tc.user, authzShared)
			if ok != tc.ok || !reflect.DeepEqual(ask, tc.ask) || (tc.err == nil) != (err == nil) || !errors.Is(err, tc.err) {
				t.Fatalf("mayRequest(%s) = %v, %q, %v; want %v, %q, %v", tc.user, ok, ask, err, tc.ok, tc.ask, tc.err)
			}
			if got := dir.asked(); !reflect.DeepEqual(got, tc.asked) {
				t.Errorf("groups looked up %q, want %q", got, tc.asked)
			}
			if !strings.Contains(logs.String(), tc.logs) {
				t.Errorf("log lacks %q:\n%s", tc.logs, logs)
			}
		})
	}
}

var errAuthzLookup = errors.New("slack usergroups.users.list: slack rate limit exceeded, retry after 30s")

// TestMayRequestNotCached: a group is read again on every call, so that a
// person added to (or removed from) it counts at once.
func TestMayRequestNotCached(t *testing.T) {
	dir := &authzDir{groups: map[string][]string{"S0HELPDESK": {"U0ANN"}}}
	s, _ := authzService(t, dir, map[mailbox.Kind][]string{authzShared: {"S0HELPDESK"}}, nil)
	if ok, _, _ := s.mayRequest(t.Context(), "U0RITA", authzShared); ok {
		t.Fatal("U0RITA may ask before she is in the group")
	}
	dir.mu.Lock()
	dir.groups["S0HELPDESK"] = []string{"U0ANN", "U0RITA"}
	dir.mu.Unlock()
	if ok, _, err := s.mayRequest(t.Context(), "U0RITA", authzShared); !ok || err != nil {
		t.Fatalf("U0RITA may not ask once she is in the group: %v", err)
	}
	if n := len(dir.asked()); n != 2 {
		t.Errorf("%d lookups, want 2", n)
	}
}

func TestExtraApprovers(t *testing.T) {
	dir := &authzDir{
		groups: map[string][]string{
			"S0SECURITY": {"U0SAM", "U0RITA", "U0ADMIN", "U0TOM"},
			"S0ADMINS":   {"U0ADMIN"},
		},
		fail: map[string]error{"S0FLAKY": errAuthzLookup},
	}
	s, logs := authzService(t, dir, nil, map[mailbox.Kind][]string{
		authzShared: {"U0ADMIN", "S0SECURITY", "S0FLAKY", "S0GONE", "U0TOM", "S0ADMINS", "S0SECURITY", " U0RITA", ""},
	})
	got := s.extraApprovers(t.Context(), authzShared, "U0RITA")
	if want := []string{"U0ADMIN", "U0SAM", "U0TOM"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("extraApprovers = %q, want %q (groups expanded, no duplicates, never the requester)", got, want)
	}
	if want := []string{"S0SECURITY", "S0FLAKY", "S0GONE", "S0ADMINS"}; !reflect.DeepEqual(dir.asked(), want) {
		t.Errorf("groups looked up %q, want %q", dir.asked(), want)
	}
	for _, want := range []string{"group=S0FLAKY", "group=S0GONE", "rate limit"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	// Another requester keeps U0RITA; a kind without extra approvers has none.
	if got := s.extraApprovers(t.Context(), authzShared, "U0ADMIN"); !reflect.DeepEqual(got, []string{"U0SAM", "U0RITA", "U0TOM"}) {
		t.Errorf("extraApprovers for U0ADMIN's request = %q", got)
	}
	if got := s.extraApprovers(t.Context(), authzGrant, "U0RITA"); got != nil {
		t.Errorf("extraApprovers of grant = %q, want none", got)
	}
}
