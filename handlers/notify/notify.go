// Package notify talks to Slack's Web API for the bot: it implements
// bot.Notifier (private answers, approval requests and their updates,
// progress reports in direct messages with a Retry button for a failed
// request, credentials to the requester alone, the audit channel) and
// bot.SlackDirectory (users by e-mail, e-mail addresses by user) with github.com/slack-go/slack, and
// renders every message as Block Kit with pure functions other packages
// may reuse: one file per message family (approval.go, answer.go,
// tell.go, audit.go, secret.go, batch.go, home.go, remind.go, views.go),
// which take what a request will do from plan.go and their steps from
// steps.go, all built of the primitives of text.go.
//
// Every call waits out Slack's rate limit (HTTP 429 with Retry-After) and
// tries again, a bounded number of times. It does not receive anything from
// Slack: the HTTP edge lives in package handlers.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/wait"
)

// Config holds the dependencies of a Slack notifier.
type Config struct {
	// Client calls Slack's Web API (slack.New(token, slack.OptionAPIURL(...))).
	Client *slack.Client
	// HTTPClient posts to response_url; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxRateLimitWaits is how many times one call waits out a 429 before
	// giving up; 0 means 3, negative means never wait.
	MaxRateLimitWaits int
	// Sleep waits out a 429's Retry-After, or less when ctx ends first
	// (then it returns an error); nil means a timer that ends early with
	// ctx (wait.Sleep).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Slack is the notifier and Slack directory. It is safe for concurrent use.
type Slack struct {
	api      *slack.Client
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	maxWaits int
	dms      sync.Map // user id → id of the direct message channel with them
}

var (
	_ bot.Notifier       = (*Slack)(nil)
	_ bot.SlackDirectory = (*Slack)(nil)
)

// New returns a notifier that talks to Slack through cfg.Client.
func New(cfg Config) *Slack {
	s := &Slack{api: cfg.Client, http: cfg.HTTPClient, log: cfg.Logger, now: cfg.Now, sleep: cfg.Sleep, maxWaits: cfg.MaxRateLimitWaits}
	if s.http == nil {
		s.http = http.DefaultClient
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = wait.Sleep
	}
	switch {
	case s.maxWaits == 0:
		s.maxWaits = 3
	case s.maxWaits < 0:
		s.maxWaits = 0
	}
	return s
}

// call runs fn, waiting out Slack's rate limit and trying again up to
// maxWaits times. op names the Web API method for logs and errors.
func (s *Slack) call(ctx context.Context, op string, fn func() error) error {
	for waits := 0; ; waits++ {
		err := fn()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || waits >= s.maxWaits {
			if err != nil {
				return fmt.Errorf("slack %s: %w", op, err)
			}
			return nil
		}
		d := rl.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		s.log.WarnContext(ctx, "slack rate limit: waiting before trying again", "op", op, "retry_after", d, "attempt", waits+1)
		if err := s.sleep(ctx, d); err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return fmt.Errorf("slack %s: waiting out rate limit: %w", op, err)
		}
	}
}

func msgOptions(text string, blocks []slack.Block) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
}

func (s *Slack) post(ctx context.Context, channel, text string, blocks []slack.Block) (bot.MessageRef, error) {
	var ref bot.MessageRef
	err := s.call(ctx, "chat.postMessage", func() error {
		ch, ts, err := s.api.PostMessageContext(ctx, channel, msgOptions(text, blocks)...)
		ref = bot.MessageRef{Channel: ch, TS: ts}
		return err
	})
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("post to %s: %w", channel, err)
	}
	if ref.Channel == "" {
		ref.Channel = channel
	}
	return ref, nil
}

func (s *Slack) update(ctx context.Context, ref bot.MessageRef, text string, blocks []slack.Block) error {
	err := s.call(ctx, "chat.update", func() error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(text, blocks)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update message %s/%s: %w", ref.Channel, ref.TS, err)
	}
	return nil
}

