package slacktest_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// fakeBot verifies Slack's signature with the real verifier and hands
// what slack-go parses to the test.
type fakeBot struct {
	srv      *httptest.Server
	commands chan slack.SlashCommand
	clicks   chan slack.InteractionCallback
}

func newBot(t *testing.T, now time.Time, answer string) *fakeBot {
	t.Helper()
	b := &fakeBot{commands: make(chan slack.SlashCommand, 1), clicks: make(chan slack.InteractionCallback, 1)}
	v := &handlers.Verifier{Secret: secret, Now: func() time.Time { return now }}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.commands <- cmd
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answer))
	})
	mux.HandleFunc("POST /slack/interactions", func(w http.ResponseWriter, r *http.Request) {
		ic, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.clicks <- ic
	})
	b.srv = httptest.NewServer(v.Signed(slog.New(slog.DiscardHandler), mux))
	t.Cleanup(b.srv.Close)
	return b
}

func TestSlashCommand(t *testing.T) {
	s, _ := newServer(t)
	b := newBot(t, t0.Add(30*time.Second), `{"response_type":"ephemeral","text":"Looking up *alice@contoso.com*…"}`)
	status, body, err := s.SlashCommand(t.Context(), b.srv.URL, secret, "U0RITA", "/convert-mailbox", "alice@contoso.com")
	if err != nil || status != http.StatusOK {
		t.Fatalf("SlashCommand = %d %s, %v", status, body, err)
	}
	cmd := <-b.commands
	if cmd.UserID != "U0RITA" || cmd.UserName != "rita" || cmd.Command != "/convert-mailbox" || cmd.Text != "alice@contoso.com" ||
		cmd.TeamID != "T0001" || cmd.APIAppID != "A123456" || cmd.ChannelID != "C0HELPDESK" || cmd.TriggerID == "" ||
		cmd.ResponseURL != s.ResponseURL("U0RITA") {
		t.Errorf("command = %+v", cmd)
	}
	eph := s.Ephemerals("U0RITA")
	if len(eph) != 1 || eph[0].Text != "Looking up alice@contoso.com…" {
		t.Errorf("ephemerals = %+v", eph)
	}

	// A wrong secret is refused by the bot's verifier: 401, nothing recorded.
	status, _, err = s.SlashCommand(t.Context(), b.srv.URL, "wrong", "U0RITA", "/convert-mailbox", "x@contoso.com")
	if err != nil || status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, %v; want 401", status, err)
	}
	if n := len(s.Ephemerals("U0RITA")); n != 1 {
		t.Errorf("%d ephemerals after a refused command, want 1", n)
	}
}

func TestClick(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	approve := slack.NewButtonBlockElement("approve", "req_01JD3K7Q", slack.NewTextBlockObject("plain_text", "Approve", true, false))
	approve.Style = slack.StylePrimary
	_, ts, err := api.PostMessageContext(ctx, "DU0MARIA", slack.MsgOptionText("Rita asks", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Rita* asks to convert *alice@contoso.com*", false, false), nil, nil),
		slack.NewActionBlock("decision:req_01JD3K7Q", approve,
			slack.NewButtonBlockElement("reject", "req_01JD3K7Q", slack.NewTextBlockObject("plain_text", "Reject", true, false)))))
	if err != nil {
		t.Fatal(err)
	}

	b := newBot(t, t0, "")
	status, _, err := s.Click(ctx, b.srv.URL+"/", secret, "U0MARIA", "DU0MARIA", ts, "approve")
	if err != nil || status != http.StatusOK {
		t.Fatalf("Click = %d, %v", status, err)
	}
	ic := <-b.clicks
	if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != "U0MARIA" || ic.User.TeamID != "T0001" || ic.Team.ID != "T0001" || ic.APIAppID != "A123456" {
		t.Errorf("who/where: type %q user %+v team %+v app %q", ic.Type, ic.User, ic.Team, ic.APIAppID)
	}
	if ic.Container.ChannelID != "DU0MARIA" || ic.Container.MessageTs != ts || ic.Channel.ID != "DU0MARIA" || ic.Message.Timestamp != ts {
		t.Errorf("container %+v channel %q message ts %q", ic.Container, ic.Channel.ID, ic.Message.Timestamp)
	}
	if ic.ResponseURL != s.ResponseURL("U0MARIA") || ic.TriggerID == "" {
		t.Errorf("response_url %q trigger %q", ic.ResponseURL, ic.TriggerID)
	}
	acts := ic.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0].ActionID != "approve" || acts[0].Value != "req_01JD3K7Q" ||
		acts[0].BlockID != "decision:req_01JD3K7Q" || acts[0].ActionTs == "" {
		t.Fatalf("actions = %+v", acts)
	}
	if len(ic.Message.Blocks.BlockSet) != 2 {
		t.Errorf("message carries %d blocks, want 2", len(ic.Message.Blocks.BlockSet))
	}

	// No such button, no such message.
	if _, _, err := s.Click(ctx, b.srv.URL, secret, "U0MARIA", "DU0MARIA", ts, "escalate"); !errors.Is(err, slacktest.ErrNoButton) {
		t.Errorf("unknown action: %v", err)
	}
	if _, _, err := s.Click(ctx, b.srv.URL, secret, "U0MARIA", "DU0MARIA", "1.000001", "approve"); !errors.Is(err, slacktest.ErrNoMessage) {
		t.Errorf("unknown message: %v", err)
	}
	// Once the message lost its buttons, there is nothing to click.
	if _, _, _, err := api.UpdateMessageContext(ctx, "DU0MARIA", ts, slack.MsgOptionText("Approved", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "Approved", false, false), nil, nil))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Click(ctx, b.srv.URL, secret, "U0MARIA", "DU0MARIA", ts, "approve"); !errors.Is(err, slacktest.ErrNoButton) {
		t.Errorf("click on a decided message: %v", err)
	}
}

// TestClickPayloadMatchesSample: the payload has every top-level field of
// /work/shared/samples/slack-block-actions.json.
func TestClickPayloadMatchesSample(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	_, ts, err := api.PostMessageContext(ctx, "DU0MARIA", slack.MsgOptionBlocks(
		slack.NewActionBlock("decision:r1", slack.NewButtonBlockElement("reject", "r1", slack.NewTextBlockObject("plain_text", "Reject", true, false)))))
	if err != nil {
		t.Fatal(err)
	}
	payloads := make(chan map[string]json.RawMessage, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]json.RawMessage
		_ = json.Unmarshal([]byte(r.FormValue("payload")), &p)
		payloads <- p
	}))
	defer srv.Close()
	if _, _, err := s.Click(ctx, srv.URL, secret, "U0MARIA", "DU0MARIA", ts, "reject"); err != nil {
		t.Fatal(err)
	}
	p := <-payloads
	var missing []string
	for _, k := range []string{"type", "user", "api_app_id", "token", "container", "trigger_id", "team", "enterprise",
		"is_enterprise_install", "channel", "message", "state", "response_url", "actions"} {
		if _, ok := p[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("payload lacks %s", strings.Join(missing, ", "))
	}
}
