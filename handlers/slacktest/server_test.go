package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

const token = "xoxb-1234-5678-test"

// t0 is 2025-11-21 10:00 UTC, Unix 1763719200.
var t0 = time.Date(2025, 11, 21, 10, 0, 0, 0, time.UTC)

func newServer(t *testing.T) (*slacktest.Server, *slack.Client) {
	t.Helper()
	s := slacktest.New(slacktest.Options{BotToken: "Bearer " + token, Now: func() time.Time { return t0 }})
	t.Cleanup(s.Close)
	s.AddUser("U0RITA", "rita", "rita@contoso.com")
	s.AddUser("U0MARIA", "maria", "Maria@Contoso.com")
	return s, slack.New(token, slack.OptionAPIURL(s.URL()))
}

func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func TestURL(t *testing.T) {
	s, _ := newServer(t)
	if !strings.HasSuffix(s.URL(), "/api/") {
		t.Errorf("URL %q does not end in /api/", s.URL())
	}
}

func TestAuthAndUsers(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	at, err := api.AuthTestContext(ctx)
	if err != nil || at.UserID != "U0BOT" || at.TeamID != "T0001" || at.BotID == "" {
		t.Fatalf("auth.test = %+v, %v", at, err)
	}
	u, err := api.GetUserByEmailContext(ctx, "maria@contoso.com")
	if err != nil || u.ID != "U0MARIA" || u.Profile.Email != "Maria@Contoso.com" || u.Name != "maria" {
		t.Fatalf("users.lookupByEmail = %+v, %v", u, err)
	}
	if _, err := api.GetUserByEmailContext(ctx, "nobody@contoso.com"); slackErr(err) != "users_not_found" {
		t.Errorf("unknown e-mail: err = %v, want users_not_found", err)
	}
	u, err = api.GetUserInfoContext(ctx, "U0RITA")
	if err != nil || u.Profile.Email != "rita@contoso.com" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info unknown: err = %v, want user_not_found", err)
	}

	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(s.URL()))
	if _, err := bad.AuthTestContext(ctx); slackErr(err) != "invalid_auth" {
		t.Errorf("wrong token: err = %v, want invalid_auth", err)
	}
	none := slack.New("", slack.OptionAPIURL(s.URL()))
	if _, err := none.AuthTestContext(ctx); slackErr(err) != "not_authed" {
		t.Errorf("no token: err = %v, want not_authed", err)
	}
}

