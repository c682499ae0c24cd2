package handlers

// Fuzz targets for what Slack (or anyone who can reach the bot) controls:
// the interaction payload and the signature headers (the slash command
// text: FuzzSlashText in handlers/command). Run one for a while with, for
// example,
//
//	go test ./handlers -run '^$' -fuzz '^FuzzInteractionPayload$' -fuzztime 5m
//
// Inputs that once failed are kept under testdata/fuzz and run with the
// ordinary tests.

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
)

// fuzzServer is a Server with a fake bot, for ServeHTTP without a network.
func fuzzServer() (http.Handler, *fakeBot) {
	fb := &fakeBot{}
	s := New(testConfig(fb, slog.New(slog.DiscardHandler)))
	return s.Handler(), fb
}

// signedPost is a request to path signed as Slack signs it.
func signedPost(path, body string) *http.Request {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	slackSigned.sign(req, body)
	return req
}

func fuzzSeed(f *testing.F, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

// FuzzInteractionPayload: any payload, correctly signed, is answered 200
// without a panic; a click reaches the bot only with the signed user, our
// team, a known action and a bounded request id; a form's answer is JSON.
func FuzzInteractionPayload(f *testing.F) {
	f.Add(fuzzSeed(f, "slack-block-actions.json"))
	f.Add(fuzzSeed(f, "slack-view-submission.json"))
	f.Add(`{"type":"block_actions","team":{"id":"T0001"},"api_app_id":"A123456","user":{"id":"U1"},"actions":[{"action_id":"approve","value":""}]}`)
	f.Add(`{"type":"block_actions","team":{"id":"T0001"},"user":{"id":"U1"},"actions":[{"action_id":"retry","value":"req_1"},{"action_id":"approve","value":"req_2"}]}`)
	f.Add(`{"type":"view_submission","team":{"id":"T0001"},"user":{"id":"U1"},"view":{"callback_id":"convert","state":{"values":{"x":{"y":{"type":"plain_text_input","value":"\u0000"}}}}}}`)
	f.Add(`{"type":"view_submission","view":null}`)
	f.Add(`[]`)
	f.Add(`{"type":"block_actions","actions":[null]}`)
	f.Add(`{"type":"block_actions","team":{"id":"T0001"},"user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"approve","value":"R1"}],"actions":null,"actions":[{"block_id":"b","action_id":"reject","value":"R2"}]}`)
	h, fb := fuzzServer()
	known := map[string]bool{ActionApprove: true, ActionReject: true, ActionRetry: true}
	f.Fuzz(func(t *testing.T, payload string) {
		checkParseInteraction(t, []byte(payload))
		fb.mu.Lock()
		fb.clicks, fb.commands = nil, nil
		fb.mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedPost("/slack/interactions", url.Values{"payload": {payload}}.Encode()))
		if rec.Code != http.StatusOK {
			t.Fatalf("payload %q: status %d, want 200", payload, rec.Code)
		}
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) {
			t.Fatalf("payload %q: answer is not JSON: %q", payload, b)
		}
		cmds, clicks := fb.calls()
		for _, c := range clicks {
			if c.User == "" || c.RequestID == "" || len(c.RequestID) > maxRequestID || !known[c.Action] || c.TeamID != "T0001" {
				t.Fatalf("payload %q: click %+v reached the bot", payload, c)
			}
			if c.Approve != (c.Action == bot.ActionApprove) {
				t.Fatalf("payload %q: click %+v: Approve does not follow the action", payload, c)
			}
		}
		for _, c := range cmds {
			if c.User == "" || c.TeamID != "T0001" {
				t.Fatalf("payload %q: command %+v reached the bot", payload, c)
			}
		}
	})
}

// checkParseInteraction holds parseInteraction to slack-go's parse:
// wherever slack-go decodes a payload, parseInteraction decodes it too,
// with the same type, and for block_actions the same fields that
// Interaction reads.
func checkParseInteraction(t *testing.T, payload []byte) {
	t.Helper()
	var full slack.InteractionCallback
	if json.Unmarshal(payload, &full) != nil {
		return
	}
	light, err := parseInteraction(payload)
	if err != nil {
		t.Fatalf("payload %q: slack-go decodes it, parseInteraction says %v", payload, err)
	}
	if light.Type != full.Type {
		t.Fatalf("payload %q: type %q, slack-go's %q", payload, light.Type, full.Type)
	}
	if full.Type != slack.InteractionTypeBlockActions {
		return
	}
	if got, want := clickFields(light), clickFields(full); got != want {
		t.Fatalf("payload %q:\n parseInteraction %s\n slack-go         %s", payload, got, want)
	}
}