// openDM returns the id of the direct message channel with user.
func (s *Slack) openDM(ctx context.Context, user string) (string, error) {
	var id string
	err := s.call(ctx, "conversations.open", func() error {
		ch, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if err == nil && ch != nil {
			id = ch.ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("open direct message with %s: %w", user, err)
	}
	if id == "" {
		return "", fmt.Errorf("open direct message with %s: slack returned no channel", user)
	}
	return id, nil
}

// dm posts to user's direct message channel. The channel's id is kept
// once opened (conversations.open answers the same channel every time), so
// a message costs one call; when Slack no longer knows a kept channel, it
// is opened again.
func (s *Slack) dm(ctx context.Context, user, text string, blocks []slack.Block) (bot.MessageRef, error) {
	var gone error
	if ch, ok := s.dms.Load(user); ok {
		ref, err := s.post(ctx, ch.(string), text, blocks)
		if !isGoneChannel(err) {
			return ref, err
		}
		s.dms.CompareAndDelete(user, ch)
		gone = err
	}
	ch, err := s.openDM(ctx, user)
	if err != nil {
		return bot.MessageRef{}, errors.Join(err, gone)
	}
	s.dms.Store(user, ch)
	return s.post(ctx, ch, text, blocks)
}

// isGoneChannel reports whether err is Slack's answer for a channel that
// no longer exists or takes no messages.
func isGoneChannel(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "channel_not_found", "is_archived", "not_in_channel":
		return true
	}
	return false
}

// Answer replies privately: through the response_url when there is one,
// else as an ephemeral message in to.Channel, else (no channel either) in a
// direct message. When the response_url fails (it expires after 30 minutes
// and 5 uses) it falls back to the ephemeral message or direct message.
func (s *Slack) Answer(ctx context.Context, to bot.ReplyTo, a bot.Answer) error {
	text, blocks := AnswerText(a), AnswerBlocks(a)
	if to.ResponseURL != "" {
		err := s.call(ctx, "response_url", func() error {
			return redactURL(slack.PostWebhookCustomHTTPContext(ctx, to.ResponseURL, s.http, &slack.WebhookMessage{
				Text:            text,
				Blocks:          &slack.Blocks{BlockSet: blocks},
				ResponseType:    slack.ResponseTypeEphemeral,
				ReplaceOriginal: a.Replace,
			}))
		})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("answer %s: %w", to.User, err)
		}
		s.log.WarnContext(ctx, "slack response_url failed; answering another way", "op", "response_url", "err", err)
	}
	if to.Channel == "" {
		if _, err := s.dm(ctx, to.User, text, blocks); err != nil {
			return fmt.Errorf("answer %s: %w", to.User, err)
		}
		return nil
	}
	err := s.call(ctx, "chat.postEphemeral", func() error {
		_, err := s.api.PostEphemeralContext(ctx, to.Channel, to.User, msgOptions(text, blocks)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("answer %s in %s: %w", to.User, to.Channel, err)
	}
	return nil
}

// redactURL hides the URL in a transport error: a response_url is a
// credential (it lets anyone post as the bot for 30 minutes) and must not
// reach a log line.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		// The wrapping messages were rendered with the URL in them: keep
		// only the transport's cause, which names the host, not the path.
		return fmt.Errorf("post to the response_url: %w", ue.Err)
	}
	return err
}

// AskApproval sends approver a direct message with r and the Approve and
// Reject buttons, and returns where it is, for UpdateApproval.
func (s *Slack) AskApproval(ctx context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	ref, err := s.dm(ctx, approver, ApprovalText(r), ApprovalBlocks(r, s.now()))
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("ask %s to approve %s: %w", approver, r.ID, err)
	}
	s.log.InfoContext(ctx, "approval asked", "request", r.ID, "approver", approver, "mailbox", r.Op.Mailbox)
	return ref, nil
}

// UpdateApproval rewrites an approval message for r's current state: the
// buttons while it is pending, else who decided and when (or that it
// expired or was cancelled), without buttons but Undo once it succeeded
// (CanUndo).
func (s *Slack) UpdateApproval(ctx context.Context, r *bot.Request, ref bot.MessageRef) error {
	text, blocks := DecidedText(r), DecidedBlocks(r)
	if r.State == bot.StatePending && r.Decision == nil {
		text, blocks = ApprovalText(r), ApprovalBlocks(r, s.now())
	}
	if CanUndo(r, s.now()) { // only approvers get this message
		blocks = append(blocks, undoBlocks(r)...)
	}
	if err := s.update(ctx, ref, text, blocks); err != nil {
		return fmt.Errorf("update approval of %s: %w", r.ID, err)
	}
	return nil
}

// Tell sends user a direct message: headline (mrkdwn), then r's steps. The
// requester of a failed request that may still be retried (CanRetry) also
// gets the Retry button, the requester and approvers of a succeeded one
// that may still be undone (CanUndo) the Undo button; anyone else is only
// told.
func (s *Slack) Tell(ctx context.Context, user string, r *bot.Request, headline string) error {
	retry := user == r.Requester && CanRetry(r, s.now())
	undo := (user == r.Requester || r.IsApprover(user)) && CanUndo(r, s.now())
	if _, err := s.dm(ctx, user, TellText(r, headline), tellBlocks(r, headline, retry, undo)); err != nil {
		return fmt.Errorf("tell %s about %s: %w", user, r.ID, err)
	}
	return nil
}

// ErrNotRequester: TellSecret sends a credential to the request's
// requester and to nobody else.
var ErrNotRequester = errors.New("a credential goes only to the requester")

