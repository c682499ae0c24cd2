package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// ErrNotConnected is what Socket.Ready reports, wrapped with the reason,
// while the Socket Mode connection is not up.
var ErrNotConnected = errors.New("socket mode not connected")

// Bounds on the work done for one envelope.
const (
	// seenTimeout bounds the duplicate check, so that a slow Redis does not
	// eat Slack's 3 seconds; when it runs out the envelope is processed.
	seenTimeout = 500 * time.Millisecond
	// eventTimeout bounds the work after an Events API event was
	// acknowledged.
	eventTimeout = 30 * time.Second
)

// Deduper remembers envelope ids: Seen reports whether id was seen before
// (false the first time), across connections and replicas.
// bot/redisstore.Deduper implements it.
type Deduper interface {
	Seen(ctx context.Context, id string) (bool, error)
}

// SocketConfig holds what a Socket needs. Client and Server are required.
type SocketConfig struct {
	// Client is the Socket Mode client: socketmode.New over a slack.Client
	// made with slack.OptionAppLevelToken (the xapp- token). Socket runs
	// it; nothing else should read its Events.
	Client *socketmode.Client
	// Server answers the commands, interactions and events, exactly as it
	// does those that come over HTTP.
	Server *Server
	// Seen drops envelopes delivered twice (Slack's retries, or one
	// envelope sent to two connections); nil checks nothing.
	Seen Deduper
	// Logger; nil discards.
	Logger *slog.Logger
}

// eventHandler takes an Events API event (Server.Event).
type eventHandler interface {
	Event(ctx context.Context, ev slackevents.EventsAPIEvent)
}

// Socket receives slash commands, interactions and Events API events over
// Slack's Socket Mode instead of HTTP, and hands them to the same Server.
// Every envelope is acknowledged before the work where the answer allows;
// a slash command's ack carries its private answer, an interaction's ack
// the answer Server.Interaction returns. Reconnection is the socketmode
// library's; Ready reports whether the connection is up.
type Socket struct {
	client *socketmode.Client
	srv    *Server
	events eventHandler
	seen   Deduper
	log    *slog.Logger

	mu   sync.Mutex
	down error // nil while connected
}

// NewSocket returns a Socket. It panics when cfg.Client or cfg.Server is
// nil.
func NewSocket(cfg SocketConfig) *Socket {
	if cfg.Client == nil {
		panic("handlers.NewSocket: SocketConfig.Client is nil")
	}
	if cfg.Server == nil {
		panic("handlers.NewSocket: SocketConfig.Server is nil")
	}
	s := &Socket{
		client: cfg.Client,
		srv:    cfg.Server,
		events: cfg.Server,
		seen:   cfg.Seen,
		log:    cfg.Logger,
		down:   fmt.Errorf("%w: not connected yet", ErrNotConnected),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("transport", "socket_mode")
	return s
}

// Ready reports nil while the Socket Mode connection is up, else an error
// wrapping ErrNotConnected that says why (not connected yet, connecting,
// the last connection error, stopped).
func (s *Socket) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *Socket) setDown(err error) {
	s.mu.Lock()
	s.down = err
	s.mu.Unlock()
}

// Run connects to Slack and serves envelopes until ctx ends (then it
// returns nil, once the envelopes in hand are answered) or the library
// gives up (a refused app token: then it returns the error).
func (s *Socket) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	defer wg.Wait()

	runErr := make(chan error, 1)
	go func() { runErr <- s.client.RunContext(ctx) }()

	for {
		select {
		case <-ctx.Done():
			s.setDown(fmt.Errorf("%w: stopped", ErrNotConnected))
			<-runErr
			s.log.Info("socket mode stopped")
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				s.setDown(fmt.Errorf("%w: stopped", ErrNotConnected))
				s.log.Info("socket mode stopped")
				return nil
			}
			msg := redact(err)
			s.setDown(fmt.Errorf("%w: stopped: %s", ErrNotConnected, msg))
			s.log.Error("socket mode stopped: Slack refused the connection", "err", msg)
			return fmt.Errorf("socket mode: %w", err)
		case ev := <-s.client.Events:
			if isEnvelope(ev.Type) {
				wg.Go(func() { s.dispatch(ctx, ev) })
				continue
			}
			s.connection(ev)
		}
	}
}

