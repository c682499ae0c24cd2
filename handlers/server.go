package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/command"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Bot takes the typed commands and clicks that the Slack edge parsed. The
// real implementation only enqueues durable work, so each call is fast; the
// handlers still bound it with Config.AcceptTimeout so that Slack always
// gets its answer within 3 seconds.
type Bot interface {
	AcceptCommand(ctx context.Context, c bot.Command) error
	AcceptClick(ctx context.Context, c bot.Click) error
}

// Config holds what a Server needs. Verifier and Bot are required.
type Config struct {
	// Verifier checks every request to /slack/*; a request that fails gets
	// 401 and nothing is acted upon.
	Verifier *Verifier
	// TeamID and AppID, when set, refuse requests from another workspace or
	// another Slack app.
	TeamID, AppID string
	// Bot receives the parsed commands and clicks.
	Bot Bot
	// Home publishes a user's App Home tab when they open it
	// (app_home_opened on /slack/events); nil ignores the event.
	Home HomeOpener
	// Ready reports readiness (Redis reachable) for /readyz; nil means
	// always ready.
	Ready func(context.Context) error
	// AcceptTimeout bounds each call to Bot and Ready; 0 means 2s, which
	// leaves room in Slack's 3 seconds.
	AcceptTimeout time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Replier answers a clicker privately when the click could not be
	// queued; nil leaves it to the log.
	Replier Replier
	// Now is the clock against which a command's `at` time is checked;
	// nil means time.Now.
	Now func() time.Time
	// Views opens the forms that /convert-mailbox and /shared-mailbox open
	// when typed without text; nil answers with the help instead.
	Views Views
	// Checker, when set, checks each command of a submitted form against
	// Microsoft before the form closes, within FormCheckTimeout in all (0
	// means 1.5s); a problem is shown next to the mailbox field.
	Checker          FormChecker
	FormCheckTimeout time.Duration
	// BatchMax is the most mailboxes one command may name, answered at once
	// when exceeded (the bot's bot.Config.BatchMax); 0: the parser's
	// command.MaxBulk only.
	BatchMax int
	// Policy is the approval policy in force, which the help prints: the
	// map given to bot.Config.Policy (bot.PolicyManager, PolicyApprovers or
	// PolicyNone per kind). A kind it does not name has its
	// bot.DefaultPolicy entry, as in the bot, which decides.
	Policy map[mailbox.Kind]string
	// Approvals is how many approvers each operation needs and whether
	// requests escalate, which the help's approval page says.
	Approvals command.Approvals
	// Metrics, when set, measures how fast each request to /slack/* is
	// answered (internal/metrics does); nil measures nothing.
	Metrics interface {
		Ack(route string, next http.Handler) http.Handler
	}
	// MetricsHandler, when set, is served at GET /metrics (Prometheus).
	MetricsHandler http.Handler
}

// Replier answers a person privately (handlers/notify implements it).
type Replier interface {
	Answer(ctx context.Context, to bot.ReplyTo, a bot.Answer) error
}

// Server is the Slack HTTP edge.
type Server struct {
	cfg     Config
	log     *slog.Logger
	timeout time.Duration
	now     func() time.Time
	replies sync.WaitGroup // answers sent in the background
}

// New returns a Server. It panics when cfg.Verifier or cfg.Bot is nil: a
// server without them could only refuse or drop every request.
func New(cfg Config) *Server {
	if cfg.Verifier == nil {
		panic("handlers.New: Config.Verifier is nil")
	}
	if cfg.Bot == nil {
		panic("handlers.New: Config.Bot is nil")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, timeout: cfg.AcceptTimeout}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = 2 * time.Second
	}
	s.now = cfg.Now
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Handler returns the routes:
//
//	POST /slack/commands      slash commands (signed)
//	POST /slack/interactions  button clicks and other interactions (signed)
//	POST /slack/events        Events API: url_verification, app_home_opened (signed)
//	GET  /healthz             200 "ok" while the process serves
//	GET  /readyz              200 "ready", or 503 "not ready" (the reason goes to the log)
//	GET  /metrics             Config.MetricsHandler, when set
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.ack("/slack/commands", s.cfg.Verifier.Signed(s.log, http.HandlerFunc(s.handleCommand))))
	mux.Handle("POST /slack/interactions", s.ack("/slack/interactions", s.cfg.Verifier.Signed(s.log, http.HandlerFunc(s.handleInteraction))))
	mux.Handle("POST /slack/events", s.ack("/slack/events", s.cfg.Verifier.Signed(s.log, http.HandlerFunc(s.handleEvent))))
	if s.cfg.MetricsHandler != nil {
		mux.Handle("GET /metrics", s.cfg.MetricsHandler)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	return mux
}

// ack wraps a Slack route in Config.Metrics, when set.
func (s *Server) ack(route string, h http.Handler) http.Handler {
	if s.cfg.Metrics == nil {
		return h
	}
	return s.cfg.Metrics.Ack(route, h)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			// Whoever asks sees no more than "not ready": the reason may
			// name internal addresses (Redis's, for one).
			s.log.Warn("not ready", "err", err)
			writeText(w, http.StatusServiceUnavailable, "not ready")
			return
		}
	}
	writeText(w, http.StatusOK, "ready")
}

// sameTenant reports whether a request's workspace and app are the
// configured ones (an unset configuration accepts any).
func (s *Server) sameTenant(team, app string) bool {
	return (s.cfg.TeamID == "" || team == s.cfg.TeamID) && (s.cfg.AppID == "" || app == s.cfg.AppID)
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(text))
}

// message is the body of an immediate answer to a slash command.
type message struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// writeEphemeral answers a slash command privately, with HTTP 200: Slack
// shows the text only to the person who typed the command.
func writeEphemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(message{ResponseType: "ephemeral", Text: text})
}