// TestUsersInfoProfiles: users.info shows a deactivated user, a bot and a
// user without an e-mail as Slack does (no "email" in the profile).
func TestUsersInfoProfiles(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	s.PutUser(slacktest.User{ID: "U0GONE", Name: "gone", Email: "gone@contoso.com", Deleted: true})
	s.PutUser(slacktest.User{ID: "U0ROBOT", Name: "robot", IsBot: true})
	s.PutUser(slacktest.User{ID: "U0GUEST", Name: "guest"})
	for _, tc := range []struct {
		id, email      string
		deleted, isBot bool
	}{
		{"U0GONE", "gone@contoso.com", true, false},
		{"U0ROBOT", "", false, true},
		{"U0GUEST", "", false, false},
		{"U0RITA", "rita@contoso.com", false, false},
	} {
		u, err := api.GetUserInfoContext(ctx, tc.id)
		if err != nil || u.ID != tc.id || u.Profile.Email != tc.email || u.Deleted != tc.deleted || u.IsBot != tc.isBot {
			t.Errorf("users.info %s = %+v, %v; want email %q, deleted %v, bot %v", tc.id, u, err, tc.email, tc.deleted, tc.isBot)
		}
	}
	// The wire: no "email" key at all for a profile without one.
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"users.info", strings.NewReader("user=U0GUEST"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		User struct {
			Profile map[string]any `json:"profile"`
		} `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if _, has := body.User.Profile["email"]; has || body.User.Profile["display_name"] != "guest" {
		t.Errorf("profile = %v, want no email field", body.User.Profile)
	}
}

func TestMessages(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	ch, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0MARIA"}})
	if err != nil || ch.ID != "DU0MARIA" {
		t.Fatalf("conversations.open = %+v, %v", ch, err)
	}
	if _, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0NOBODY"}}); slackErr(err) != "user_not_found" {
		t.Errorf("open with unknown user: %v", err)
	}

	blocks := slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Convert *alice@contoso.com*? <@U0RITA> asks, <!date^1763719200^{date_short_pretty}|2025-11-21>", false, false), nil, nil),
		slack.NewActionBlock("decision:req_1",
			slack.NewButtonBlockElement("approve", "req_1", slack.NewTextBlockObject("plain_text", "Approve", true, false)),
			slack.NewButtonBlockElement("reject", "req_1", slack.NewTextBlockObject("plain_text", "Reject", true, false))))
	_, ts1, err := api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("fallback", false), blocks)
	if err != nil {
		t.Fatal(err)
	}
	_, ts2, err := api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("audit & more", false))
	if err != nil {
		t.Fatal(err)
	}
	if ts1 != "1763719200.000100" || ts2 != "1763719200.000200" {
		t.Errorf("ts = %s, %s; want 1763719200.000100, 1763719200.000200", ts1, ts2)
	}
	if _, _, err := api.PostMessageContext(ctx, "DU0NOBODY", slack.MsgOptionText("x", false)); slackErr(err) != "channel_not_found" {
		t.Errorf("post to unknown DM: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0AUDIT"); slackErr(err) != "no_text" {
		t.Errorf("post without text: %v", err)
	}

	m, ok := s.Message(ch.ID, ts1)
	if !ok || m.User != "U0MARIA" || m.Kind != slacktest.KindMessage || m.RawText != "fallback" {
		t.Fatalf("message = %+v, %v", m, ok)
	}
	wantText := "Convert alice@contoso.com? @U0RITA asks, 2025-11-21\n[Approve] [Reject]"
	if m.Text != wantText {
		t.Errorf("rendered text = %q, want %q", m.Text, wantText)
	}
	if a, _ := s.Message("C0AUDIT", ts2); a.Text != "audit & more" || a.User != "" {
		t.Errorf("audit message = %+v", a)
	}

	// chat.update replaces the blocks; an unknown ts is message_not_found.
	_, _, _, err = api.UpdateMessageContext(ctx, ch.ID, ts1, slack.MsgOptionText("decided", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "✅ *Approved* by <@U0MARIA>", false, false), nil, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(ch.ID, ts1); m.Text != "✅ Approved by @U0MARIA" || m.Kind != slacktest.KindUpdate {
		t.Errorf("after update: %+v", m)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch.ID, "1.000001", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Errorf("update unknown ts: %v", err)
	}
	if got := s.Messages(ch.ID); len(got) != 1 || got[0].RawText != "decided" {
		t.Errorf("Messages = %+v, want the one updated message", got)
	}

	// chat.postEphemeral.
	if _, err := api.PostEphemeralContext(ctx, "C0HELPDESK", "U0RITA", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C0HELPDESK", "U0NOBODY", slack.MsgOptionText("x", false)); slackErr(err) != "user_not_found" {
		t.Errorf("ephemeral to unknown user: %v", err)
	}
	eph := s.Ephemerals("U0RITA")
	if len(eph) != 1 || eph[0].Channel != "C0HELPDESK" || eph[0].Text != "only you" {
		t.Errorf("ephemerals = %+v", eph)
	}

	var kinds []string
	for i, e := range s.Transcript() {
		if e.Seq != i+1 {
			t.Errorf("entry %d has Seq %d", i, e.Seq)
		}
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "message,message,update,ephemeral" {
		t.Errorf("transcript kinds = %s", got)
	}
}

// TestJSONRequest: methods called with a JSON body and a bearer token, as
// slack-go does for some methods, work too.
func TestJSONRequest(t *testing.T) {
	s, _ := newServer(t)
	body := `{"channel":"C0AUDIT","text":"hello","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*hello* json"}}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"chat.postMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK      bool   `json:"ok"`
		TS      string `json:"ts"`
		Channel string `json:"channel"`
		Message struct {
			Blocks []json.RawMessage `json:"blocks"`
		} `json:"message"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || !out.OK || out.Channel != "C0AUDIT" || len(out.Message.Blocks) != 1 {
		t.Fatalf("answer = %+v, %v", out, err)
	}
	if m, _ := s.Message("C0AUDIT", out.TS); m.Text != "hello json" {
		t.Errorf("message = %+v", m)
	}
}

func TestRateLimitNext(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	s.RateLimitNext("chat.postMessage", 2, 7)
	for range 2 {
		_, _, err := api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("x", false))
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
			t.Fatalf("err = %v, want RateLimitedError 7s", err)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Errorf("other methods are not limited: %v", err)
	}
	if n := s.Calls("chat.postMessage"); n != 3 {
		t.Errorf("Calls = %d, want 3", n)
	}
	if n := len(s.Transcript()); n != 1 {
		t.Errorf("%d entries, want 1 (limited calls post nothing)", n)
	}
}

func TestWaitFor(t *testing.T) {
	s, api := newServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()

	checked := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.WaitFor(ctx, func(es []slacktest.Entry) bool {
			checked <- struct{}{}
			return len(es) == 2
		})
	}()
	<-checked // the first check saw an empty transcript
	for i := range 2 {
		if _, _, err := api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("x", false)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			select {
			case err := <-done:
				t.Fatalf("WaitFor returned after one entry: %v", err)
			case <-checked:
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	short, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	if err := s.WaitFor(short, func([]slacktest.Entry) bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor never true: %v", err)
	}
}

func TestResponseURL(t *testing.T) {
	s, _ := newServer(t)
	err := slack.PostWebhookContext(t.Context(), s.ResponseURL("U0RITA"), &slack.WebhookMessage{
		Text: "Got it", ResponseType: "ephemeral",
		Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Got it, _checking_ <mailto:a@b.c|a@b.c>", false, false), nil, nil)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	eph := s.Ephemerals("U0RITA")
	if len(eph) != 1 || eph[0].Text != "Got it, checking a@b.c" || eph[0].RawText != "Got it" {
		t.Fatalf("ephemerals = %+v", eph)
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct{ blocks, want string }{
		{`[{"type":"header","text":{"type":"plain_text","text":"Hi"}},{"type":"divider"}]`, "Hi\n---"},
		{`[{"type":"section","text":{"type":"mrkdwn","text":"a &amp; b &lt;c&gt;"},"fields":[{"type":"mrkdwn","text":"*State*\nfailed"}]}]`, "a & b <c>\nState\nfailed"},
		{`[{"type":"section","text":{"type":"mrkdwn","text":"first_last@contoso.com stays; _this_ goes, *and* ~this~."}}]`, "first_last@contoso.com stays; this goes, and this."},
		{`[{"type":"context","elements":[{"type":"mrkdwn","text":"Request ` + "`req_1`" + `"},{"type":"image","image_url":"x","alt_text":"logo"}]}]`, "Request `req_1`  (logo)"},
		{`[{"type":"section","text":{"type":"mrkdwn","text":"See <https://x.example|the docs> in <#C1|general>"},"accessory":{"type":"button","text":{"type":"plain_text","text":"Open"}}}]`, "See the docs in #general\n[Open]"},
		{`not json`, ""},
	} {
		if got := slacktest.Render(json.RawMessage(tc.blocks)); got != tc.want {
			t.Errorf("Render(%s) = %q, want %q", tc.blocks, got, tc.want)
		}
	}
}