func isEnvelope(t socketmode.EventType) bool {
	return t == socketmode.EventTypeSlashCommand || t == socketmode.EventTypeInteractive || t == socketmode.EventTypeEventsAPI
}

// connection tracks and logs the state of the connection from the
// library's own events.
func (s *Socket) connection(ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		d, _ := ev.Data.(*slack.ConnectingEvent)
		if d == nil {
			d = &slack.ConnectingEvent{}
		}
		reason := fmt.Errorf("%w: connecting (attempt %d)", ErrNotConnected, d.Attempt)
		if d.ConnectionCount > 0 {
			reason = fmt.Errorf("%w: connection lost, reconnecting (attempt %d)", ErrNotConnected, d.Attempt)
		}
		s.setDown(reason)
		s.log.Info("socket mode connecting", "attempt", d.Attempt, "connection", d.ConnectionCount+1)
	case socketmode.EventTypeConnectionError:
		d, _ := ev.Data.(*slack.ConnectionErrorEvent)
		if d == nil {
			d = &slack.ConnectionErrorEvent{}
		}
		msg := redact(d.ErrorObj)
		s.setDown(fmt.Errorf("%w: connection failed (attempt %d): %s", ErrNotConnected, d.Attempt, msg))
		s.log.Warn("socket mode connection failed", "attempt", d.Attempt, "retry_in", d.Backoff, "err", msg)
	case socketmode.EventTypeInvalidAuth:
		s.setDown(fmt.Errorf("%w: Slack refused the app-level token", ErrNotConnected))
		s.log.Error("socket mode: Slack refused the app-level token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeConnected:
		n := 0
		if d, ok := ev.Data.(*socketmode.ConnectedEvent); ok && d != nil {
			n = d.ConnectionCount
		}
		s.setDown(nil)
		s.log.Info("socket mode connected", "connection", n+1)
	case socketmode.EventTypeHello:
		s.setDown(nil)
		if ev.Request != nil {
			s.log.Debug("socket mode hello", "connections", ev.Request.NumConnections)
		}
	case socketmode.EventTypeDisconnect:
		// The library reconnects on Slack's disconnect without passing it
		// on; should it ever pass it on, the connection is going down.
		s.setDown(fmt.Errorf("%w: Slack asked to reconnect", ErrNotConnected))
		s.log.Info("socket mode: Slack asked to reconnect")
	case socketmode.EventTypeIncomingError:
		// Either a frame that could not be read (the connection stays) or a
		// dead connection (the library reconnects, and says so).
		var msg string
		if d, ok := ev.Data.(*slack.IncomingEventError); ok && d != nil {
			msg = redact(d.ErrorObj)
		}
		s.log.Warn("socket mode read failed", "err", msg)
	case socketmode.EventTypeErrorWriteFailed:
		var env, msg string
		if d, ok := ev.Data.(*socketmode.ErrorWriteFailed); ok && d != nil {
			msg = redact(d.Cause)
			if d.Response != nil {
				env = d.Response.EnvelopeID
			}
		}
		s.log.Warn("socket mode acknowledgement not sent; Slack will retry the envelope", "envelope", env, "err", msg)
	case socketmode.EventTypeErrorBadMessage:
		// The message itself is not logged: it may hold user data.
		var msg string
		if d, ok := ev.Data.(*socketmode.ErrorBadMessage); ok && d != nil {
			msg = redact(d.Cause)
		}
		s.log.Warn("socket mode message unreadable", "err", msg)
	default:
		s.log.Debug("socket mode event ignored", "type", ev.Type)
	}
}

