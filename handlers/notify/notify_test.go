package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

const token = "xoxb-1234-5678-test"

type env struct {
	slack  *slacktest.Server
	notify *notify.Slack
}

// setup starts a fake Slack and a notifier whose real slack-go client
// talks to it over HTTP.
func setup(t *testing.T, maxWaits int) env {
	t.Helper()
	return setupWith(t, func(c *notify.Config) { c.MaxRateLimitWaits = maxWaits })
}

// setupWith is setup with the notifier's Config changed by change.
func setupWith(t *testing.T, change func(*notify.Config)) env {
	t.Helper()
	now := func() time.Time { return t0 }
	s := slacktest.New(slacktest.Options{BotToken: token, Now: now})
	t.Cleanup(s.Close)
	s.AddUser(requester, "rita", "rita@contoso.com")
	s.AddUser(manager, "maria", "maria@contoso.com")
	cfg := notify.Config{
		Client: slack.New(token, slack.OptionAPIURL(s.URL())),
		Logger: slog.New(slog.DiscardHandler),
		Now:    now,
	}
	change(&cfg)
	return env{s, notify.New(cfg)}
}

type block struct {
	Type     string `json:"type"`
	BlockID  string `json:"block_id"`
	Elements []struct {
		Type     string `json:"type"`
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
		Style    string `json:"style"`
		Confirm  *struct {
			Title, Text, Confirm, Deny struct{ Text string }
		} `json:"confirm"`
	} `json:"elements"`
}

func blocksOf(t *testing.T, e slacktest.Entry) []block {
	t.Helper()
	var bs []block
	if err := json.Unmarshal(e.Blocks, &bs); err != nil {
		t.Fatalf("blocks of %s/%s: %v", e.Channel, e.TS, err)
	}
	return bs
}

func TestAskApproval(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	r := pending()
	ref, err := e.notify.AskApproval(ctx, r, manager)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Channel != "D"+manager || ref.TS == "" {
		t.Fatalf("ref = %+v, want the DM channel D%s and a ts", ref, manager)
	}
	m, ok := e.slack.Message(ref.Channel, ref.TS)
	if !ok {
		t.Fatalf("no message at %+v; transcript %+v", ref, e.slack.Transcript())
	}
	if m.User != manager || m.Kind != slacktest.KindMessage {
		t.Errorf("entry = %+v, want a message to %s", m, manager)
	}
	for _, want := range []string{"@U0RITA asks to convert alice@contoso.com (Alice Andersen, UserMailbox) to a shared mailbox",
		"manager of Alice Andersen", "[Approve] [Reject]"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}
	if m.RawText == "" {
		t.Error("no fallback text")
	}
	var actions *block
	for _, b := range blocksOf(t, m) {
		if b.Type == "actions" {
			actions = &b
		}
	}
	if actions == nil || actions.BlockID != "decision:"+reqID || len(actions.Elements) != 2 {
		t.Fatalf("actions block = %+v", actions)
	}
	approve, reject := actions.Elements[0], actions.Elements[1]
	if approve.ActionID != "approve" || approve.Value != reqID || approve.Style != "primary" {
		t.Errorf("approve button = %+v", approve)
	}
	if c := approve.Confirm; c == nil || c.Confirm.Text != "Approve" || c.Deny.Text != "Cancel" ||
		c.Title.Text == "" || !strings.Contains(c.Text.Text, "alice@contoso.com") {
		t.Errorf("approve confirm dialog = %+v", approve.Confirm)
	}
	if reject.ActionID != "reject" || reject.Value != reqID || reject.Style != "danger" || reject.Confirm != nil {
		t.Errorf("reject button = %+v", reject)
	}
}

func TestAskApprovalUnknownUser(t *testing.T) {
	e := setup(t, 0)
	_, err := e.notify.AskApproval(t.Context(), pending(), "U0NOBODY")
	if err == nil || !strings.Contains(err.Error(), "user_not_found") {
		t.Fatalf("err = %v, want user_not_found", err)
	}
}

