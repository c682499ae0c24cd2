package notify_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
)

func TestGroupMembers(t *testing.T) {
	e := setup(t, 0)
	e.slack.AddUserGroup("S0HELPDESK", requester, "W0GRID", manager)
	e.slack.AddUserGroup("S0EMPTY")
	got, err := e.notify.GroupMembers(t.Context(), "S0HELPDESK")
	if err != nil || !reflect.DeepEqual(got, []string{requester, "W0GRID", manager}) {
		t.Fatalf("GroupMembers(S0HELPDESK) = %q, %v", got, err)
	}
	got, err = e.notify.GroupMembers(t.Context(), "S0EMPTY")
	if err != nil || len(got) != 0 {
		t.Fatalf("GroupMembers(S0EMPTY) = %q, %v; want none", got, err)
	}
}

func TestGroupMembersUnknownGroup(t *testing.T) {
	e := setup(t, 0)
	e.slack.AddUserGroup("S0HELPDESK", requester)
	got, err := e.notify.GroupMembers(t.Context(), "S0GONE")
	if !errors.Is(err, bot.ErrNoSlackGroup) || got != nil {
		t.Fatalf("GroupMembers(S0GONE) = %q, %v; want ErrNoSlackGroup", got, err)
	}

	// Another failure is not "no such group".
	n := notify.New(notify.Config{Client: slack.New("xoxb-wrong", slack.OptionAPIURL(e.slack.URL()))})
	_, err = n.GroupMembers(t.Context(), "S0HELPDESK")
	if err == nil || errors.Is(err, bot.ErrNoSlackGroup) {
		t.Fatalf("err = %v, want invalid_auth, not ErrNoSlackGroup", err)
	}
}

func TestGroupMembersRateLimited(t *testing.T) {
	e := setup(t, 0)
	e.slack.AddUserGroup("S0HELPDESK", requester, manager)
	e.slack.RateLimitNext("usergroups.users.list", 1, 1)
	start := time.Now()
	got, err := e.notify.GroupMembers(t.Context(), "S0HELPDESK")
	if err != nil || !reflect.DeepEqual(got, []string{requester, manager}) {
		t.Fatalf("GroupMembers = %q, %v", got, err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", waited)
	}
	if n := e.slack.Calls("usergroups.users.list"); n != 2 {
		t.Errorf("usergroups.users.list called %d times, want 2 (429, then success)", n)
	}

	e = setup(t, -1)
	e.slack.AddUserGroup("S0HELPDESK", requester)
	e.slack.RateLimitNext("usergroups.users.list", 1, 30)
	_, err = e.notify.GroupMembers(t.Context(), "S0HELPDESK")
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || errors.Is(err, bot.ErrNoSlackGroup) {
		t.Fatalf("err = %v, want a RateLimitedError, not ErrNoSlackGroup", err)
	}
}
