package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/internal/words"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

const testSecret = "test-signing-secret"

var testNow = time.Unix(1763719300, 0) // a minute after the sample's action

// fakeBot records every call. With block set it waits for the context to
// end, like a queue that hangs.
type fakeBot struct {
	mu       sync.Mutex
	err      error
	block    bool
	commands []bot.Command
	clicks   []bot.Click
}

func (f *fakeBot) AcceptCommand(ctx context.Context, c bot.Command) error {
	f.mu.Lock()
	f.commands = append(f.commands, c)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.err
}

func (f *fakeBot) AcceptClick(ctx context.Context, c bot.Click) error {
	f.mu.Lock()
	f.clicks = append(f.clicks, c)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.err
}

func (f *fakeBot) calls() ([]bot.Command, []bot.Click) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bot.Command(nil), f.commands...), append([]bot.Click(nil), f.clicks...)
}

func (f *fakeBot) assertNothing(t *testing.T) {
	t.Helper()
	if cmds, clicks := f.calls(); len(cmds)+len(clicks) > 0 {
		t.Fatalf("the bot was called: commands %+v, clicks %+v", cmds, clicks)
	}
}

// testConfig is the Config every handler test starts from: our team and
// app, the test secret, the clock at testNow, and b as the bot.
func testConfig(b *fakeBot, log *slog.Logger) Config {
	return Config{
		Verifier: &Verifier{Secret: testSecret, Now: func() time.Time { return testNow }},
		TeamID:   "T0001",
		AppID:    "A123456",
		Bot:      b,
		Logger:   log,
		Now:      func() time.Time { return testNow },
	}
}

type harness struct {
	url string
	bot *fakeBot
	log *testlog.Buffer
}

func newHarness(t *testing.T, mod ...func(*Config)) *harness {
	t.Helper()
	h := &harness{bot: &fakeBot{}, log: &testlog.Buffer{}}
	cfg := testConfig(h.bot, slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, m := range mod {
		m(&cfg)
	}
	srv := httptest.NewServer(New(cfg).Handler())
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

type signing struct {
	secret string
	at     time.Time
	none   bool // send no signature headers
}

var slackSigned = signing{secret: testSecret, at: testNow}

// post sends body as Slack does: form-encoded, signed over the raw body.
func (h *harness) post(t *testing.T, path, body string, s signing) (*http.Response, string) {
	t.Helper()
	return h.send(t, path, "application/x-www-form-urlencoded", body, s)
}

// send posts body with the content type as Slack does, signed as s says.
func (h *harness) send(t *testing.T, path, contentType, body string, s signing) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", h.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	s.sign(req, body)
	return do(t, req)
}

// sign sets Slack's signature headers on req for body, unless s.none.
func (s signing) sign(req *http.Request, body string) {
	if s.none {
		return
	}
	ts := strconv.FormatInt(s.at.Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", Sign(s.secret, ts, []byte(body)))
}

func (h *harness) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// commandForm is the sample slash command with some fields replaced.
func commandForm(t *testing.T, set map[string]string) string {
	t.Helper()
	v, err := url.ParseQuery(readTestdata(t, "slack-slash-command.form"))
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range set {
		v.Set(k, val)
	}
	return v.Encode()
}

// ephemeral decodes an immediate slash command answer and checks its shape.
func ephemeral(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, body)
	}
	text, _ := m["text"].(string)
	if m["response_type"] != "ephemeral" || text == "" || len(m) != 2 {
		t.Fatalf("body %q, want {response_type: ephemeral, text}", body)
	}
	return text
}

func TestUnverifiedRequestsAreRefused(t *testing.T) {
	cmd := readTestdata(t, "slack-slash-command.form")
	click := "payload=" + url.QueryEscape(readTestdata(t, "slack-block-actions.json"))
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		body := cmd
		if path == "/slack/interactions" {
			body = click
		}
		for _, tc := range []struct {
			name string
			s    signing
		}{
			{"unsigned", signing{none: true}},
			{"another secret", signing{secret: "not-the-secret", at: testNow}},
			{"stale timestamp", signing{secret: testSecret, at: testNow.Add(-5*time.Minute - time.Second)}},
			{"future timestamp", signing{secret: testSecret, at: testNow.Add(6 * time.Minute)}},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				h := newHarness(t)
				resp, got := h.post(t, path, body, tc.s)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401; body %q", resp.StatusCode, got)
				}
				h.bot.assertNothing(t)
			})
		}
		t.Run(path+"/body changed after signing", func(t *testing.T) {
			h := newHarness(t)
			ts := strconv.FormatInt(testNow.Unix(), 10)
			req, _ := http.NewRequest("POST", h.url+path, strings.NewReader(strings.Replace(body, "T0001", "T0002", 1)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
			resp, got := do(t, req)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %q", resp.StatusCode, got)
			}
			h.bot.assertNothing(t)
		})
	}
}