func TestUpdateApproval(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  func() *bot.Request
		want string
	}{
		{"approved", func() *bot.Request { return decided(true) }, "Approved by @U0MARIA on 2025-11-21 10:12 UTC"},
		{"rejected", func() *bot.Request { return decided(false) }, "Rejected by @U0MARIA on 2025-11-21 10:12 UTC"},
		{"expired", expired, "Expired on 2025-11-22 10:00 UTC without a decision"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, 0)
			ctx := t.Context()
			ref, err := e.notify.AskApproval(ctx, pending(), manager)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.notify.UpdateApproval(ctx, tc.req(), ref); err != nil {
				t.Fatal(err)
			}
			tr := e.slack.Transcript()
			if last := tr[len(tr)-1]; last.Kind != slacktest.KindUpdate || last.TS != ref.TS {
				t.Fatalf("last entry = %+v, want an update of %s", last, ref.TS)
			}
			m, _ := e.slack.Message(ref.Channel, ref.TS)
			if !strings.Contains(m.Text, tc.want) {
				t.Errorf("text lacks %q:\n%s", tc.want, m.Text)
			}
			if !strings.Contains(m.Text, "asks to convert alice@contoso.com") {
				t.Errorf("summary of what was asked is gone:\n%s", m.Text)
			}
			for _, b := range blocksOf(t, m) {
				if b.Type == "actions" {
					t.Errorf("buttons still there: %+v", b)
				}
			}
			if got := len(e.slack.Messages(ref.Channel)); got != 1 {
				t.Errorf("%d messages in the DM, want 1 (updated in place)", got)
			}
		})
	}
}

func TestUpdateApprovalUnknownMessage(t *testing.T) {
	e := setup(t, 0)
	err := e.notify.UpdateApproval(t.Context(), decided(true), bot.MessageRef{Channel: "D" + manager, TS: "1.000001"})
	if err == nil || !strings.Contains(err.Error(), "message_not_found") {
		t.Fatalf("err = %v, want message_not_found", err)
	}
}

func TestTell(t *testing.T) {
	e := setup(t, 0)
	if err := e.notify.Tell(t.Context(), requester, failedReq(), "❌ Converting *alice@contoso.com* failed."); err != nil {
		t.Fatal(err)
	}
	msgs := e.slack.Messages("D" + requester)
	if len(msgs) != 1 {
		t.Fatalf("%d messages to the requester, want 1: %+v", len(msgs), e.slack.Transcript())
	}
	for _, want := range []string{
		"❌ Converting alice@contoso.com failed.",
		"✅ 1. Convert to a shared mailbox",
		"❌ 2. Verify that Exchange reports SharedMailbox — failed after 5 attempts\n> The operation couldn't be performed",
		"▫️ 3. Block sign-in of the account (rule 6) — not run",
		"Already done: 1. Convert to a shared mailbox",
	} {
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msgs[0].Text)
		}
	}
}

