package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

const (
	testAppToken = "xapp-1-A123456-test-app-token"
	testBotToken = "xoxb-test-bot-token"
	testTicket   = "ticket-secret-42"
)

// fakeSocketSlack is Slack's side of Socket Mode on a loopback server:
// apps.connections.open answers with the URL of its WebSocket endpoint,
// which says hello, sends the envelopes a test gives it and records the
// acknowledgements, in Slack's wire format.
type fakeSocketSlack struct {
	t   *testing.T
	srv *httptest.Server

	opens  atomic.Int32
	refuse atomic.Value // string: apps.connections.open answers {"ok":false,"error":…}

	mu    sync.Mutex
	hold  chan struct{} // apps.connections.open waits for it when set
	conn  *wsConn
	acks  []ack
	acked chan struct{} // closed and replaced on each ack

	conns chan *wsConn // each connection, once hello was sent
}

type wsConn struct {
	mu sync.Mutex
	c  *websocket.Conn
}

func (w *wsConn) send(t *testing.T, v any) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.c.WriteJSON(v); err != nil {
		t.Errorf("fake Slack: send: %v", err)
	}
}

// ack is an acknowledgement as it came over the WebSocket.
type ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
	raw        string
}

func newFakeSocketSlack(t *testing.T) *fakeSocketSlack {
	f := &fakeSocketSlack{t: t, acked: make(chan struct{}), conns: make(chan *wsConn, 10)}
	f.refuse.Store("")
	// The library sends Origin: https://api.slack.com, as to Slack.
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		f.opens.Add(1)
		if got := r.Header.Get("Authorization"); got != "Bearer "+testAppToken {
			t.Errorf("apps.connections.open: Authorization %q, want the app-level token", got)
		}
		f.mu.Lock()
		hold := f.hold
		f.mu.Unlock()
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if e := f.refuse.Load().(string); e != "" {
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": e})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + r.Host + "/link/?ticket=" + testTicket + "&app_id=A123456"})
	})
	mux.HandleFunc("GET /link/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ticket") != testTicket {
			t.Errorf("WebSocket dialled without the ticket: %s", r.URL)
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("fake Slack: upgrade: %v", err)
			return
		}
		defer c.Close()
		conn := &wsConn{c: c}
		conn.send(t, json.RawMessage(`{"type":"hello","num_connections":1,"debug_info":{"host":"applink-test","build_number":1,"approximate_connection_time":18060},"connection_info":{"app_id":"A123456"}}`))
		f.mu.Lock()
		f.conn = conn
		f.mu.Unlock()
		f.conns <- conn
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			var a ack
			if err := json.Unmarshal(b, &a); err != nil {
				t.Errorf("fake Slack: acknowledgement is not JSON: %v: %s", err, b)
				continue
			}
			a.raw = string(b)
			f.mu.Lock()
			f.acks = append(f.acks, a)
			close(f.acked)
			f.acked = make(chan struct{})
			f.mu.Unlock()
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client is a Socket Mode client pointed at the fake.
func (f *fakeSocketSlack) client() *socketmode.Client {
	return socketmode.New(slack.New(testBotToken, slack.OptionAppLevelToken(testAppToken), slack.OptionAPIURL(f.srv.URL+"/")))
}

// connection waits for the next connection to say hello.
func (f *fakeSocketSlack) connection(t *testing.T) *wsConn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the bot did not connect")
		return nil
	}
}

// send sends an envelope on the current connection.
func (f *fakeSocketSlack) send(t *testing.T, typ, id string, payload any, extra map[string]any) {
	t.Helper()
	env := map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": typ != "events_api"}
	for k, v := range extra {
		env[k] = v
	}
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	c.send(t, env)
}

func (f *fakeSocketSlack) acksFor(id string) []ack {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []ack
	for _, a := range f.acks {
		if a.EnvelopeID == id {
			out = append(out, a)
		}
	}
	return out
}

// waitAcks waits until n acknowledgements of envelope id came, and returns
// them.
func (f *fakeSocketSlack) waitAcks(t *testing.T, id string, n int) []ack {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		ch := f.acked
		f.mu.Unlock()
		if got := f.acksFor(id); len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("envelope %s: %d acknowledgements, want %d", id, len(f.acksFor(id)), n)
		}
	}
}