func TestSlashCommandSample(t *testing.T) {
	h := newHarness(t)
	resp, body := h.post(t, "/slack/commands", readTestdata(t, "slack-slash-command.form"), slackSigned)
	if got, want := ephemeral(t, resp, body), "Checking alice@contoso.com… I'll answer here in a moment."; got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
	cmds, clicks := h.bot.calls()
	want := bot.Command{
		Op:          mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		User:        "U2147483697",
		TeamID:      "T0001",
		Channel:     "C2147483705",
		ResponseURL: "https://hooks.slack.com/commands/1234/5678",
		TriggerID:   "13345224609.738474920.8088930838d88f008e0",
	}
	if len(cmds) != 1 || !reflect.DeepEqual(cmds[0], want) || len(clicks) != 0 {
		t.Fatalf("bot got commands %+v clicks %+v, want one %+v", cmds, clicks, want)
	}
	logs := h.log.String()
	if !strings.Contains(logs, "command queued") || !strings.Contains(logs, "mailbox=alice@contoso.com") {
		t.Errorf("log does not record the queued command:\n%s", logs)
	}
	for _, secret := range []string{"gIkuvaNzQIHg97ATvDxqgjtO", "hooks.slack.com", testSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestSlashCommandAnswers(t *testing.T) {
	usage := "Usage: `/convert-mailbox &lt;address&gt; [to shared|to regular] [options]` — try `/convert-mailbox help`."
	optionsUsage := "Usage: `/convert-mailbox &lt;address&gt; [to shared|to regular] [options]` — try `/convert-mailbox help options`."
	for _, tc := range []struct {
		name     string
		set      map[string]string
		want     string   // the whole text, or
		contains []string // parts of it
		queued   *mailbox.Operation
	}{
		{name: "help", set: map[string]string{"text": " HELP "}, contains: []string{
			"converts a Microsoft 365 user mailbox to a shared mailbox, or a shared mailbox back to a user mailbox",
			"`/convert-mailbox &lt;address&gt; [to shared] [options]`",
			"`/convert-mailbox &lt;address&gt; to regular [options]`",
			"\n• `/convert-mailbox`: open a form", "several mailboxes at once (at most 500): one request, one approval, one report",
			// The request commands.
			"\n• `/convert-mailbox status &lt;request id&gt;`: where a request stands, for example `/convert-mailbox status req_K7Q3ZD2M`\n",
			"\n• `/convert-mailbox list`: your recent requests, and those waiting for your decision\n",
			"\n• `/convert-mailbox cancel &lt;request id&gt;`: cancel your request while it waits for approval or for its scheduled time, for example `/convert-mailbox cancel req_K7Q3ZD2M`\n",
			// The other pages.
			"`/convert-mailbox help options`", "`/convert-mailbox help rules`", "`/convert-mailbox help approval`",
		}},
		{name: "help options", set: map[string]string{"text": "help Options"}, contains: []string{
			// Every option, one line each.
			"\n• `keep-signin`: ", "\n• `keep-sessions`: ", "\n• `keep-license`: ", "\n• `add-license`: ",
			"\n• `members &lt;address&gt;[,…]`: give these people Full Access and Send As",
			"\n• `full-access &lt;address&gt;[,…]`: ", "\n• `send-as &lt;address&gt;[,…]`: ", "\n• `no-automap`: ",
			"\n• `license &lt;SKU id or part number&gt;`: ", "\n• `password`: ",
			"\n• `at 2026-01-15 18:00`: approve now, run at that time; a time without a zone is UTC", "at most 90 days ahead",
			"\n• `dry-run`: ",
			"Examples: `/convert-mailbox alice@contoso.com members bob@contoso.com,carol@contoso.com`",
		}},
		{name: "help rules", set: map[string]string{"text": "help rules"}, contains: []string{
			// The order of the work, both ways.
			"revoke sessions → block sign-in → grants (Full Access, Send As) → convert → verify that Exchange reports a shared mailbox → remove the licenses",
			"assign a license → convert → verify → enable sign-in → a Temporary Access Pass (or a password) goes to you alone, in a private message",
			"A license is needed", "The account is kept", "Sign-in is blocked",
			"converted on-premises (`Set-RemoteMailbox -Identity &lt;address&gt; -Type Shared`)",
		}},
		{name: "help approval", set: map[string]string{"text": "help approval"}, contains: []string{
			"manager in Microsoft Entra", "Nobody approves their own request",
		}},
		{name: "empty text", set: map[string]string{"text": ""}, contains: []string{
			"I couldn't open the form", "`/convert-mailbox alice@contoso.com`", "`/convert-mailbox help rules`",
		}},
		{name: "malformed address", set: map[string]string{"text": "alice@"},
			want: "`alice@` is not a valid e-mail address. " + usage},
		{name: "two addresses back to regular", set: map[string]string{"text": "alice@contoso.com bob@contoso.com to regular"},
			want: "`to regular` takes one mailbox at a time: each gets its own credential. " + usage},
		{name: "extra words", set: map[string]string{"text": "alice@contoso.com right now"},
			want: "I don't understand `right`. " + optionsUsage},
		{name: "option of the other direction", set: map[string]string{"text": "alice@contoso.com to regular members bob@contoso.com"},
			want: "`members` goes with `to shared` only; this converts back to a user mailbox. " + optionsUsage},
		{name: "time in the past", set: map[string]string{"text": "alice@contoso.com at 2025-11-21 10:00"},
			want: "`at 2025-11-21 10:00` is in the past: it is now 2025-11-21 10:01 UTC. " + optionsUsage},
		{name: "to regular", set: map[string]string{"text": "alice@contoso.com to regular"},
			want:   "Checking alice@contoso.com… I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "alice@contoso.com"}},
		{name: "to regular with options", set: map[string]string{"text": "alice@contoso.com TO REGULAR license SPE_E3 password dry-run at 2025-11-22 18:00"},
			want: "Checking alice@contoso.com… (dry run: nothing will be changed) I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "alice@contoso.com", Options: mailbox.Options{
				License: "SPE_E3", Password: true, DryRun: true, At: time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC)}}},
		{name: "to shared with options", set: map[string]string{"text": "<mailto:Alice@contoso.com|Alice@contoso.com> members <mailto:bob@contoso.com|bob@contoso.com>, carol@contoso.com keep-license no-automap dry-run"},
			want: "Checking alice@contoso.com… (dry run: nothing will be changed) I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{
				KeepLicenses: true, NoAutoMapping: true, DryRun: true,
				FullAccess: []string{"bob@contoso.com", "carol@contoso.com"}, SendAs: []string{"bob@contoso.com", "carol@contoso.com"}}}},
		{name: "status of a mailbox", set: map[string]string{"text": "status alice@contoso.com"},
			want: "`status` takes a request id such as `req_K7Q3ZD2M`, not a mailbox: `list` shows your requests and their ids. " + usage},
		{name: "cancel a bad id", set: map[string]string{"text": "cancel req_123"},
			want: "`req_123` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours. " + usage},
		{name: "shared status without id", set: map[string]string{"command": "/shared-mailbox", "text": "status"},
			want: "`status` needs a request id, for example `status req_K7Q3ZD2M`; `list` shows your requests and their ids. " +
				"Usage: `/shared-mailbox status &lt;request id&gt;` — try `/shared-mailbox help`."},
		{name: "renamed command, help", set: map[string]string{"command": "/convert-mailbox-test", "text": "help"}, contains: []string{
			"`/convert-mailbox-test &lt;address&gt; [to shared] [options]`", "for example `/convert-mailbox-test alice@contoso.com members",
		}},
		{name: "renamed command, error", set: map[string]string{"command": "/test-convert-mailbox", "text": "bob"},
			want: "`bob` is neither an e-mail address nor a command I know. Usage: `/test-convert-mailbox &lt;address&gt; [to shared|to regular] [options]` — try `/test-convert-mailbox help`."},
		{name: "renamed command, convert", set: map[string]string{"command": "/convert-mailbox-test", "text": "<mailto:Bob@Contoso.com|Bob@Contoso.com> to shared"},
			want: "Checking bob@contoso.com… I'll answer here in a moment.", queued: &mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "bob@contoso.com"}},
		{name: "another command", set: map[string]string{"command": "/mailbox-report", "text": "alice@contoso.com"},
			want: "I don't know the command `/mailbox-report`. Nothing was requested."},

		// /shared-mailbox.
		{name: "shared help", set: map[string]string{"command": "/shared-mailbox", "text": "help"}, contains: []string{
			"*/shared-mailbox* creates shared mailboxes", "`/shared-mailbox create \"&lt;display name&gt;\" &lt;address&gt;",
			"\n• `/shared-mailbox`: open a form",
			"\n• `/shared-mailbox status &lt;request id&gt;`: where a request stands, for example `/shared-mailbox status req_K7Q3ZD2M`\n",
			"\n• `/shared-mailbox list`: your recent requests, and those waiting for your decision\n",
			"\n• `/shared-mailbox cancel &lt;request id&gt;`: cancel your request while it waits for approval, for example `/shared-mailbox cancel req_K7Q3ZD2M`\n",
			"`/shared-mailbox help options`", "`/shared-mailbox help rules`", "`/shared-mailbox help approval`",
		}},
		{name: "shared help rules", set: map[string]string{"command": "/shared-mailbox", "text": "help rules"}, contains: []string{"(rule 11)", "(rule 14)"}},
		{name: "shared help approval", set: map[string]string{"command": "/shared-mailbox", "text": "help approvers"}, contains: []string{
			"\n• `create`: your manager in Microsoft Entra approves", "\n• `revoke`: no approval",
		}},
		{name: "shared empty text", set: map[string]string{"command": "/shared-mailbox", "text": " "}, contains: []string{
			"I couldn't open the form", "`/shared-mailbox create \"Sales Team\" sales@contoso.com`",
			"*/shared-mailbox* creates shared mailboxes", "`/shared-mailbox help rules`", "`/shared-mailbox help approval`",
		}},
		{name: "shared create", set: map[string]string{"command": "/shared-mailbox",
			"text": "create “Sales Team” <mailto:Support@contoso.com|Support@contoso.com> members kim@contoso.com, <@U0LEE|lee>"},
			want: "Checking support@contoso.com for the new shared mailbox “Sales Team” with 2 members… I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Sales Team",
				Members: []string{"kim@contoso.com", "<@U0LEE>"}}},
		{name: "shared grant", set: map[string]string{"command": "/shared-mailbox-test", "text": "grant info@contoso.com <@U0KIM|kim> full no-automap dry-run"},
			want: "Checking Full Access on info@contoso.com for <@U0KIM>… (dry run: nothing will be changed) I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "<@U0KIM>", Right: mailbox.FullAccess,
				Options: mailbox.Options{NoAutoMapping: true, DryRun: true}}},
		{name: "shared revoke", set: map[string]string{"command": "/shared-mailbox", "text": "revoke info@contoso.com kim@contoso.com send-as"},
			want:   "Checking Send As on info@contoso.com for kim@contoso.com, to take it away… I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs}},
		{name: "shared members", set: map[string]string{"command": "/shared-mailbox", "text": "members info@contoso.com"},
			want:   "Checking who may use info@contoso.com… I'll answer here in a moment.",
			queued: &mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"}},
		{name: "shared error names the subcommand's usage", set: map[string]string{"command": "/shared-mailbox", "text": "grant info@contoso.com kim@contoso.com read"},
			want: "`read` is not a right I know: say `full-access`, `send-as` or `send-on-behalf`. " +
				"Usage: `/shared-mailbox grant &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [no-automap] [each-member] [dry-run]` — try `/shared-mailbox help options`."},
		{name: "shared create error", set: map[string]string{"command": "/shared-mailbox", "text": "create Sales/EU support@contoso.com"},
			want: "The display name cannot hold `/`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name. " +
				"Usage: `/shared-mailbox create \"&lt;display name&gt;\" &lt;address&gt; [members &lt;address or @person&gt;…] [dry-run]` — try `/shared-mailbox help options`."},
		{name: "shared unknown subcommand", set: map[string]string{"command": "/shared-mailbox", "text": "convert info@contoso.com"},
			want: "`convert` is not something I can do with a shared mailbox: say `create`, `grant`, `revoke` or `members`. " +
				"Usage: `/shared-mailbox create|grant|revoke|members …` — try `/shared-mailbox help`."},
		{name: "wrong team", set: map[string]string{"team_id": "T0EVIL"}, want: words.WrongTenant()},
		{name: "no team", set: map[string]string{"team_id": ""}, want: words.WrongTenant()},
		{name: "wrong app", set: map[string]string{"api_app_id": "A0OTHER"}, want: words.WrongTenant()},
		{name: "no user", set: map[string]string{"user_id": ""}, want: words.Unreadable()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp, body := h.post(t, "/slack/commands", commandForm(t, tc.set), slackSigned)
			text := ephemeral(t, resp, body)
			if tc.want != "" && text != tc.want {
				t.Errorf("text\n%q, want\n%q", text, tc.want)
			}
			for _, part := range tc.contains {
				if !strings.Contains(text, part) {
					t.Errorf("text does not contain %q:\n%s", part, text)
				}
			}
			cmds, clicks := h.bot.calls()
			if tc.queued == nil {
				h.bot.assertNothing(t)
				return
			}
			if len(cmds) != 1 || !reflect.DeepEqual(cmds[0].Op, *tc.queued) || cmds[0].User != "U2147483697" || cmds[0].TriggerID == "" || len(clicks) != 0 {
				t.Fatalf("bot got %+v %+v, want one command %+v", cmds, clicks, *tc.queued)
			}
		})
	}
}