// The direct message channel is opened once per person; a kept channel
// that Slack no longer knows is opened again, and the message still goes.
func TestDirectMessageChannelKept(t *testing.T) {
	e := setup(t, 0)
	for range 3 {
		if err := e.notify.Tell(t.Context(), requester, failedReq(), "failed"); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := e.slack.Calls("conversations.open"), len(e.slack.Messages("D"+requester)); n != 1 || m != 3 {
		t.Fatalf("conversations.open %d times (want 1), %d messages (want 3)", n, m)
	}

	var (
		mu     sync.Mutex
		opens  int
		posted []string
	)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/conversations.open":
			opens++
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": map[string]any{"id": fmt.Sprintf("D%d", opens)}})
		case "/api/chat.postMessage":
			ch := r.FormValue("channel")
			if ch == "D1" && len(posted) > 0 {
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "channel_not_found"})
				return
			}
			posted = append(posted, ch)
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": ch, "ts": fmt.Sprintf("1.%d", len(posted))})
		default:
			http.NotFound(w, r)
		}
	}))
	defer gone.Close()
	n := notify.New(notify.Config{Client: slack.New(token, slack.OptionAPIURL(gone.URL+"/api/"))})
	for range 3 {
		if err := n.Tell(t.Context(), requester, failedReq(), "failed"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if opens != 2 || !slices.Equal(posted, []string{"D1", "D2", "D2"}) {
		t.Fatalf("opened %d times (want 2), posted to %v (want D1 D2 D2)", opens, posted)
	}
}

func TestAuditPostsThenUpdates(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	ref, err := e.notify.Audit(ctx, "C0AUDIT", pending(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Channel != "C0AUDIT" || ref.TS == "" {
		t.Fatalf("ref = %+v", ref)
	}
	ref2, err := e.notify.Audit(ctx, "C0AUDIT", succeeded(), &ref)
	if err != nil {
		t.Fatal(err)
	}
	if ref2 != ref {
		t.Errorf("update returned %+v, want %+v", ref2, ref)
	}
	msgs := e.slack.Messages("C0AUDIT")
	if len(msgs) != 1 {
		t.Fatalf("%d audit messages, want 1", len(msgs))
	}
	for _, want := range []string{"req_01JD3K7Q", "alice@contoso.com", "Convert to a shared mailbox", "✅ succeeded",
		"@U0RITA", "@U0MARIA (manager of the owner)", "Approved by @U0MARIA", "⏭️ 3. Block sign-in"} {
		if !strings.Contains(msgs[0].Text, want) {
			t.Errorf("audit text lacks %q:\n%s", want, msgs[0].Text)
		}
	}
	kinds := []string{}
	for _, en := range e.slack.Transcript() {
		kinds = append(kinds, en.Kind)
	}
	if strings.Join(kinds, ",") != "message,update" {
		t.Errorf("transcript kinds = %v, want message,update", kinds)
	}
}

func TestUserIDByEmail(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	id, err := e.notify.UserIDByEmail(ctx, "maria@contoso.com")
	if err != nil || id != manager {
		t.Fatalf("UserIDByEmail = %q, %v; want %s", id, err, manager)
	}
	_, err = e.notify.UserIDByEmail(ctx, "nobody@contoso.com")
	if !errors.Is(err, bot.ErrNoSlackUser) {
		t.Fatalf("err = %v, want ErrNoSlackUser", err)
	}
}

func TestEmailOf(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	e.slack.PutUser(slacktest.User{ID: "U0KIM", Name: "kim", Email: "Kim.Jansen@Contoso.com"})
	e.slack.PutUser(slacktest.User{ID: "U0GUEST", Name: "guest"})
	e.slack.PutUser(slacktest.User{ID: "U0GONE", Name: "gone", Email: "gone@contoso.com", Deleted: true})
	e.slack.PutUser(slacktest.User{ID: "U0ROBOT", Name: "robot", Email: "robot@contoso.com", IsBot: true})
	for _, id := range []string{"U0KIM", "<@U0KIM>", "<@U0KIM|kim>"} {
		got, err := e.notify.EmailOf(ctx, id)
		if err != nil || got != "kim.jansen@contoso.com" {
			t.Errorf("EmailOf(%q) = %q, %v; want kim.jansen@contoso.com", id, got, err)
		}
	}
	for _, id := range []string{"U0NOBODY", "U0GUEST", "U0GONE", "U0ROBOT"} {
		got, err := e.notify.EmailOf(ctx, id)
		if got != "" || !errors.Is(err, bot.ErrNoSlackUser) || !strings.Contains(err.Error(), id) {
			t.Errorf("EmailOf(%q) = %q, %v; want ErrNoSlackUser naming the user", id, got, err)
		}
	}
	calls := e.slack.Calls("users.info")
	for _, id := range []string{"", "<@>", "<#C0123|general>", "bob@contoso.com", "<@U0KIM", "u0kim"} {
		if got, err := e.notify.EmailOf(ctx, id); got != "" || !errors.Is(err, bot.ErrNoSlackUser) {
			t.Errorf("EmailOf(%q) = %q, %v; want ErrNoSlackUser", id, got, err)
		}
	}
	if n := e.slack.Calls("users.info"); n != calls {
		t.Errorf("users.info called %d times for ids that are not user ids", n-calls)
	}
}

func TestEmailOfRateLimited(t *testing.T) {
	e := setup(t, 0)
	e.slack.RateLimitNext("users.info", 1, 1)
	start := time.Now()
	got, err := e.notify.EmailOf(t.Context(), manager)
	if err != nil || got != "maria@contoso.com" {
		t.Fatalf("EmailOf = %q, %v", got, err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", waited)
	}
	if n := e.slack.Calls("users.info"); n != 2 {
		t.Errorf("users.info called %d times, want 2 (429, then success)", n)
	}

	e = setup(t, -1)
	e.slack.RateLimitNext("users.info", 1, 30)
	_, err = e.notify.EmailOf(t.Context(), manager)
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || errors.Is(err, bot.ErrNoSlackUser) {
		t.Fatalf("err = %v, want a RateLimitedError, not ErrNoSlackUser", err)
	}
}

func TestWrongToken(t *testing.T) {
	e := setup(t, 0)
	n := notify.New(notify.Config{Client: slack.New("xoxb-wrong", slack.OptionAPIURL(e.slack.URL()))})
	_, err := n.UserIDByEmail(t.Context(), "maria@contoso.com")
	if err == nil || errors.Is(err, bot.ErrNoSlackUser) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("err = %v, want invalid_auth", err)
	}
}

func TestRateLimitWaitedOut(t *testing.T) {
	e := setup(t, 0)
	e.slack.RateLimitNext("chat.postMessage", 1, 1)
	start := time.Now()
	ref, err := e.notify.Audit(t.Context(), "C0AUDIT", pending(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", waited)
	}
	if n := e.slack.Calls("chat.postMessage"); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2 (429, then success)", n)
	}
	if _, ok := e.slack.Message("C0AUDIT", ref.TS); !ok {
		t.Error("message not posted after the wait")
	}
}

func TestRateLimitGivesUp(t *testing.T) {
	e := setup(t, -1) // never wait
	e.slack.RateLimitNext("users.lookupByEmail", 1, 30)
	start := time.Now()
	_, err := e.notify.UserIDByEmail(t.Context(), "maria@contoso.com")
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("err = %v, want a RateLimitedError of 30s", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("waited although MaxRateLimitWaits is negative")
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	e := setup(t, 3)
	e.slack.RateLimitNext("conversations.open", 1, 30)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.notify.Tell(ctx, requester, succeeded(), "done")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the wait ignored the context")
	}
	if n := len(e.slack.Transcript()); n != 0 {
		t.Errorf("%d entries, want none", n)
	}
}

// TestRateLimitSleepsThroughConfig: a 429 is waited out through
// Config.Sleep, for the Retry-After Slack sent, and never for real; an
// error from Sleep ends the call with that error.
func TestRateLimitSleepsThroughConfig(t *testing.T) {
	var slept []time.Duration
	e := setupWith(t, func(c *notify.Config) {
		c.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	})
	e.slack.RateLimitNext("chat.postMessage", 2, 7)
	start := time.Now()
	ref, err := e.notify.Audit(t.Context(), "C0AUDIT", pending(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{7 * time.Second, 7 * time.Second}; !slices.Equal(slept, want) {
		t.Errorf("slept %v, want %v (Retry-After: 7, twice)", slept, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the call took %v: it slept for real", d)
	}
	if n := e.slack.Calls("chat.postMessage"); n != 3 {
		t.Errorf("chat.postMessage called %d times, want 3 (two 429s, then success)", n)
	}
	if _, ok := e.slack.Message("C0AUDIT", ref.TS); !ok {
		t.Error("message not posted after the waits")
	}

	errWoken := errors.New("woken")
	e = setupWith(t, func(c *notify.Config) {
		c.Sleep = func(context.Context, time.Duration) error { return errWoken }
	})
	e.slack.RateLimitNext("users.lookupByEmail", 1, 30)
	if _, err := e.notify.UserIDByEmail(t.Context(), "maria@contoso.com"); !errors.Is(err, errWoken) {
		t.Fatalf("err = %v, want the error of Sleep", err)
	}
	if n := e.slack.Calls("users.lookupByEmail"); n != 1 {
		t.Errorf("users.lookupByEmail called %d times, want 1: a failed sleep ends the call", n)
	}
}

func TestAnswerViaResponseURL(t *testing.T) {
	e := setup(t, 0)
	p := convertPlan()
	err := e.notify.Answer(t.Context(), bot.ReplyTo{ResponseURL: e.slack.ResponseURL(requester), Channel: "C0HELPDESK", User: requester},
		bot.Answer{Text: "I have asked <@U0MARIA> to approve.", Plan: &p})
	if err != nil {
		t.Fatal(err)
	}
	eph := e.slack.Ephemerals(requester)
	if len(eph) != 1 {
		t.Fatalf("%d ephemeral messages, want 1: %+v", len(eph), e.slack.Transcript())
	}
	for _, want := range []string{"I have asked @U0MARIA to approve.", "Mailbox: alice@contoso.com — Alice Andersen, currently UserMailbox",
		"Approver: the owner's manager, Maria Manager", "1. Convert to a shared mailbox"} {
		if !strings.Contains(eph[0].Text, want) {
			t.Errorf("answer lacks %q:\n%s", want, eph[0].Text)
		}
	}
	if e.slack.Calls("chat.postEphemeral") != 0 {
		t.Error("chat.postEphemeral used although the response_url worked")
	}
}

func TestAnswerEphemeral(t *testing.T) {
	e := setup(t, 0)
	err := e.notify.Answer(t.Context(), bot.ReplyTo{Channel: "C0HELPDESK", User: requester}, bot.Answer{Text: "Unknown command. Try `/convert-mailbox help`."})
	if err != nil {
		t.Fatal(err)
	}
	eph := e.slack.Ephemerals(requester)
	if len(eph) != 1 || eph[0].Channel != "C0HELPDESK" || !strings.Contains(eph[0].Text, "Unknown command.") {
		t.Fatalf("ephemerals = %+v", eph)
	}
}

// TestAnswerFallsBack: an expired response_url (here, one that answers 404)
// does not lose the answer: it goes out through chat.postEphemeral.
func TestAnswerFallsBack(t *testing.T) {
	e := setup(t, 0)
	dead := strings.TrimSuffix(e.slack.URL(), "/api/") + "/expired"
	err := e.notify.Answer(t.Context(), bot.ReplyTo{ResponseURL: dead, Channel: "C0HELPDESK", User: requester}, bot.Answer{Text: "Approved."})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.slack.Calls("chat.postEphemeral"); n != 1 {
		t.Errorf("chat.postEphemeral called %d times, want 1", n)
	}
	if eph := e.slack.Ephemerals(requester); len(eph) != 1 || eph[0].Text != "Approved." {
		t.Errorf("ephemerals = %+v", eph)
	}
}

// TestClickOnApproval: clicking Approve on the message AskApproval sent
// delivers, signed, a block_actions payload whose user is the clicker and
// whose value is the request id.
func TestClickOnApproval(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	ref, err := e.notify.AskApproval(ctx, pending(), manager)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "signing-secret"
	clicks := make(chan slack.InteractionCallback, 1)
	v := &handlers.Verifier{Secret: secret, Now: func() time.Time { return t0 }}
	botSrv := httptest.NewServer(v.Signed(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slack/interactions" {
			http.NotFound(w, r)
			return
		}
		ic, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		clicks <- ic
	})))
	defer botSrv.Close()

	status, _, err := e.slack.Click(ctx, botSrv.URL, secret, manager, ref.Channel, ref.TS, "approve")
	if err != nil || status != http.StatusOK {
		t.Fatalf("Click = %d, %v", status, err)
	}
	ic := <-clicks
	if ic.User.ID != manager {
		t.Errorf("user = %q, want the clicker %s", ic.User.ID, manager)
	}
	if a := ic.ActionCallback.BlockActions; len(a) != 1 || a[0].ActionID != "approve" || a[0].Value != reqID || a[0].BlockID != "decision:"+reqID {
		t.Errorf("actions = %+v", a)
	}
	if ic.Container.ChannelID != ref.Channel || ic.Container.MessageTs != ref.TS {
		t.Errorf("container = %+v, want %+v", ic.Container, ref)
	}
}

// A response_url is a credential: when posting to it fails on the network
// (the error names the URL), the log must not show it.
func TestResponseURLNeverLogged(t *testing.T) {
	s := slacktest.New(slacktest.Options{BotToken: token})
	t.Cleanup(s.Close)
	s.AddUser(requester, "rita", "rita@contoso.com")
	var logs bytes.Buffer
	n := notify.New(notify.Config{
		Client: slack.New(token, slack.OptionAPIURL(s.URL())),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/commands/T0001/1234/S3CR3T-hook-token"
	ln.Close() // nothing listens: the post fails with a *url.Error naming the URL
	if err := n.Answer(t.Context(), bot.ReplyTo{ResponseURL: closed, Channel: "C0HELPDESK", User: requester}, bot.Answer{Text: "Hello."}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "response_url failed") {
		t.Fatalf("the failure was not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "S3CR3T-hook-token") {
		t.Errorf("the log shows the response_url:\n%s", logs.String())
	}
}

// retryButton returns the Retry button of a message, if any.
func retryButton(t *testing.T, e slacktest.Entry) (btn struct {
	block, actionID, value string
	confirm                bool
}, found bool) {
	t.Helper()
	for _, b := range blocksOf(t, e) {
		if b.Type != "actions" {
			continue
		}
		for _, el := range b.Elements {
			if el.ActionID == notify.ActionRetry {
				btn.block, btn.actionID, btn.value = b.BlockID, el.ActionID, el.Value
				btn.confirm = el.Confirm != nil && el.Confirm.Confirm.Text == "Retry" && el.Confirm.Deny.Text == "Cancel" &&
					strings.Contains(el.Confirm.Text.Text, "again from step 2")
				return btn, true
			}
			t.Errorf("unexpected button %q on a report", el.ActionID)
		}
	}
	return btn, false
}

// TestTellRetryButton: the requester's report of a failed request has a
// Retry button while now (t0) is before RetryUntil, and not otherwise.
func TestTellRetryButton(t *testing.T) {
	for _, tc := range []struct {
		name   string
		req    func() *bot.Request
		user   string
		button bool
	}{
		{"failed, retry window open", func() *bot.Request { r := failedReq(); r.RetryUntil = t0.Add(time.Hour); return r }, requester, true},
		{"failed, open for another nanosecond", func() *bot.Request { r := failedReq(); r.RetryUntil = t0.Add(1); return r }, requester, true},
		{"failed, window closes now", func() *bot.Request { r := failedReq(); r.RetryUntil = t0; return r }, requester, false},
		{"failed, window closed", func() *bot.Request { r := failedReq(); r.RetryUntil = t0.Add(-time.Minute); return r }, requester, false},
		{"failed, no retry allowed", failedReq, requester, false},
		{"succeeded", func() *bot.Request { r := succeeded(); r.RetryUntil = t0.Add(time.Hour); return r }, requester, false},
		{"waiting", func() *bot.Request { r := running(); r.RetryUntil = t0.Add(time.Hour); return r }, requester, false},
		{"failed, told to someone else", func() *bot.Request { r := failedReq(); r.RetryUntil = t0.Add(time.Hour); return r }, manager, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, 0)
			r := tc.req()
			if err := e.notify.Tell(t.Context(), tc.user, r, "❌ Converting *alice@contoso.com* failed."); err != nil {
				t.Fatal(err)
			}
			msgs := e.slack.Messages("D" + tc.user)
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			btn, found := retryButton(t, msgs[0])
			if found != tc.button {
				t.Fatalf("Retry button present = %v, want %v:\n%s", found, tc.button, msgs[0].Text)
			}
			hasLine := strings.Contains(msgs[0].Text, "You can retry until")
			if hasLine != tc.button {
				t.Errorf("retry line present = %v, want %v:\n%s", hasLine, tc.button, msgs[0].Text)
			}
			if !found {
				return
			}
			if btn.value != reqID || btn.block != notify.RetryBlockID+reqID || !btn.confirm {
				t.Errorf("button = %+v, want value %s, block retry:%s and a confirm dialog", btn, reqID, reqID)
			}
			until := r.RetryUntil.UTC().Format("2006-01-02 15:04 UTC")
			if !strings.Contains(msgs[0].Text, "You can retry until "+until) || !strings.Contains(msgs[0].Text, "[Retry from the failed step]") {
				t.Errorf("text lacks the retry line or the button:\n%s", msgs[0].Text)
			}
		})
	}
}

// clickBot is a handlers.Bot that hands the clicks it gets to the test.
type clickBot struct{ clicks chan bot.Click }

func (b clickBot) AcceptCommand(context.Context, bot.Command) error {
	return errors.New("no commands here")
}
func (b clickBot) AcceptClick(_ context.Context, c bot.Click) error { b.clicks <- c; return nil }

// TestClickRetry: clicking Retry on the report Tell sent goes, signed,
// through the real handlers to the bot as a retry click by the clicker.
func TestClickRetry(t *testing.T) {
	e := setup(t, 0)
	ctx := t.Context()
	r := failedReq()
	r.RetryUntil = t0.Add(time.Hour)
	if err := e.notify.Tell(ctx, requester, r, "❌ failed"); err != nil {
		t.Fatal(err)
	}
	msgs := e.slack.Messages("D" + requester)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	const secret = "signing-secret"
	b := clickBot{clicks: make(chan bot.Click, 2)}
	srv := httptest.NewServer(handlers.New(handlers.Config{
		Verifier: &handlers.Verifier{Secret: secret, Now: func() time.Time { return t0 }},
		TeamID:   "T0001",
		Bot:      b,
	}).Handler())
	defer srv.Close()

	status, _, err := e.slack.Click(ctx, srv.URL, secret, requester, msgs[0].Channel, msgs[0].TS, notify.ActionRetry)
	if err != nil || status != http.StatusOK {
		t.Fatalf("Click = %d, %v", status, err)
	}
	c := <-b.clicks
	if c.Action != bot.ActionRetry || c.RequestID != reqID || c.User != requester || c.Approve ||
		c.Channel != msgs[0].Channel || c.MessageTS != msgs[0].TS || c.ResponseURL == "" || c.ActionTS == "" {
		t.Errorf("click = %+v, want a retry of %s by %s", c, reqID, requester)
	}
	// The same message as another user saw it: still that user's click.
	if _, _, err := e.slack.ClickVersion(ctx, srv.URL, secret, manager, msgs[0], notify.ActionRetry); err != nil {
		t.Fatal(err)
	}
	if c := <-b.clicks; c.User != manager || c.Action != bot.ActionRetry {
		t.Errorf("second click = %+v, want a retry click by %s", c, manager)
	}
}

// credential is what TellSecret carries in the tests.
const credential = "Xk9#qT2v-PassFor-Alice"

func secretText() string {
	return "🔑 Temporary Access Pass for *alice@contoso.com*: `" + credential + "`\nGive it to Alice in person."
}

// capture is a notifier on a fake Slack with a debug logger into logs.
func capture(t *testing.T, maxWaits int) (*slacktest.Server, *notify.Slack, *bytes.Buffer) {
	t.Helper()
	s := slacktest.New(slacktest.Options{BotToken: token, Now: func() time.Time { return t0 }})
	t.Cleanup(s.Close)
	s.AddUser(requester, "rita", "rita@contoso.com")
	s.AddUser(manager, "maria", "maria@contoso.com")
	var logs bytes.Buffer
	n := notify.New(notify.Config{
		Client:            slack.New(token, slack.OptionAPIURL(s.URL())),
		Logger:            slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:               func() time.Time { return t0 },
		MaxRateLimitWaits: maxWaits,
	})
	return s, n, &logs
}

// TestTellSecret: the credential goes in one direct message to the
// requester, in the blocks only (not the notification's fallback text),
// and nowhere else: no other channel, no ephemeral, not the log.
func TestTellSecret(t *testing.T) {
	s, n, logs := capture(t, 0)
	r := requestOf(regularPlan())
	if err := n.TellSecret(t.Context(), requester, r, secretText()); err != nil {
		t.Fatal(err)
	}
	tr := s.Transcript()
	if len(tr) != 1 {
		t.Fatalf("%d entries, want one direct message: %+v", len(tr), tr)
	}
	m := tr[0]
	if m.Kind != slacktest.KindMessage || m.Channel != "D"+requester || m.User != requester {
		t.Fatalf("entry = %+v, want a direct message to %s", m, requester)
	}
	if !strings.Contains(m.Text, credential) || !strings.Contains(m.Text, "Request `req_01JD3K7Q` · Convert back to a user mailbox · alice@contoso.com") {
		t.Errorf("message lacks the credential or the line about the request:\n%s", m.Text)
	}
	if strings.Contains(m.RawText, credential) || !strings.Contains(m.RawText, "alice@contoso.com") {
		t.Errorf("fallback text %q: want the mailbox and not the credential", m.RawText)
	}
	if !strings.Contains(logs.String(), "credential sent privately") {
		t.Errorf("the delivery is not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), credential) || strings.Contains(logs.String(), "PassFor") {
		t.Errorf("the log holds the credential:\n%s", logs)
	}
}

// TestTellSecretOnlyToRequester: a credential is never sent to anyone but
// the requester, whatever the caller asks.
func TestTellSecretOnlyToRequester(t *testing.T) {
	s, n, logs := capture(t, 0)
	r := requestOf(regularPlan())
	for _, user := range []string{manager, "", "C0HELPDESK"} {
		err := n.TellSecret(t.Context(), user, r, secretText())
		if !errors.Is(err, notify.ErrNotRequester) || strings.Contains(err.Error(), credential) {
			t.Errorf("TellSecret to %q: err = %v, want ErrNotRequester without the credential", user, err)
		}
	}
	if err := n.TellSecret(t.Context(), requester, nil, secretText()); !errors.Is(err, notify.ErrNotRequester) {
		t.Errorf("TellSecret without a request: err = %v, want ErrNotRequester", err)
	}
	if tr := s.Transcript(); len(tr) != 0 || s.Calls("conversations.open")+s.Calls("chat.postMessage") != 0 {
		t.Errorf("Slack was called: %+v", tr)
	}
	if strings.Contains(logs.String(), credential) {
		t.Errorf("the log holds the credential:\n%s", logs)
	}
}

// TestTellSecretFailureLeaksNothing: when Slack fails (rate limit after
// the waits, unknown user), neither the log nor the error holds the
// credential, and nothing was posted.
func TestTellSecretFailureLeaksNothing(t *testing.T) {
	t.Run("rate limited", func(t *testing.T) {
		s, n, logs := capture(t, 1)
		s.RateLimitNext("chat.postMessage", 2, 1)
		err := n.TellSecret(t.Context(), requester, requestOf(regularPlan()), secretText())
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want a rate limit error", err)
		}
		if strings.Contains(err.Error(), credential) {
			t.Errorf("the error holds the credential: %v", err)
		}
		if !strings.Contains(logs.String(), "slack rate limit") {
			t.Errorf("the wait was not logged:\n%s", logs)
		}
		if strings.Contains(logs.String(), credential) {
			t.Errorf("the log holds the credential:\n%s", logs)
		}
		if len(s.Messages("D"+requester)) != 0 {
			t.Error("a message was posted")
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		s, n, logs := capture(t, 0)
		r := requestOf(regularPlan())
		r.Requester = "U0GONE"
		err := n.TellSecret(t.Context(), "U0GONE", r, secretText())
		if err == nil || !strings.Contains(err.Error(), "user_not_found") || strings.Contains(err.Error(), credential) {
			t.Fatalf("err = %v, want user_not_found without the credential", err)
		}
		if strings.Contains(logs.String(), credential) || len(s.Transcript()) != 0 {
			t.Errorf("log %s, transcript %+v", logs, s.Transcript())
		}
	})
	// A Slack (or a proxy) that repeats the message in its error: the
	// error's text is withheld, its chain kept.
	t.Run("error repeats the message", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/api/conversations.open":
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": map[string]any{"id": "D" + requester}})
			default:
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "invalid_blocks: " + r.FormValue("blocks")})
			}
		}))
		defer echo.Close()
		var logs bytes.Buffer
		n := notify.New(notify.Config{
			Client: slack.New(token, slack.OptionAPIURL(echo.URL+"/api/")),
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		err := n.TellSecret(t.Context(), requester, requestOf(regularPlan()), secretText())
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want a Slack error in the chain", err)
		}
		if strings.Contains(err.Error(), credential) || !strings.Contains(err.Error(), "withheld") {
			t.Errorf("err = %v, want the text withheld", err)
		}
		if strings.Contains(logs.String(), credential) {
			t.Errorf("the log holds the credential:\n%s", logs.String())
		}
	})
}
