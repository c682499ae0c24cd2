// Package slacktest is a fake Slack for tests, the demo and end-to-end runs.
// It serves the part of Slack's Web API the bot uses (auth.test,
// users.lookupByEmail, users.info, usergroups.users.list, conversations.open,
// conversations.info, chat.postMessage, chat.update, chat.postEphemeral,
// views.publish, views.open, views.update) on an httptest server, answering in
// Slack's own wire format, so that the real slack-go client talks to it
// (slack.OptionAPIURL(s.URL())). It receives response_url posts, keeps a
// transcript of every message, and drives a bot the way Slack does: signed
// slash commands (SlashCommand), button clicks (Click) and form
// submissions (SubmitView). A trigger_id it issues opens one view, within
// 3 seconds (Options.Now).
//
// It is a fake, not a simulator: channels other than direct messages are
// not checked for existence, membership is not modelled, and a
// response_url post is always recorded as an ephemeral message (replacing
// or deleting the original is not modelled).
package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a fake Slack.
type Options struct {
	// BotToken is the token calls must carry (form field "token" or header
	// "Authorization: Bearer xoxb-…"); "" accepts any token. A leading
	// "Bearer " is ignored.
	BotToken string
	// TeamID of the workspace; default "T0001".
	TeamID string
	// AppID of the bot's app; default "A123456".
	AppID string
	// BotUserID of the bot; default "U0BOT".
	BotUserID string
	// CommandChannel is where SlashCommand says the command was typed;
	// default "C0HELPDESK" (named "it-helpdesk").
	CommandChannel string
	// HTTPClient sends SlashCommand and Click to the bot; default
	// http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock (message timestamps, request signatures); default
	// time.Now.
	Now func() time.Time
}

// User is a member of the fake workspace. Email "" is a member whose
// profile has no e-mail address (as Slack shows a bot, or any user to an
// app without users:read.email); Deleted is a deactivated account; IsBot
// a bot user.
type User struct {
	ID, Name, Email string
	Deleted, IsBot  bool
}

// Entry is one line of the transcript: a message posted, updated or sent
// ephemerally.
type Entry struct {
	Seq     int    // 1, 2, ... in the order things happened
	Kind    string // "message", "update" or "ephemeral"
	Channel string // "" for an ephemeral message received through a response_url
	User    string // the audience: owner of a direct message, or ephemeral recipient
	TS      string
	Text    string          // readable plain text (Render of Blocks; else the text)
	Blocks  json.RawMessage // as sent; nil when none
	// RawText is the message's "text" field as sent (the fallback).
	RawText string
}

// Entry kinds.
const (
	KindMessage   = "message"
	KindUpdate    = "update"
	KindEphemeral = "ephemeral"
)

type message struct {
	channel, ts, text string
	blocks            json.RawMessage
}

type rateLimit struct{ n, after int }

// Server is a fake Slack. Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	srv    *httptest.Server
	client *http.Client

	mu         sync.Mutex
	users      map[string]User     // by id
	groups     map[string][]string // user groups' members, by group id
	messages   map[string]*message
	transcript []Entry
	rendered   int // transcript[:rendered] have their Text
	tsSeq      int
	eventSeq   int           // trigger ids and action timestamps
	changed    chan struct{} // closed and replaced on every new entry
	limits     map[string]*rateLimit
	views      *views              // modals, made on first use (views.go)
	homes      map[string]HomeView // App Home views, by user (home.go)
	calls      map[string]int
	scopes     []string          // the bot token's scopes (SetScopes)
	channels   map[string]string // channels conversations.info knows, name by id
}

