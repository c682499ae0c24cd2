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
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
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
