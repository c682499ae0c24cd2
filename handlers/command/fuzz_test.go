package command_test

// FuzzSlashText fuzzes the text of the slash commands through both
// parsers and through the real HTTP handler of handlers, which answers
// with them. Run it for a while with
//
//	go test ./handlers/command -run '^$' -fuzz '^FuzzSlashText$' -fuzztime 5m
//
// Inputs that once failed are kept under testdata/fuzz and run with the
// ordinary tests.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/command"
)

const testSecret = "test-signing-secret"

var testNow = time.Unix(1763719300, 0) // a minute after the sample's action

// acceptAll is a handlers.Bot that takes every command and click.
type acceptAll struct{}

func (acceptAll) AcceptCommand(context.Context, bot.Command) error { return nil }
func (acceptAll) AcceptClick(context.Context, bot.Click) error     { return nil }

// slashServer is the Slack edge for our team and app, with the clock at
// testNow, for ServeHTTP without a network.
func slashServer() http.Handler {
	return handlers.New(handlers.Config{
		Verifier: &handlers.Verifier{Secret: testSecret, Now: func() time.Time { return testNow }},
		TeamID:   "T0001",
		AppID:    "A123456",
		Bot:      acceptAll{},
		Logger:   slog.New(slog.DiscardHandler),
		Now:      func() time.Time { return testNow },
	}).Handler()
}

// slashSample is the recorded slash command of the handlers' tests.
func slashSample(f *testing.F) string {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "slack-slash-command.form"))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

// signedPost is a request to path signed as Slack signs it.
func signedPost(path, body string) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts := strconv.FormatInt(testNow.Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", handlers.Sign(testSecret, ts, []byte(body)))
	return req
}

// checkParse holds a parser to its contract: a Parsed or a *UsageError
// with a problem to show, never both, never neither, never a panic.
func checkParse(t *testing.T, name, text string, p command.Parsed, err error) {
	t.Helper()
	if err == nil {
		if p.Verb == "" {
			t.Fatalf("%s(%q): no error and no verb: %+v", name, text, p)
		}
		return
	}
	var ue *command.UsageError
	if !errors.As(err, &ue) || !errors.Is(err, command.ErrUsage) {
		t.Fatalf("%s(%q): error %T %v, want a *UsageError", name, text, err, err)
	}
	if strings.TrimSpace(ue.Problem) == "" {
		t.Fatalf("%s(%q): a usage error without a problem to show", name, text)
	}
	if !reflect.DeepEqual(p, command.Parsed{}) {
		t.Fatalf("%s(%q): both an error (%v) and a result %+v", name, text, err, p)
	}
}

// FuzzSlashText: any text after either command is parsed to a request or
// a usage error, and the HTTP answer to it is a private message (for an
// empty text, since this server has no Slack client to open the form
// with, the message that says how to type the command instead).
func FuzzSlashText(f *testing.F) {
	for _, s := range []string{
		"", "help", "alice@contoso.com", "alice@contoso.com to shared keep-license",
		"bob@contoso.com to regular license ENTERPRISEPACK password",
		"a@contoso.com,b@contoso.com c@contoso.com at 2025-11-22 08:00 dry-run",
		"x@contoso.com members <@U123|rita>, y@contoso.com full-access z@contoso.com send-as z@contoso.com",
		"<mailto:a@contoso.com|a@contoso.com> at 2025-11-21T10:00:00Z",
		"status req_01JD3K7Q", "cancel REQ_K7Q3ZD2M", "list",
		`create "Sales Team" sales@contoso.com alice@contoso.com <@U0BOB>`,
		"create “Sales Team” sales@contoso.com",
		"grant sales@contoso.com team@contoso.com full-access no-automap each-member dry-run",
		"revoke sales@contoso.com <@U1> send-on-behalf", "members sales@contoso.com",
		"grant a@b c@d send-as\u00a0\u200b", "\x00\xff\xfe", strings.Repeat("a@b.c ", 300),
	} {
		f.Add(s)
	}
	h := slashServer()
	form := slashSample(f)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := command.ParseConvert(text, testNow)
		checkParse(t, "ParseConvert", text, p, err)
		p, err = command.ParseShared(text)
		checkParse(t, "ParseShared", text, p, err)

		for _, cmd := range []string{"/convert-mailbox", "/shared-mailbox"} {
			v, _ := url.ParseQuery(form)
			v.Set("command", cmd)
			v.Set("text", text)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, signedPost("/slack/commands", v.Encode()))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s %q: status %d, want 200", cmd, text, rec.Code)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %q: answer is not JSON: %v: %q", cmd, text, err, rec.Body.String())
			}
			if s, _ := m["text"].(string); m["response_type"] != "ephemeral" || strings.TrimSpace(s) == "" {
				t.Fatalf("%s %q: answer %q, want a private message with text", cmd, text, rec.Body.String())
			}
		}
	})
}