// TellSecret sends user, who must be r's requester, a direct message with
// text, which holds a credential: the blocks carry it, the fallback text
// (shown in notifications) does not. Neither the log nor the returned
// error holds any of text; when Slack's error repeats a piece of it, the
// error's text is withheld.
func (s *Slack) TellSecret(ctx context.Context, user string, r *bot.Request, text string) error {
	if r == nil {
		return fmt.Errorf("send a credential to %s: no request: %w", user, ErrNotRequester)
	}
	if user == "" || user != r.Requester {
		return fmt.Errorf("send the credential of %s to %s: %w", r.ID, user, ErrNotRequester)
	}
	if _, err := s.dm(ctx, user, SecretText(r), SecretBlocks(r, text)); err != nil {
		return fmt.Errorf("send the credential of %s to %s: %w", r.ID, user, withhold(err, text))
	}
	s.log.InfoContext(ctx, "credential sent privately", "request", r.ID, "requester", user)
	return nil
}

// withheldError stands for an error whose text repeated part of a
// credential message: it keeps the chain (errors.Is, errors.As) but not
// the text.
type withheldError struct{ err error }

func (e *withheldError) Error() string {
	return "slack call failed (its error text is withheld: it repeated part of the credential message)"
}
func (e *withheldError) Unwrap() error { return e.err }

// withhold returns err, or a withheldError when err's text holds a piece
// (a word of 6 characters or more) of text.
func withhold(err error, text string) error {
	msg := err.Error()
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("`*_~:;,.()[]<>\"'", r)
	}) {
		if utf8.RuneCountInString(w) >= 6 && strings.Contains(msg, w) {
			return &withheldError{err}
		}
	}
	return err
}

// Audit posts r to channel (ref nil) or updates the message ref points at.
func (s *Slack) Audit(ctx context.Context, channel string, r *bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	text, blocks := AuditText(r), AuditBlocks(r)
	if ref != nil {
		if err := s.update(ctx, *ref, text, blocks); err != nil {
			return *ref, fmt.Errorf("audit %s: %w", r.ID, err)
		}
		return *ref, nil
	}
	m, err := s.post(ctx, channel, text, blocks)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("audit %s: %w", r.ID, err)
	}
	return m, nil
}

// UserIDByEmail returns the Slack user id for an e-mail address; an error
// wrapping bot.ErrNoSlackUser when Slack has none (users_not_found).
func (s *Slack) UserIDByEmail(ctx context.Context, email string) (string, error) {
	var id string
	err := s.call(ctx, "users.lookupByEmail", func() error {
		u, err := s.api.GetUserByEmailContext(ctx, email)
		if err == nil {
			id = u.ID
		}
		return err
	})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "users_not_found" {
		return "", fmt.Errorf("look up slack user %s: %w", email, bot.ErrNoSlackUser)
	}
	if err != nil {
		return "", fmt.Errorf("look up slack user %s: %w", email, err)
	}
	return id, nil
}

// EmailOf returns the e-mail address of the Slack user userID (users.info,
// which needs the users:read.email scope), in lower case. userID may also
// be given as a mention, "<@U123>" or "<@U123|name>". It returns an error
// wrapping bot.ErrNoSlackUser when Slack does not know the user, when the
// account is deactivated, when it is a bot, or when its profile has no
// e-mail address.
func (s *Slack) EmailOf(ctx context.Context, userID string) (string, error) {
	id := mentionID(userID)
	if id == "" {
		return "", fmt.Errorf("e-mail of slack user %q: not a user id: %w", userID, bot.ErrNoSlackUser)
	}
	var u *slack.User
	err := s.call(ctx, "users.info", func() error {
		var err error
		u, err = s.api.GetUserInfoContext(ctx, id)
		return err
	})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "user_not_visible") {
		return "", fmt.Errorf("e-mail of slack user %s: %s: %w", id, se.Err, bot.ErrNoSlackUser)
	}
	if err != nil {
		return "", fmt.Errorf("e-mail of slack user %s: %w", id, err)
	}
	switch {
	case u == nil:
		return "", fmt.Errorf("e-mail of slack user %s: slack returned no user: %w", id, bot.ErrNoSlackUser)
	case u.Deleted:
		return "", fmt.Errorf("e-mail of slack user %s: the account is deactivated: %w", id, bot.ErrNoSlackUser)
	case u.IsBot || u.IsAppUser:
		return "", fmt.Errorf("e-mail of slack user %s: a bot has no mailbox: %w", id, bot.ErrNoSlackUser)
	case strings.TrimSpace(u.Profile.Email) == "":
		return "", fmt.Errorf("e-mail of slack user %s: the profile has no e-mail address (or the app lacks users:read.email): %w", id, bot.ErrNoSlackUser)
	}
	return strings.ToLower(strings.TrimSpace(u.Profile.Email)), nil
}

// mentionID returns the user id of "U123", "<@U123>" or "<@U123|name>",
// or "" when s is none of them.
func mentionID(s string) string {
	s = strings.TrimSpace(s)
	if id, ok := mrkdwn.MentionID(s); ok {
		s = id
	} else if strings.HasPrefix(s, "<@") {
		return ""
	}
	if s == "" || len(s) > 32 {
		return ""
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return ""
		}
	}
	return s
}
