package notify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"sync"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

// seen records, per Web API method, the top-level fields of the last
// answer slack-go was given.
type seen struct {
	next http.RoundTripper
	mu   sync.Mutex
	keys map[string]map[string]bool
}

func (s *seen) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(body, &obj)
	keys := map[string]bool{}
	for k := range obj {
		keys[k] = true
	}
	s.mu.Lock()
	s.keys[path.Base(req.URL.Path)] = keys
	s.mu.Unlock()
	return resp, nil
}

func (s *seen) fields(method string) map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[method]
}

// TestDropEchoes: slack-go gets Slack's answers without the copy of what
// was sent, and still returns the channel, the ts and Slack's errors.
func TestDropEchoes(t *testing.T) {
	s := slacktest.New(slacktest.Options{BotToken: token})
	defer s.Close()
	s.AddUser(requester, "rita", "rita@contoso.com")
	s.AddChannel("C0AUDIT", "audit")
	rec := &seen{next: notify.DropEchoes(nil), keys: map[string]map[string]bool{}}
	api := slack.New(token, slack.OptionAPIURL(s.URL()), slack.OptionHTTPClient(&http.Client{Transport: rec}))
	ctx := t.Context()
	blocks := func(text string) slack.MsgOption {
		return slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+text+"*", false, false), nil, nil))
	}

	ch, ts, err := api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("hello", false), blocks("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := s.Message("C0AUDIT", ts); ch != "C0AUDIT" || !ok || m.Text != "hello" {
		t.Errorf("posted to %q at %q: %+v, %v", ch, ts, m, ok)
	}
	if f := rec.fields("chat.postMessage"); f["message"] || !f["ok"] || !f["channel"] || !f["ts"] {
		t.Errorf("chat.postMessage answer has fields %v; want ok, channel, ts and no message", f)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C0AUDIT", ts, slack.MsgOptionText("bye", false), blocks("bye")); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message("C0AUDIT", ts); m.Text != "bye" {
		t.Errorf("after the update the message reads %q", m.Text)
	}
	if f := rec.fields("chat.update"); f["message"] || !f["ok"] || !f["ts"] {
		t.Errorf("chat.update answer has fields %v; want ok, ts and no message", f)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: requester, View: home}); err != nil {
		t.Fatal(err)
	}
	if f := rec.fields("views.publish"); f["view"] || !f["ok"] {
		t.Errorf("views.publish answer has fields %v; want ok and no view", f)
	}

	// Errors are Slack's own.
	_, _, err = api.PostMessageContext(ctx, "DNOBODY", slack.MsgOptionText("hello", false))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "channel_not_found" {
		t.Errorf("post to an unknown channel: %v, want channel_not_found", err)
	}
	s.RateLimitNext("chat.postMessage", 1, 7)
	_, _, err = api.PostMessageContext(ctx, "C0AUDIT", slack.MsgOptionText("hello", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 7 {
		t.Errorf("rate limited post: %v, want Retry-After 7s", err)
	}
	// Other methods are untouched.
	if _, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{requester}}); err != nil {
		t.Fatal(err)
	}
	if f := rec.fields("conversations.open"); !f["channel"] {
		t.Errorf("conversations.open answer has fields %v; want its channel", f)
	}
}

type canned []byte

func (c canned) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body: io.NopCloser(bytes.NewReader(c)), ContentLength: int64(len(c))}, nil
}

// BenchmarkPostApproval: slack-go posting an approval request, Slack's
// answer (the whole message repeated, as Slack sends it) taken as it comes
// or without the echo.
func BenchmarkPostApproval(b *testing.B) {
	blocks := notify.ApprovalBlocks(requestOf(regularPlan()), t0)
	answer, err := json.Marshal(map[string]any{"ok": true, "channel": "D0MARIA", "ts": "1763719200.000100",
		"message": map[string]any{"type": "message", "user": "U0BOT", "bot_id": "B0BOT", "ts": "1763719200.000100", "text": "approve?", "blocks": blocks}})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		rt   http.RoundTripper
	}{{"as-sent", canned(answer)}, {"echo-dropped", notify.DropEchoes(canned(answer))}} {
		b.Run(c.name, func(b *testing.B) {
			api := slack.New(token, slack.OptionAPIURL("http://slack.invalid/api/"), slack.OptionHTTPClient(&http.Client{Transport: c.rt}))
			b.ReportAllocs()
			for b.Loop() {
				if _, ts, err := api.PostMessageContext(b.Context(), "D0MARIA", slack.MsgOptionText("approve?", false), slack.MsgOptionBlocks(blocks...)); err != nil || ts == "" {
					b.Fatal(ts, err)
				}
			}
		})
	}
}