// dispatch answers one envelope: a duplicate is acknowledged and dropped;
// a slash command or an interaction is acknowledged with Server's answer;
// an Events API event is acknowledged, then handed to Server.Event.
//
// The work runs on a context that shutdown does not cancel (each call is
// bounded), because the envelope is already recorded as seen: a retry
// would be dropped.
func (s *Socket) dispatch(ctx context.Context, ev socketmode.Event) {
	req := ev.Request
	if req == nil || req.EnvelopeID == "" {
		s.log.Warn("socket mode envelope without an id ignored", "type", ev.Type)
		return
	}
	log := s.log.With("envelope", req.EnvelopeID, "type", ev.Type)
	if req.RetryAttempt > 0 {
		log = log.With("retry_attempt", req.RetryAttempt, "retry_reason", req.RetryReason)
	}
	if s.duplicate(ctx, log, req.EnvelopeID) {
		log.Debug("duplicate socket mode envelope acknowledged and ignored")
		s.ack(ctx, log, req, nil)
		return
	}
	work := context.WithoutCancel(ctx)

	switch ev.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := ev.Data.(slack.SlashCommand)
		if !ok || sc.UserID == "" || sc.Command == "" {
			log.Warn("slash command unreadable")
			s.ack(ctx, log, req, message{ResponseType: "ephemeral", Text: words.Unreadable()})
			return
		}
		// Command only enqueues or opens a form (bounded by the accept
		// timeout), so its answer rides on the ack within Slack's 3 seconds.
		s.ack(ctx, log, req, commandAnswer(s.srv.Command(work, sc)))
	case socketmode.EventTypeInteractive:
		ic, ok := ev.Data.(slack.InteractionCallback)
		if !ok {
			log.Warn("slack interaction unreadable")
			s.ack(ctx, log, req, nil)
			return
		}
		s.ack(ctx, log, req, s.srv.Interaction(work, ic))
	case socketmode.EventTypeEventsAPI:
		s.ack(ctx, log, req, nil)
		e, ok := ev.Data.(slackevents.EventsAPIEvent)
		if !ok {
			log.Warn("events API event unreadable")
			return
		}
		work, cancel := context.WithTimeout(work, eventTimeout)
		defer cancel()
		s.events.Event(work, e)
	}
}

// commandAnswer is the payload of a slash command's acknowledgement: the
// private answer, or none when Server.Command has nothing to say (it
// opened a form).
func commandAnswer(text string) any {
	if text == "" {
		return nil
	}
	return message{ResponseType: "ephemeral", Text: text}
}

// duplicate reports whether the envelope was seen before. When that cannot
// be told, the envelope is processed: better answered twice than lost (the
// bot's jobs are idempotent).
func (s *Socket) duplicate(ctx context.Context, log *slog.Logger, id string) bool {
	if s.seen == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, seenTimeout)
	defer cancel()
	dup, err := s.seen.Seen(ctx, id)
	if err != nil {
		log.Warn("could not tell whether the envelope is a duplicate; processing it", "err", err)
		return false
	}
	return dup
}

// ack acknowledges the envelope with payload (nil: a plain ack). A payload
// the library refuses (over Slack's 20 KB) is replaced by a plain ack, so
// that Slack does not retry.
func (s *Socket) ack(ctx context.Context, log *slog.Logger, req *socketmode.Request, payload any) {
	err := s.client.AckCtx(ctx, req.EnvelopeID, payload)
	if err != nil && payload != nil && ctx.Err() == nil {
		log.Error("socket mode answer not sent; acknowledging without it", "err", err)
		err = s.client.AckCtx(ctx, req.EnvelopeID, nil)
	}
	if err != nil {
		log.Warn("socket mode envelope not acknowledged", "err", err)
	}
}

// Secrets that may appear in an error from the library: the query of the
// WebSocket URL (its ticket) and Slack tokens.
var (
	urlQuery   = regexp.MustCompile(`(?i)\b((?:wss?|https?)://[^\s?"']*)\?[^\s"']*`)
	slackToken = regexp.MustCompile(`\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+`)
)

// redact returns err's text without URL queries or Slack tokens.
func redact(err error) string {
	if err == nil {
		return ""
	}
	msg := urlQuery.ReplaceAllString(err.Error(), "$1?…")
	return slackToken.ReplaceAllString(msg, "[token]")
}