// clickFields is what Interaction reads of a block_actions payload.
func clickFields(ic slack.InteractionCallback) string {
	type action struct{ BlockID, ActionID, Value, ActionTs string }
	var acts []action
	for _, a := range ic.ActionCallback.BlockActions {
		acts = append(acts, action{a.BlockID, a.ActionID, a.Value, a.ActionTs})
	}
	b, _ := json.Marshal([]any{ic.Type, ic.Team.ID, ic.APIAppID, ic.User.ID, ic.Channel.ID, ic.Container.ChannelID,
		ic.Container.MessageTs, ic.Message.Timestamp, ic.ResponseURL, ic.ActionTs, acts})
	return string(b)
}

// TestParseInteractionRecorded: the recorded payloads decode as slack-go
// decodes them, and the click's fields are not empty (a parse that read
// nothing would pass the comparison with a payload that has nothing).
func TestParseInteractionRecorded(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("testdata", "slack-block-actions.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkParseInteraction(t, payload)
	ic, _ := parseInteraction(payload)
	a := ic.ActionCallback.BlockActions
	if len(a) == 0 || a[0].ActionID == "" || a[0].Value == "" || ic.User.ID == "" || ic.Team.ID == "" ||
		ic.Container.ChannelID == "" || ic.Container.MessageTs == "" || ic.ResponseURL == "" || ic.APIAppID == "" {
		t.Fatalf("recorded click decoded to %s", clickFields(ic))
	}
	view, err := os.ReadFile(filepath.Join("testdata", "slack-view-submission.json"))
	if err != nil {
		t.Fatal(err)
	}
	checkParseInteraction(t, view)
	if ic, _ := parseInteraction(view); ic.View.CallbackID == "" || len(ic.View.State.Values) == 0 {
		t.Fatalf("recorded form submission lost its view: %+v", ic.View)
	}
}

// BenchmarkParseInteraction compares slack-go's parse of a recorded click
// (the baseline) with parseInteraction's.
func BenchmarkParseInteraction(b *testing.B) {
	payload, err := os.ReadFile(filepath.Join("testdata", "slack-block-actions.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("slack-go", func(b *testing.B) {
		for b.Loop() {
			var ic slack.InteractionCallback
			if err := json.Unmarshal(payload, &ic); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parseInteraction", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseInteraction(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzSignature: Check accepts exactly the requests signed with the secret
// over this timestamp and body, with the timestamp within MaxSkew.
func FuzzSignature(f *testing.F) {
	now := testNow.Unix()
	f.Add(strconv.FormatInt(now, 10), []byte("token=x&text=hi"), "", false)
	f.Add(strconv.FormatInt(now-300, 10), []byte("payload=%7B%7D"), "", false)
	f.Add(strconv.FormatInt(now+301, 10), []byte(""), "", false)
	f.Add("0x10", []byte("a"), "v0=00", true)
	f.Add(" 1763719300", []byte("a"), "V0=", true)
	f.Add("+1763719300", []byte{0, 1, 2}, "v1=abc", true)
	v := &Verifier{Secret: testSecret, Now: func() time.Time { return testNow }}
	f.Fuzz(func(t *testing.T, ts string, body []byte, sig string, forged bool) {
		good := Sign(testSecret, ts, body)
		if !forged {
			sig = good
		}
		err := v.Check(sig, ts, body)
		sec, perr := strconv.ParseInt(ts, 10, 64)
		fresh := perr == nil && sec >= now-int64(MaxSkew/time.Second) && sec <= now+int64(MaxSkew/time.Second)
		want := fresh && sig == good
		if (err == nil) != want {
			t.Fatalf("Check(%q, %q, %q) = %v; fresh %v, signature right %v", sig, ts, body, err, fresh, sig == good)
		}
		if err != nil && !errors.Is(err, ErrNoSignature) && !errors.Is(err, ErrStale) && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("Check(%q, %q, %q): unexpected error %v", sig, ts, body, err)
		}
		if err == nil && Sign("another-secret", ts, body) == sig {
			t.Fatalf("a signature with another secret passed")
		}
	})
}