// TestSlashRequestCommands: status, list and cancel, on both commands, are
// queued as request commands with the ids normalised, and answered at once.
func TestSlashRequestCommands(t *testing.T) {
	for _, tc := range []struct {
		command, text, want string
		action, id          string
	}{
		{"/convert-mailbox", "status req_abc12345", "Looking up `req_ABC12345`… I'll answer here in a moment.", "status", "req_ABC12345"},
		{"/convert-mailbox", " LIST ", "Listing your requests… I'll answer here in a moment.", "list", ""},
		{"/convert-mailbox-test", "Cancel REQ_k7q3zd2m", "Cancelling `req_K7Q3ZD2M`… I'll answer here in a moment.", "cancel", "req_K7Q3ZD2M"},
		{"/shared-mailbox", "status `req_K7Q3ZD2M`", "Looking up `req_K7Q3ZD2M`… I'll answer here in a moment.", "status", "req_K7Q3ZD2M"},
		{"/shared-mailbox", "list", "Listing your requests… I'll answer here in a moment.", "list", ""},
		{"/shared-mailbox", "cancel req_01JD3K7Q", "Cancelling `req_01JD3K7Q`… I'll answer here in a moment.", "cancel", "req_01JD3K7Q"},
	} {
		t.Run(tc.command+" "+tc.text, func(t *testing.T) {
			h := newHarness(t)
			resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"command": tc.command, "text": tc.text}), slackSigned)
			if got := ephemeral(t, resp, body); got != tc.want {
				t.Errorf("text %q, want %q", got, tc.want)
			}
			want := bot.Command{
				Action:      tc.action,
				RequestID:   tc.id,
				User:        "U2147483697",
				TeamID:      "T0001",
				Channel:     "C2147483705",
				ResponseURL: "https://hooks.slack.com/commands/1234/5678",
				TriggerID:   "13345224609.738474920.8088930838d88f008e0",
			}
			cmds, clicks := h.bot.calls()
			if len(cmds) != 1 || !reflect.DeepEqual(cmds[0], want) || len(clicks) != 0 {
				t.Fatalf("bot got commands %+v clicks %+v, want one %+v", cmds, clicks, want)
			}
			logs := h.log.String()
			if !strings.Contains(logs, "command queued") || !strings.Contains(logs, "action="+tc.action) {
				t.Errorf("log does not record the queued request command:\n%s", logs)
			}
		})
	}
}