// New starts a fake Slack. Close it when done.
func New(opts Options) *Server {
	if opts.TeamID == "" {
		opts.TeamID = "T0001"
	}
	if opts.AppID == "" {
		opts.AppID = "A123456"
	}
	if opts.BotUserID == "" {
		opts.BotUserID = "U0BOT"
	}
	if opts.CommandChannel == "" {
		opts.CommandChannel = "C0HELPDESK"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.BotToken = strings.TrimPrefix(opts.BotToken, "Bearer ")
	s := &Server{
		opts:     opts,
		users:    map[string]User{},
		groups:   map[string][]string{},
		messages: map[string]*message{},
		changed:  make(chan struct{}),
		limits:   map[string]*rateLimit{},
		calls:    map[string]int{},
		channels: map[string]string{},
		client:   opts.HTTPClient,
	}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("GET /api/{method}", s.api)
	mux.HandleFunc("POST /response/{user}", s.responseURL)
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the Web API base, ending in "/api/": slack.OptionAPIURL(s.URL()).
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddUser adds a member to the workspace.
func (s *Server) AddUser(id, name, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = User{ID: id, Name: name, Email: email}
}

// PutUser adds a member to the workspace, or replaces the one with u.ID.
func (s *Server) PutUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// AddUserGroup adds a user group (id "S…") with these members, or replaces
// the members of the group with that id. Members need not be users of the
// workspace: Slack lists whatever ids the group holds.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = slices.Clone(members)
}

// SetScopes sets the bot token's scopes, which every authenticated Web API
// answer then lists in its X-OAuth-Scopes header, as Slack does; with none
// (the default) the header is not sent.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// AddChannel adds a channel that conversations.info finds (direct messages
// with a member are found without it). Membership is not modelled.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// ResponseURL returns a URL on this server where response_url posts for
// user are received and recorded as ephemeral messages to that user.
func (s *Server) ResponseURL(user string) string {
	return s.srv.URL + "/response/" + url.PathEscape(user)
}

// RateLimitNext makes the next n calls of method (e.g. "chat.postMessage")
// fail with HTTP 429 and Retry-After: retryAfterSeconds.
func (s *Server) RateLimitNext(method string, n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits[method] = &rateLimit{n: n, after: retryAfterSeconds}
}

// Calls returns how many times method was called, rate-limited calls
// included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Transcript returns every entry so far, in order.
func (s *Server) Transcript() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries())
}

// Messages returns the messages of channel as they stand now (the latest
// version of each), in the order they were first posted. Ephemeral
// messages are not included.
func (s *Server) Messages(channel string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	seen := map[string]int{}
	for _, e := range s.entries() {
		if e.Channel != channel || e.Kind == KindEphemeral {
			continue
		}
		if i, ok := seen[e.TS]; ok {
			out[i] = e
			continue
		}
		seen[e.TS] = len(out)
		out = append(out, e)
	}
	return out
}

// Ephemerals returns the ephemeral messages user received, in order.
func (s *Server) Ephemerals(user string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.entries() {
		if e.Kind == KindEphemeral && e.User == user {
			out = append(out, e)
		}
	}
	return out
}

// Message returns the latest version of the message at channel/ts.
func (s *Server) Message(channel, ts string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.entries()
	for i := len(t) - 1; i >= 0; i-- {
		if e := t[i]; e.Channel == channel && e.TS == ts && e.Kind != KindEphemeral {
			return e, true
		}
	}
	return Entry{}, false
}

// WaitFor blocks until cond holds for the transcript, checking it now and
// after every new entry, or until ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func([]Entry) bool) error {
	for {
		s.mu.Lock()
		t, ch := slices.Clone(s.entries()), s.changed
		s.mu.Unlock()
		if cond(t) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slacktest: waiting for the transcript (%d entries): %w", len(t), context.Cause(ctx))
		case <-ch:
		}
	}
}

