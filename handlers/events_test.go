package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// homes records the App Home tabs asked for.
type homes struct {
	mu     sync.Mutex
	err    error
	users  []string
	opened chan string
	gate   chan struct{} // when set, HomeOpened waits for it to close
}

func newHomes() *homes { return &homes{opened: make(chan string, 10)} }

func (h *homes) HomeOpened(ctx context.Context, user string) error {
	h.mu.Lock()
	h.users = append(h.users, user)
	h.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("HomeOpened called without a deadline")
	}
	h.opened <- user
	if h.gate != nil {
		select {
		case <-h.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return h.err
}

// newEventHarness is newHarness with hm as Config.Home, also returning
// the Server, for Wait.
func newEventHarness(t *testing.T, hm HomeOpener) (*harness, *Server) {
	t.Helper()
	h := &harness{bot: &fakeBot{}, log: &testlog.Buffer{}}
	cfg := testConfig(h.bot, slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	cfg.Home = hm
	srv := New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	h.url = ts.URL
	return h, srv
}

// postJSON sends body as the Events API does: JSON, signed over the raw body.
func (h *harness) postJSON(t *testing.T, path, body string, s signing) (*http.Response, string) {
	t.Helper()
	return h.send(t, path, "application/json", body, s)
}

// homeOpenedEvent is an app_home_opened event_callback as Slack sends it.
func homeOpenedEvent(team, app, user, tab string) string {
	return `{"token":"XXYYZZ","team_id":"` + team + `","context_team_id":"` + team + `","api_app_id":"` + app + `",` +
		`"event":{"type":"app_home_opened","user":"` + user + `","channel":"D0BOTDM","tab":"` + tab + `",` +
		`"event_ts":"1763719290.000100","view":{"id":"V0HOME","team_id":"` + team + `","type":"home","blocks":[],"private_metadata":"","callback_id":"","hash":"1763719200.abcd"}},` +
		`"type":"event_callback","event_id":"Ev0HOME01","event_time":1763719290,` +
		`"authorizations":[{"enterprise_id":null,"team_id":"` + team + `","user_id":"U0BOT","is_bot":true,"is_enterprise_install":false}],` +
		`"is_ext_shared_channel":false}`
}

func TestEventsURLVerification(t *testing.T) {
	h := newHarness(t)
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	resp, got := h.postJSON(t, "/slack/events", body, slackSigned)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("url_verification: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	var ch struct{ Challenge string }
	if err := json.Unmarshal([]byte(got), &ch); err != nil || ch.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("answer %q (%v), want the challenge", got, err)
	}
	// Unsigned, or signed with another secret: refused.
	for _, s := range []signing{{none: true}, {secret: "other", at: testNow}} {
		if resp, got := h.postJSON(t, "/slack/events", body, s); resp.StatusCode != http.StatusUnauthorized || strings.Contains(got, "3eZbrw") {
			t.Errorf("unverified url_verification: %d %q", resp.StatusCode, got)
		}
	}
}

func TestEventsAppHomeOpened(t *testing.T) {
	hm := newHomes()
	h := newHarness(t, func(c *Config) { c.Home = hm })
	resp, got := h.postJSON(t, "/slack/events", homeOpenedEvent("T0001", "A123456", "U0MARIA", "home"), slackSigned)
	if resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("event answered %d %q, want 200 and no body", resp.StatusCode, got)
	}
	select {
	case user := <-hm.opened:
		if user != "U0MARIA" {
			t.Errorf("home opened for %s, want U0MARIA", user)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("HomeOpened never called")
	}
}

func TestEventsAnsweredBeforeTheWork(t *testing.T) {
	hm := newHomes()
	hm.gate = make(chan struct{}) // HomeOpened hangs until the test is answered
	h, srv := newEventHarness(t, hm)
	done := make(chan int, 1)
	go func() {
		resp, _ := h.postJSON(t, "/slack/events", homeOpenedEvent("T0001", "A123456", "U0MARIA", "home"), slackSigned)
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Errorf("status %d", code)
		}
	case <-time.After(3 * time.Second):
		t.Error("Slack was not answered while the Home was being published")
	}
	close(hm.gate)
	srv.Wait()
	if user := <-hm.opened; user != "U0MARIA" {
		t.Errorf("home opened for %s", user)
	}
}

func TestEventsIgnoredOrRefused(t *testing.T) {
	hm := newHomes()
	h, srv := newEventHarness(t, hm)
	for name, body := range map[string]string{
		"other team":       homeOpenedEvent("T0EVIL", "A123456", "U0MARIA", "home"),
		"other app":        homeOpenedEvent("T0001", "A0EVIL", "U0MARIA", "home"),
		"messages tab":     homeOpenedEvent("T0001", "A123456", "U0MARIA", "messages"),
		"no user":          homeOpenedEvent("T0001", "A123456", "", "home"),
		"other event":      `{"token":"x","team_id":"T0001","api_app_id":"A123456","type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"app_mention","user":"U0MARIA","text":"hi","ts":"1.2","channel":"C1","event_ts":"1.2"}}`,
		"unknown event":    `{"token":"x","team_id":"T0001","api_app_id":"A123456","type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"no_such_event"}}`,
		"not json":         `{"type":`,
		"app_rate_limited": `{"token":"x","team_id":"T0001","minute_rate_limited":1518467820,"api_app_id":"A123456","type":"app_rate_limited"}`,
	} {
		resp, got := h.postJSON(t, "/slack/events", body, slackSigned)
		if resp.StatusCode != http.StatusOK || got != "" {
			t.Errorf("%s: %d %q, want 200 and no body", name, resp.StatusCode, got)
		}
	}
	srv.Wait() // the events handled in the background are done
	hm.mu.Lock()
	defer hm.mu.Unlock()
	if len(hm.users) != 0 {
		t.Errorf("HomeOpened called for %v, want nobody", hm.users)
	}
	if !strings.Contains(h.log.String(), "slack event from another workspace or app refused") {
		t.Errorf("the refusal is not logged:\n%s", h.log.String())
	}
}

func TestEventsWithoutHome(t *testing.T) {
	h, srv := newEventHarness(t, nil)
	if resp, got := h.postJSON(t, "/slack/events", homeOpenedEvent("T0001", "A123456", "U0MARIA", "home"), slackSigned); resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("%d %q", resp.StatusCode, got)
	}
	srv.Wait()
	if !strings.Contains(h.log.String(), "no Home configured") {
		t.Errorf("log:\n%s", h.log.String())
	}
}