// TestSharedHelpFollowsConfiguration: the help says who approves what as
// Config.Policy says.
func TestSharedHelpFollowsConfiguration(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Policy = map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyApprovers, mailbox.KindGrant: bot.PolicyNone}
	})
	resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"command": "/shared-mailbox", "text": "help approval"}), slackSigned)
	text := ephemeral(t, resp, body)
	for _, want := range []string{"\n• `create`: the approvers configured for the bot approve", "\n• `grant`: no approval",
		"\n• `revoke`: no approval", "\n• `members`: no approval: it changes nothing"} {
		if !strings.Contains(text, want) {
			t.Errorf("help lacks %q:\n%s", want, text)
		}
	}
	h.bot.assertNothing(t)
}

func TestSlashCommandQueueUnreachable(t *testing.T) {
	h := newHarness(t)
	h.bot.err = errors.New("enqueue: dial tcp 127.0.0.1:6379: connect: connection refused")
	resp, body := h.post(t, "/slack/commands", readTestdata(t, "slack-slash-command.form"), slackSigned)
	if got := ephemeral(t, resp, body); got != words.QueueDown() {
		t.Fatalf("text %q, want %q", got, words.QueueDown())
	}
	if cmds, _ := h.bot.calls(); len(cmds) != 1 {
		t.Fatalf("bot got %d commands, want 1 (attempted)", len(cmds))
	}
	logs := h.log.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "connection refused") || !strings.Contains(logs, "mailbox=alice@contoso.com") {
		t.Fatalf("the failure is not logged as an error with its cause:\n%s", logs)
	}
}