// memSeen is a Deduper in memory; with err set it fails.
type memSeen struct {
	mu   sync.Mutex
	ids  map[string]bool
	err  error
	asks int
}

func (m *memSeen) Seen(ctx context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asks++
	if m.err != nil {
		return false, m.err
	}
	if m.ids == nil {
		m.ids = map[string]bool{}
	}
	seen := m.ids[id]
	m.ids[id] = true
	return seen, nil
}

// eventRecorder stands in for Server.Event; before, when set, runs first.
type eventRecorder struct {
	mu     sync.Mutex
	events []slackevents.EventsAPIEvent
	before func(ev slackevents.EventsAPIEvent)
}

func (r *eventRecorder) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	if r.before != nil {
		r.before(ev)
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *eventRecorder) got() []slackevents.EventsAPIEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slackevents.EventsAPIEvent(nil), r.events...)
}

type socketHarness struct {
	fake   *fakeSocketSlack
	bot    *fakeBot
	seen   *memSeen
	events *eventRecorder
	log    *testlog.Buffer
	sock   *Socket
	srv    *Server
	cancel context.CancelFunc
	done   chan error
}

// newSocketHarness builds the real Server (as newHarness does) behind a
// Socket talking to the fake; start runs it.
func newSocketHarness(t *testing.T) *socketHarness {
	t.Helper()
	h := &socketHarness{fake: newFakeSocketSlack(t), bot: &fakeBot{}, seen: &memSeen{}, events: &eventRecorder{}, log: &testlog.Buffer{}}
	logger := slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.srv = New(testConfig(h.bot, logger))
	h.sock = NewSocket(SocketConfig{Client: h.fake.client(), Server: h.srv, Seen: h.seen, Logger: logger})
	if h.sock.events != eventHandler(h.srv) {
		t.Fatal("NewSocket does not hand events to Server.Event")
	}
	h.sock.events = h.events
	return h
}

func (h *socketHarness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.sock.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
		for _, secret := range []string{testAppToken, testBotToken, testTicket, "gIkuvaNzQIHg97ATvDxqgjtO"} {
			if strings.Contains(h.log.String(), secret) {
				t.Errorf("the log holds a secret %q:\n%s", secret, h.log)
			}
		}
	})
}

// connected starts the socket and waits until it is connected.
func (h *socketHarness) connected(t *testing.T) {
	t.Helper()
	h.start(t)
	h.fake.connection(t)
	waitReady(t, h.sock, func(err error) bool { return err == nil }, "connected")
}