func TestEventHomeFails(t *testing.T) {
	hm := newHomes()
	hm.err = errors.New("views.publish: invalid_auth")
	h, srv := newEventHarness(t, hm)
	if resp, _ := h.postJSON(t, "/slack/events", homeOpenedEvent("T0001", "A123456", "U0MARIA", "home"), slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	srv.Wait()
	if <-hm.opened != "U0MARIA" || !strings.Contains(h.log.String(), "home tab not published") {
		t.Fatalf("the failure is not logged:\n%s", h.log.String())
	}
}

// A click on the Home tab's buttons arrives as block_actions from a view,
// without a channel, a message or a response_url: it is the same click.
func TestHomeTabClick(t *testing.T) {
	h := newHarness(t)
	body := payload(t, func(p map[string]any) {
		p["container"] = map[string]any{"type": "view", "view_id": "V0HOME"}
		p["view"] = map[string]any{"id": "V0HOME", "team_id": "T0001", "type": "home", "blocks": []any{},
			"private_metadata": "", "callback_id": "", "hash": "1763719200.abcd", "app_id": "A123456", "bot_id": "B0BOT"}
		delete(p, "channel")
		delete(p, "message")
		delete(p, "response_url")
		action(p)["action_id"] = "reject"
	})
	if resp, got := h.post(t, "/slack/interactions", body, slackSigned); resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("status %d body %q", resp.StatusCode, got)
	}
	want := bot.Click{RequestID: "req_01JD3K7Q", Action: bot.ActionReject, User: "U0MANAGER", TeamID: "T0001", ActionTS: "1763719260.443911"}
	if _, clicks := h.bot.calls(); len(clicks) != 1 || clicks[0] != want {
		t.Fatalf("clicks %+v, want %+v", clicks, want)
	}
}