// A queue that hangs must not make Slack wait past its 3 seconds.
func TestSlashCommandQueueHangs(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AcceptTimeout = 50 * time.Millisecond })
	h.bot.block = true
	start := time.Now()
	resp, body := h.post(t, "/slack/commands", readTestdata(t, "slack-slash-command.form"), slackSigned)
	if got := ephemeral(t, resp, body); got != words.QueueDown() {
		t.Fatalf("text %q, want %q", got, words.QueueDown())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("answered after %s", d)
	}
	if !strings.Contains(h.log.String(), "gave up after 50ms") {
		t.Fatalf("timeout not logged:\n%s", h.log.String())
	}
}

// payload returns the sample block_actions payload, changed by edit, as a
// form body.
func payload(t *testing.T, edit func(p map[string]any)) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(readTestdata(t, "slack-block-actions.json")), &p); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

func action(p map[string]any) map[string]any { return p["actions"].([]any)[0].(map[string]any) }

func TestInteractionSample(t *testing.T) {
	h := newHarness(t)
	// The sample exactly as Slack sends it (not re-encoded).
	body := "payload=" + url.QueryEscape(readTestdata(t, "slack-block-actions.json"))
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("status %d body %q, want 200 and empty", resp.StatusCode, got)
	}
	want := bot.Click{
		RequestID:   "req_01JD3K7Q",
		Action:      bot.ActionApprove,
		Approve:     true,
		User:        "U0MANAGER",
		TeamID:      "T0001",
		Channel:     "D0MANAGERDM",
		MessageTS:   "1763719200.000200",
		ResponseURL: "https://hooks.slack.com/actions/T0001/6112311/XyZ",
		ActionTS:    "1763719260.443911",
	}
	cmds, clicks := h.bot.calls()
	if len(clicks) != 1 || clicks[0] != want || len(cmds) != 0 {
		t.Fatalf("bot got clicks %+v commands %+v, want one %+v", clicks, cmds, want)
	}
}