// WaitForEntry waits until an entry matches and returns the first that does.
func (s *Server) WaitForEntry(ctx context.Context, match func(Entry) bool) (Entry, error) {
	var found Entry
	err := s.WaitFor(ctx, func(es []Entry) bool {
		for _, e := range es {
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// record appends an entry; s.mu must be held. Its Text is rendered when
// the transcript is first read, so that a bot under load is not answered
// slower for the sake of a reader that may never come.
func (s *Server) record(e Entry) {
	e.Seq = len(s.transcript) + 1
	if len(e.Blocks) == 0 || string(e.Blocks) == "null" {
		e.Blocks = nil
	}
	s.transcript = append(s.transcript, e)
	close(s.changed)
	s.changed = make(chan struct{})
}

// entries returns the transcript with every entry's Text rendered; s.mu
// must be held.
func (s *Server) entries() []Entry {
	for ; s.rendered < len(s.transcript); s.rendered++ {
		e := &s.transcript[s.rendered]
		if e.Blocks != nil {
			e.Text = Render(e.Blocks)
		}
		if e.Text == "" {
			e.Text = plainText(e.RawText)
		}
	}
	return s.transcript
}

// nextTS returns a new message timestamp, "seconds.micros", increasing.
// s.mu must be held.
func (s *Server) nextTS() string {
	s.tsSeq++
	sec := s.opts.Now().Unix()
	micro := int64(s.tsSeq) * 100
	sec += micro / 1e6
	return fmt.Sprintf("%d.%06d", sec, micro%1e6)
}

// audience is the user a channel's messages go to: the owner of a direct
// message channel "D"+user, else "".
func (s *Server) audience(channel string) string {
	if u, ok := strings.CutPrefix(channel, "D"); ok {
		if _, known := s.users[u]; known {
			return u
		}
	}
	return ""
}

func (s *Server) botID() string { return "B" + strings.TrimPrefix(s.opts.BotUserID, "U") }

// params reads a Web API call's arguments, form-encoded or JSON, as
// strings (JSON arrays and objects keep their JSON text).
type params map[string]string

func readParams(r *http.Request) (params, string, error) {
	p := params{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]json.RawMessage
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", err
		}
		if len(body) > 0 { // Slack takes an empty body (apps.connections.open)
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, "", err
			}
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p[k] = str
			} else {
				p[k] = string(v)
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, "", err
		}
		for k, v := range r.Form {
			p[k] = v[0]
		}
	}
	if token == "" {
		token = p["token"]
	}
	return p, token, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func slackError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func ok(w http.ResponseWriter, fields map[string]any) {
	out := map[string]any{"ok": true}
	maps.Copy(out, fields)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	s.mu.Lock()
	s.calls[method]++
	if l := s.limits[method]; l != nil && l.n > 0 {
		l.n--
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(l.after))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	s.mu.Unlock()

	p, token, err := readParams(r)
	if err != nil {
		slackError(w, "invalid_form_data")
		return
	}
	switch {
	case token == "":
		slackError(w, "not_authed")
		return
	case s.opts.BotToken != "" && token != s.opts.BotToken:
		slackError(w, "invalid_auth")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.scopes) > 0 {
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
	}
	switch method {
	case "auth.test":
		ok(w, map[string]any{
			"url": "https://contoso.slack.com/", "team": "contoso", "user": "mailboxbot",
			"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.botID(),
			"is_enterprise_install": false,
		})
	case "users.lookupByEmail":
		for _, u := range s.users {
			if p["email"] != "" && strings.EqualFold(u.Email, p["email"]) {
				ok(w, map[string]any{"user": s.userJSON(u)})
				return
			}
		}
		slackError(w, "users_not_found")
	case "users.info":
		u, found := s.users[p["user"]]
		if !found {
			slackError(w, "user_not_found")
			return
		}
		ok(w, map[string]any{"user": s.userJSON(u)})
	case "usergroups.users.list":
		members, found := s.groups[p["usergroup"]]
		if !found {
			slackError(w, "no_such_subteam")
			return
		}
		if members == nil {
			members = []string{}
		}
		ok(w, map[string]any{"users": members})
	case "conversations.open":
		s.conversationsOpen(w, p)
	case "conversations.info":
		ch := p["channel"]
		if name, found := s.channels[ch]; found {
			ok(w, map[string]any{"channel": map[string]any{"id": ch, "name": name, "is_channel": true}})
		} else if u := s.audience(ch); u != "" {
			ok(w, map[string]any{"channel": map[string]any{"id": ch, "is_im": true, "user": u}})
		} else {
			slackError(w, "channel_not_found")
		}
	case "chat.postMessage":
		s.postMessage(w, p)
	case "chat.update":
		s.update(w, p)
	case "chat.postEphemeral":
		s.postEphemeral(w, p)
	case "views.open":
		s.viewsOpen(w, p)
	case "views.update":
		s.viewsUpdate(w, p)
	case "views.publish":
		s.viewsPublish(w, p)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method", "req_method": method})
	}
}

// userJSON is a user object as users.info and users.lookupByEmail return
// it; the profile has no "email" field when the user has none.
func (s *Server) userJSON(u User) map[string]any {
	profile := map[string]any{"real_name": u.Name, "display_name": u.Name}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	return map[string]any{
		"id": u.ID, "team_id": s.opts.TeamID, "name": u.Name, "real_name": u.Name,
		"deleted": u.Deleted, "is_bot": u.IsBot, "tz": "Europe/Amsterdam",
		"profile": profile,
	}
}

func (s *Server) conversationsOpen(w http.ResponseWriter, p params) {
	if ch := p["channel"]; ch != "" {
		ok(w, map[string]any{"channel": map[string]any{"id": ch}})
		return
	}
	users := strings.Split(p["users"], ",")
	if len(users) != 1 || users[0] == "" {
		// Group DMs are not modelled.
		slackError(w, "not_enough_users")
		return
	}
	u := users[0]
	if _, found := s.users[u]; !found {
		slackError(w, "user_not_found")
		return
	}
	ok(w, map[string]any{"channel": map[string]any{"id": "D" + u, "is_im": true, "user": u}})
}

func (s *Server) messageJSON(m *message) map[string]any {
	out := map[string]any{
		"type": "message", "user": s.opts.BotUserID, "bot_id": s.botID(), "app_id": s.opts.AppID,
		"text": m.text, "ts": m.ts, "team": s.opts.TeamID,
	}
	if len(m.blocks) > 0 {
		out["blocks"] = m.blocks
	}
	return out
}

func blocksParam(p params) (json.RawMessage, bool, error) {
	b, ok := p["blocks"]
	if !ok {
		return nil, false, nil
	}
	if !json.Valid([]byte(b)) {
		return nil, true, fmt.Errorf("invalid blocks")
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(b), &arr); err != nil {
		return nil, true, err
	}
	return json.RawMessage(b), true, nil
}

func (s *Server) postMessage(w http.ResponseWriter, p params) {
	ch := p["channel"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	if strings.HasPrefix(ch, "D") && s.audience(ch) == "" {
		slackError(w, "channel_not_found")
		return
	}
	blocks, _, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if p["text"] == "" && len(blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	m := &message{channel: ch, ts: s.nextTS(), text: p["text"], blocks: blocks}
	s.messages[ch+"/"+m.ts] = m
	s.record(Entry{Kind: KindMessage, Channel: ch, User: s.audience(ch), TS: m.ts, RawText: m.text, Blocks: m.blocks})
	ok(w, map[string]any{"channel": ch, "ts": m.ts, "message": s.messageJSON(m)})
}

func (s *Server) update(w http.ResponseWriter, p params) {
	ch, ts := p["channel"], p["ts"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	m, found := s.messages[ch+"/"+ts]
	if !found {
		slackError(w, "message_not_found")
		return
	}
	blocks, has, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if has {
		m.blocks = blocks
	}
	if t, has := p["text"]; has {
		m.text = t
	}
	if m.text == "" && len(m.blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	s.record(Entry{Kind: KindUpdate, Channel: ch, User: s.audience(ch), TS: m.ts, RawText: m.text, Blocks: m.blocks})
	ok(w, map[string]any{"channel": ch, "ts": m.ts, "text": m.text, "message": s.messageJSON(m)})
}

func (s *Server) postEphemeral(w http.ResponseWriter, p params) {
	ch, u := p["channel"], p["user"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	if _, found := s.users[u]; !found {
		slackError(w, "user_not_found")
		return
	}
	blocks, _, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if p["text"] == "" && len(blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	ts := s.nextTS()
	s.record(Entry{Kind: KindEphemeral, Channel: ch, User: u, TS: ts, RawText: p["text"], Blocks: blocks})
	ok(w, map[string]any{"message_ts": ts})
}

// responseURL receives a response_url post (JSON, as Slack expects it) and
// records it as an ephemeral message to the user.
func (s *Server) responseURL(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	if msg.Text == "" && (len(msg.Blocks) == 0 || string(msg.Blocks) == "null") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "no_text"})
		return
	}
	s.mu.Lock()
	s.record(Entry{Kind: KindEphemeral, User: user, TS: s.nextTS(), RawText: msg.Text, Blocks: msg.Blocks})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