func waitReady(t *testing.T, s *Socket, ok func(error) bool, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(s.Ready()) {
		if time.Now().After(deadline) {
			t.Fatalf("Ready() = %v, want %s", s.Ready(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slashPayload is the sample slash command as Socket Mode carries it: a
// JSON object of the form's fields, every value a string.
func slashPayload(t *testing.T, set map[string]string) map[string]string {
	t.Helper()
	v, err := url.ParseQuery(readTestdata(t, "slack-slash-command.form"))
	if err != nil {
		t.Fatal(err)
	}
	p := map[string]string{}
	for k := range v {
		p[k] = v.Get(k)
	}
	for k, val := range set {
		p[k] = val
	}
	return p
}

// ephemeralAck decodes a slash command's acknowledgement: its payload must
// be the private answer.
func ephemeralAck(t *testing.T, a ack) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.Payload, &m); err != nil {
		t.Fatalf("ack payload is not a JSON object: %v: %s", err, a.raw)
	}
	text, _ := m["text"].(string)
	if m["response_type"] != "ephemeral" || text == "" || len(m) != 2 {
		t.Fatalf("ack %s, want a payload {response_type: ephemeral, text}", a.raw)
	}
	return text
}

func TestSocketSlashCommand(t *testing.T) {
	h := newSocketHarness(t)
	h.connected(t)

	h.fake.send(t, "slash_commands", "env-cmd-1", slashPayload(t, nil), nil)
	acks := h.fake.waitAcks(t, "env-cmd-1", 1)
	if text := ephemeralAck(t, acks[0]); text != "Checking alice@contoso.com… I'll answer here in a moment." {
		t.Fatalf("answer %q", text)
	}
	cmds, clicks := h.bot.calls()
	if len(cmds) != 1 || len(clicks) != 0 {
		t.Fatalf("bot got commands %+v clicks %+v, want one command", cmds, clicks)
	}
	c := cmds[0]
	if c.Op.Mailbox != "alice@contoso.com" || c.User != "U2147483697" || c.TeamID != "T0001" ||
		c.Channel != "C2147483705" || c.ResponseURL != "https://hooks.slack.com/commands/1234/5678" ||
		c.TriggerID != "13345224609.738474920.8088930838d88f008e0" {
		t.Fatalf("command %+v", c)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(h.fake.acksFor("env-cmd-1")); n != 1 {
		t.Fatalf("%d acknowledgements, want 1", n)
	}
}

// The same checks as over HTTP: a command from another workspace is
// answered and refused.
func TestSocketSlashCommandOtherWorkspace(t *testing.T) {
	h := newSocketHarness(t)
	h.connected(t)
	h.fake.send(t, "slash_commands", "env-cmd-2", slashPayload(t, map[string]string{"team_id": "T0OTHER"}), nil)
	acks := h.fake.waitAcks(t, "env-cmd-2", 1)
	if text := ephemeralAck(t, acks[0]); text != words.WrongTenant() {
		t.Fatalf("answer %q, want %q", text, words.WrongTenant())
	}
	h.bot.assertNothing(t)
}

// A queue that does not answer: the command is still acknowledged within
// Slack's time, with the answer that says so.
func TestSocketSlashCommandQueueDown(t *testing.T) {
	h := newSocketHarness(t)
	h.bot.block = true
	h.srv.timeout = 200 * time.Millisecond
	h.connected(t)
	h.fake.send(t, "slash_commands", "env-cmd-3", slashPayload(t, nil), nil)
	acks := h.fake.waitAcks(t, "env-cmd-3", 1)
	if text := ephemeralAck(t, acks[0]); text != words.QueueDown() {
		t.Fatalf("answer %q, want %q", text, words.QueueDown())
	}
}

func TestSocketBlockActions(t *testing.T) {
	h := newSocketHarness(t)
	h.connected(t)
	h.fake.send(t, "interactive", "env-click-1", json.RawMessage(readTestdata(t, "slack-block-actions.json")), nil)
	acks := h.fake.waitAcks(t, "env-click-1", 1)
	if acks[0].Payload != nil {
		t.Fatalf("ack %s, want no payload", acks[0].raw)
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

// emptyFormSubmission is /convert-mailbox's form submitted empty, in the
// shape of shared/samples/slack-view-submission.json.
const emptyFormSubmission = `{"type":"view_submission",
 "team":{"id":"T0001","domain":"contoso"},
 "user":{"id":"U2147483697","username":"rita","name":"rita","team_id":"T0001"},
 "api_app_id":"A123456","token":"deprecated-verification-token","trigger_id":"12345.98765.abcd2358fdea",
 "view":{"id":"V0FORM","team_id":"T0001","type":"modal","callback_id":"convert_mailbox",
  "private_metadata":"{\"channel\":\"C2147483705\"}",
  "title":{"type":"plain_text","text":"Convert a mailbox"},
  "state":{"values":{}},"hash":"156663117.cd33ad1f"},
 "response_urls":[]}`

// A submitted form's answer (response_action) rides on the ack.
func TestSocketViewSubmissionAnswerOnAck(t *testing.T) {
	h := newSocketHarness(t)
	h.connected(t)
	// The form submitted with nothing picked and nothing typed.
	h.fake.send(t, "interactive", "env-form-1", json.RawMessage(emptyFormSubmission), nil)
	acks := h.fake.waitAcks(t, "env-form-1", 1)
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(acks[0].Payload, &answer); err != nil || answer.ResponseAction != "errors" || len(answer.Errors) == 0 {
		t.Fatalf("ack %s (%v), want a payload with response_action errors", acks[0].raw, err)
	}
	h.bot.assertNothing(t)
}

func TestCommandAnswer(t *testing.T) {
	if got := commandAnswer(""); got != nil {
		t.Fatalf("commandAnswer(\"\") = %#v, want nil (a plain ack)", got)
	}
	b, err := json.Marshal(commandAnswer("Checking <x>"))
	if err != nil || string(b) != `{"response_type":"ephemeral","text":"Checking \u003cx\u003e"}` {
		t.Fatalf("commandAnswer = %s, %v", b, err)
	}
}

const appHomeOpened = `{"token":"deprecated-verification-token","team_id":"T0001","api_app_id":"A123456",
 "event":{"type":"app_home_opened","user":"U2147483697","channel":"D0HOME","tab":"home","event_ts":"1763719300.000100"},
 "type":"event_callback","event_id":"Ev0HOME1","event_time":1763719300,
 "authorizations":[{"enterprise_id":null,"team_id":"T0001","user_id":"U0BOT","is_bot":true,"is_enterprise_install":false}],
 "is_ext_shared_channel":false}`

func TestSocketEventsAPIAckedBeforeWork(t *testing.T) {
	h := newSocketHarness(t)
	ackedFirst := make(chan bool, 1)
	h.events.before = func(slackevents.EventsAPIEvent) {
		// The ack must reach Slack while the work has not finished.
		deadline := time.Now().Add(2 * time.Second)
		for len(h.fake.acksFor("env-home-1")) == 0 {
			if time.Now().After(deadline) {
				ackedFirst <- false
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		ackedFirst <- true
	}
	h.connected(t)
	h.fake.send(t, "events_api", "env-home-1", json.RawMessage(appHomeOpened), nil)
	acks := h.fake.waitAcks(t, "env-home-1", 1)
	if acks[0].Payload != nil {
		t.Fatalf("ack %s, want no payload", acks[0].raw)
	}
	select {
	case ok := <-ackedFirst:
		if !ok {
			t.Fatal("Server.Event ran before the envelope was acknowledged")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event did not reach Server.Event")
	}
	evs := h.events.got()
	for deadline := time.Now().Add(5 * time.Second); len(evs) == 0 && time.Now().Before(deadline); evs = h.events.got() {
		time.Sleep(5 * time.Millisecond)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	home, ok := evs[0].InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.User != "U2147483697" || home.Tab != "home" || evs[0].TeamID != "T0001" {
		t.Fatalf("event %+v (inner %#v), want app_home_opened by U2147483697", evs[0], evs[0].InnerEvent.Data)
	}
	h.bot.assertNothing(t)
}

// Slack's retry of an envelope, and one envelope delivered on two
// connections, are acknowledged and acted upon once.
func TestSocketDuplicateEnvelope(t *testing.T) {
	h := newSocketHarness(t)
	h.connected(t)
	p := slashPayload(t, nil)
	h.fake.send(t, "slash_commands", "env-dup", p, nil)
	h.fake.send(t, "slash_commands", "env-dup", p, map[string]any{"retry_attempt": 1, "retry_reason": "timeout"})
	h.fake.send(t, "interactive", "env-dup-click", json.RawMessage(readTestdata(t, "slack-block-actions.json")), nil)
	h.fake.send(t, "interactive", "env-dup-click", json.RawMessage(readTestdata(t, "slack-block-actions.json")), nil)
	h.fake.send(t, "events_api", "env-dup-home", json.RawMessage(appHomeOpened), nil)
	h.fake.send(t, "events_api", "env-dup-home", json.RawMessage(appHomeOpened), nil)

	acks := h.fake.waitAcks(t, "env-dup", 2)
	answered := 0
	for _, a := range acks {
		if a.Payload != nil {
			ephemeralAck(t, a)
			answered++
		}
	}
	if answered != 1 {
		t.Fatalf("acknowledgements %v, want one with the answer and one plain", acks)
	}
	h.fake.waitAcks(t, "env-dup-click", 2)
	h.fake.waitAcks(t, "env-dup-home", 2)
	// Server.Event runs after the ack: give it (and a wrongful second) time.
	for deadline := time.Now().Add(5 * time.Second); len(h.events.got()) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cmds, clicks := h.bot.calls()
	if len(cmds) != 1 || len(clicks) != 1 {
		t.Fatalf("bot got %d commands and %d clicks, want 1 and 1", len(cmds), len(clicks))
	}
	if n := len(h.events.got()); n != 1 {
		t.Fatalf("%d events reached Server.Event, want 1", n)
	}
	if !strings.Contains(h.log.String(), "duplicate socket mode envelope") {
		t.Fatalf("the duplicate was not logged:\n%s", h.log)
	}
}

// When the duplicate check fails the envelope is processed all the same.
func TestSocketDeduperDown(t *testing.T) {
	h := newSocketHarness(t)
	h.seen.err = errors.New("redis: connection refused")
	h.connected(t)
	h.fake.send(t, "slash_commands", "env-nodedupe", slashPayload(t, nil), nil)
	acks := h.fake.waitAcks(t, "env-nodedupe", 1)
	ephemeralAck(t, acks[0])
	if cmds, _ := h.bot.calls(); len(cmds) != 1 {
		t.Fatalf("bot got %d commands, want 1", len(cmds))
	}
	if !strings.Contains(h.log.String(), "could not tell whether the envelope is a duplicate") {
		t.Fatalf("the failed check was not logged:\n%s", h.log)
	}
}

func TestSocketReady(t *testing.T) {
	h := newSocketHarness(t)
	if err := h.sock.Ready(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Ready() before Run = %v, want ErrNotConnected", err)
	}
	// The first connection is held until the test lets it through.
	hold := make(chan struct{})
	h.fake.mu.Lock()
	h.fake.hold = hold
	h.fake.mu.Unlock()
	h.start(t)
	waitReady(t, h.sock, func(err error) bool {
		return errors.Is(err, ErrNotConnected) && strings.Contains(err.Error(), "connecting (attempt 1)")
	}, "connecting")
	close(hold)
	h.fake.mu.Lock()
	h.fake.hold = nil
	h.fake.mu.Unlock()
	h.fake.connection(t)
	waitReady(t, h.sock, func(err error) bool { return err == nil }, "connected")

	// Slack asks the bot to reconnect: it does, on its own.
	hold = make(chan struct{})
	h.fake.mu.Lock()
	h.fake.hold = hold
	h.fake.mu.Unlock()
	h.fake.send(t, "disconnect", "", nil, map[string]any{"reason": "refresh_requested"})
	waitReady(t, h.sock, func(err error) bool {
		return errors.Is(err, ErrNotConnected) && strings.Contains(err.Error(), "connection lost, reconnecting")
	}, "reconnecting")
	close(hold)
	h.fake.mu.Lock()
	h.fake.hold = nil
	h.fake.mu.Unlock()
	h.fake.connection(t)
	waitReady(t, h.sock, func(err error) bool { return err == nil }, "connected again")

	// The connection dies and Slack refuses new ones for a while: Ready
	// says so, until the library's own retries get through.
	h.fake.refuse.Store("internal_error")
	h.fake.mu.Lock()
	h.fake.conn.c.Close()
	h.fake.mu.Unlock()
	waitReady(t, h.sock, func(err error) bool {
		return errors.Is(err, ErrNotConnected) && strings.Contains(err.Error(), "connection failed") && strings.Contains(err.Error(), "internal_error")
	}, "connection failed: internal_error")
	h.fake.refuse.Store("")
	h.fake.connection(t)
	waitReady(t, h.sock, func(err error) bool { return err == nil }, "connected after the failures")

	// Envelopes flow over the new connection.
	h.fake.send(t, "slash_commands", "env-after", slashPayload(t, nil), nil)
	ephemeralAck(t, h.fake.waitAcks(t, "env-after", 1)[0])
	if !strings.Contains(h.log.String(), "socket mode connection failed") {
		t.Fatalf("the failure was not logged:\n%s", h.log)
	}

	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Run = %v after its context ended, want nil", err)
		}
		h.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if err := h.sock.Ready(); !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("Ready() after Run = %v, want ErrNotConnected, stopped", err)
	}
}

// A refused app-level token ends Run with the error.
func TestSocketInvalidAuth(t *testing.T) {
	h := newSocketHarness(t)
	h.fake.refuse.Store("invalid_auth")
	h.start(t)
	select {
	case err := <-h.done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Fatalf("Run = %v, want invalid_auth", err)
		}
		h.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return on invalid_auth")
	}
	if err := h.sock.Ready(); !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Ready() = %v, want ErrNotConnected with invalid_auth", err)
	}
}

func TestRedact(t *testing.T) {
	err := errors.New(`dial "wss://wss-primary.slack.com/link/?ticket=abc-123&app_id=A1": refused; token xapp-1-A1-2-abcdef and xoxb-1-2-xyz`)
	got := redact(err)
	for _, secret := range []string{"abc-123", "xapp-1-A1-2-abcdef", "xoxb-1-2-xyz"} {
		if strings.Contains(got, secret) {
			t.Fatalf("redact kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "wss://wss-primary.slack.com/link/") {
		t.Fatalf("redact lost the host: %s", got)
	}
}