// The clicker is the signed payload's user, whatever the button says.
func TestInteractionUserIsTheSignedUser(t *testing.T) {
	h := newHarness(t)
	body := payload(t, func(p map[string]any) {
		p["user"].(map[string]any)["id"] = "U0INTRUDER"
		p["user"].(map[string]any)["name"] = "mallory"
		a := action(p)
		a["action_id"] = "reject"
		a["value"] = "req_01JD3K7Q"
		// Even a message that names the manager does not make the clicker the manager.
		p["message"].(map[string]any)["user"] = "U0MANAGER"
	})
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("status %d body %q, want 200 and empty", resp.StatusCode, got)
	}
	_, clicks := h.bot.calls()
	if len(clicks) != 1 {
		t.Fatalf("bot got %d clicks, want 1", len(clicks))
	}
	if c := clicks[0]; c.User != "U0INTRUDER" || c.RequestID != "req_01JD3K7Q" || c.Approve || c.Action != bot.ActionReject {
		t.Fatalf("click %+v, want a rejection by U0INTRUDER of req_01JD3K7Q", c)
	}
}

func TestInteractionsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(t *testing.T) string
		log  string // expected in the log
	}{
		{"wrong team", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { p["team"].(map[string]any)["id"] = "T0EVIL" })
		}, "another workspace or app refused"},
		{"wrong app", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { p["api_app_id"] = "A0OTHER" })
		}, "another workspace or app refused"},
		{"view submission", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { p["type"] = "view_submission"; delete(p, "actions") })
		}, "slack interaction ignored"},
		{"other action", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { action(p)["action_id"] = "details" })
		}, "slack block action ignored"},
		{"no request id", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { action(p)["value"] = "" })
		}, "without a user or a request id"},
		{"huge request id", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { action(p)["value"] = strings.Repeat("r", 500) })
		}, "without a user or a request id"},
		{"no user", func(t *testing.T) string {
			return payload(t, func(p map[string]any) { delete(p, "user") })
		}, "without a user or a request id"},
		{"malformed payload", func(t *testing.T) string { return "payload=%7Bnot+json" }, "unreadable"},
		{"no payload", func(t *testing.T) string { return "foo=bar" }, "unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp, got := h.post(t, "/slack/interactions", tc.body(t), slackSigned)
			if resp.StatusCode != http.StatusOK || got != "" {
				t.Fatalf("status %d body %q, want 200 and empty", resp.StatusCode, got)
			}
			h.bot.assertNothing(t)
			if !strings.Contains(h.log.String(), tc.log) {
				t.Fatalf("log does not say %q:\n%s", tc.log, h.log.String())
			}
		})
	}
}

func TestInteractionQueueUnreachable(t *testing.T) {
	h := newHarness(t)
	h.bot.err = errors.New("enqueue: connection refused")
	resp, got := h.post(t, "/slack/interactions", payload(t, nil), slackSigned)
	if resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("status %d body %q, want 200 and empty", resp.StatusCode, got)
	}
	logs := h.log.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "request=req_01JD3K7Q") ||
		!strings.Contains(logs, "approver=U0MANAGER") || !strings.Contains(logs, "connection refused") {
		t.Fatalf("the failure is not logged with the request, the approver and the cause:\n%s", logs)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var readyErr error
	var mu sync.Mutex
	h := newHarness(t, func(c *Config) {
		c.Ready = func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("ready check without a deadline")
			}
			mu.Lock()
			defer mu.Unlock()
			return readyErr
		}
	})
	check := func(path string, code int, want string) {
		t.Helper()
		resp, body := h.get(t, path)
		if resp.StatusCode != code || body != want {
			t.Fatalf("GET %s = %d %q, want %d %q", path, resp.StatusCode, body, code, want)
		}
	}
	check("/healthz", 200, "ok")
	check("/readyz", 200, "ready")
	mu.Lock()
	readyErr = errors.New("redis: dial tcp 127.0.0.1:6379: connection refused")
	mu.Unlock()
	// The answer names no internal detail; the log has it.
	check("/readyz", 503, "not ready")
	if logs := h.log.String(); !strings.Contains(logs, `msg="not ready"`) || !strings.Contains(logs, "dial tcp 127.0.0.1:6379: connection refused") {
		t.Errorf("the reason is not logged:\n%s", logs)
	}
	check("/healthz", 200, "ok")

	// Slack endpoints take POST only; health endpoints GET only.
	resp, _ := h.get(t, "/slack/commands")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /slack/commands = %d, want 405", resp.StatusCode)
	}
	resp, _ = h.post(t, "/healthz", "", slackSigned)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d, want 405", resp.StatusCode)
	}
	h.bot.assertNothing(t)
}

func TestReadyWithoutCheck(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get(t, "/readyz")
	if resp.StatusCode != 200 || body != "ready" {
		t.Fatalf("GET /readyz = %d %q, want 200 ready", resp.StatusCode, body)
	}
}

func TestNewRequiresVerifierAndBot(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no verifier": {Bot: &fakeBot{}},
		"no bot":      {Verifier: &Verifier{Secret: "s"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			New(cfg)
		})
	}
}

// replies records the private answers the server sends in the background.
type replies struct {
	mu  sync.Mutex
	got []string // "user via response_url: text"
	ch  chan struct{}
}

func (r *replies) Answer(_ context.Context, to bot.ReplyTo, a bot.Answer) error {
	r.mu.Lock()
	r.got = append(r.got, to.User+" via "+to.ResponseURL+": "+a.Text)
	r.mu.Unlock()
	r.ch <- struct{}{}
	return nil
}

// A click that cannot be queued is answered privately: Slack ignores the
// body of the answer to a click, so silence would look like success.
func TestInteractionQueueUnreachableTellsTheClicker(t *testing.T) {
	rep := &replies{ch: make(chan struct{}, 1)}
	h := newHarness(t, func(c *Config) { c.Replier = rep })
	h.bot.err = errors.New("enqueue: connection refused")
	if resp, _ := h.post(t, "/slack/interactions", payload(t, nil), slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	select {
	case <-rep.ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the clicker was not told")
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.got) != 1 || !strings.HasPrefix(rep.got[0], "U0MANAGER via https://hooks.slack.com/actions/T0001/6112311/XyZ: I couldn't record your click") {
		t.Errorf("replies %q", rep.got)
	}
}

// A click on Retry (on the requester's report of a failed request) is a
// retry click by the signed payload's user, never an approval.
func TestInteractionRetry(t *testing.T) {
	h := newHarness(t)
	body := payload(t, func(p map[string]any) {
		p["user"].(map[string]any)["id"] = "U0RITA"
		a := action(p)
		a["action_id"], a["block_id"], a["value"] = "retry", "retry:req_01JD3K7Q", "req_01JD3K7Q"
		a["text"].(map[string]any)["text"] = "Retry from the failed step"
	})
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if resp.StatusCode != http.StatusOK || got != "" {
		t.Fatalf("status %d body %q, want 200 and empty", resp.StatusCode, got)
	}
	want := bot.Click{
		RequestID:   "req_01JD3K7Q",
		Action:      bot.ActionRetry,
		User:        "U0RITA",
		TeamID:      "T0001",
		Channel:     "D0MANAGERDM",
		MessageTS:   "1763719200.000200",
		ResponseURL: "https://hooks.slack.com/actions/T0001/6112311/XyZ",
		ActionTS:    "1763719260.443911",
	}
	if _, clicks := h.bot.calls(); len(clicks) != 1 || clicks[0] != want {
		t.Fatalf("bot got clicks %+v, want one %+v", clicks, want)
	}
	if logs := h.log.String(); !strings.Contains(logs, "click queued") || !strings.Contains(logs, "requester=U0RITA") || !strings.Contains(logs, "action=retry") {
		t.Errorf("log does not record the retry click:\n%s", logs)
	}
}

// A retry click that cannot be queued is answered: nothing was retried.
func TestInteractionRetryQueueUnreachable(t *testing.T) {
	rep := &replies{ch: make(chan struct{}, 1)}
	h := newHarness(t, func(c *Config) { c.Replier = rep })
	h.bot.err = errors.New("enqueue: connection refused")
	body := payload(t, func(p map[string]any) { action(p)["action_id"] = "retry" })
	if resp, _ := h.post(t, "/slack/interactions", body, slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	select {
	case <-rep.ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the clicker was not told")
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.got) != 1 || !strings.Contains(rep.got[0], "Nothing was retried") {
		t.Errorf("replies %q", rep.got)
	}
}

// Several addresses make one request for all of them.
func TestSlashCommandSeveralMailboxes(t *testing.T) {
	h := newHarness(t)
	resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"text": "alice@contoso.com, bob@contoso.com carol@contoso.com keep-license"}), slackSigned)
	if got := ephemeral(t, resp, body); !strings.HasPrefix(got, "Checking ") {
		t.Errorf("answer %q", got)
	}
	cmds, _ := h.bot.calls()
	if len(cmds) != 1 || !slices.Equal(cmds[0].Mailboxes, []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}) || !cmds[0].Op.Options.KeepLicenses {
		t.Fatalf("commands %+v", cmds)
	}
}
