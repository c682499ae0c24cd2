package bot

import (
	"context"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Store keeps requests. Every write is atomic: Update reads, applies fn and
// writes only if nobody wrote in between (compare-and-set), retrying
// otherwise, so two clicks or two replicas resolve to one winner.
type Store interface {
	// Create stores a new request and claims its mailbox (r.Op.Mailbox):
	// one active request per mailbox. It fails with an *ActiveError when
	// another non-terminal request holds the mailbox.
	Create(ctx context.Context, r *Request) error
	// Get returns a request; ErrNotFound.
	Get(ctx context.Context, id string) (*Request, error)
	// Update applies fn to the current request and writes the result
	// atomically. When fn returns an error nothing is written, and Update
	// returns the unchanged request with that error. It bumps Version,
	// appends the events fn added to History to the audit log, releases the
	// mailbox when the new state is terminal, claims it again when a
	// terminal request becomes active (a retry; an *ActiveError when another
	// request holds it) and tracks in-flight requests.
	Update(ctx context.Context, id string, fn func(*Request) error) (*Request, error)
	// InFlight lists the ids of requests whose state is InFlight.
	InFlight(ctx context.Context) ([]string, error)
	// Tracked lists the requests pending or in flight, as kept beside
	// their ids (written with each change), so that one whose request is
	// gone (eviction, a failover) can still be reported.
	Tracked(ctx context.Context) ([]Tracked, error)
	// Forget removes id from the pending and in-flight tracking; false
	// when it was not tracked (another worker forgot it first).
	Forget(ctx context.Context, id string) (bool, error)
	// List returns requests, newest first: those of a requester, those an
	// approver is asked to decide, or (both empty) everyone's.
	List(ctx context.Context, q ListQuery) ([]*Request, error)
	// Sweep removes finished requests whose FinishedAt is before before, at
	// most max of them (0: 100), oldest first, with every index entry that
	// names them (List, the mailbox's claim, their batch), and returns their
	// ids. A request that is not terminal is never removed, however old.
	Sweep(ctx context.Context, before time.Time, max int) ([]string, error)
}

// Tracked is what the Store keeps of a pending or in-flight request beside
// its id. Requester, Kind and Mailbox are "" for an id tracked before
// they were kept.
type Tracked struct {
	ID        string
	Requester string
	Kind      mailbox.Kind
	Mailbox   string
}

// ListQuery selects requests for Store.List.
type ListQuery struct {
	Requester string // requests asked by this Slack user
	Approver  string // requests this Slack user is an approver of
	// Pending: only those still waiting for a decision. With Approver or
	// Requester its cost follows what is not finished, not the history.
	Pending bool
	Limit   int // at most this many (0: 20)
}

// JobType names the kind of queued work.
type JobType string

const (
	JobCommand JobType = "command" // plan a typed command and ask for approval
	JobClick   JobType = "click"   // apply an Approve/Reject click
	JobRun     JobType = "run"     // run (or resume) an approved request
	JobExpire  JobType = "expire"  // expire a request still pending at ExpiresAt
	JobRemind  JobType = "remind"  // remind the approvers of a request still pending
)

// Job is one unit of queued work. Jobs survive restarts.
type Job struct {
	Type JobType `json:"type"`
	// ID makes the job unique while it is queued: a second Enqueue with the
	// same ID is a no-op, not an error. Empty: always enqueued.
	ID        string    `json:"id,omitempty"`
	At        time.Time `json:"at,omitzero"` // run no earlier than this
	RequestID string    `json:"request_id,omitempty"`
	Seq       int       `json:"seq,omitempty"`  // for JobRun: Request.RunSeq it was scheduled for
	User      string    `json:"user,omitempty"` // for JobHome: whose Home tab
	Command   *Command  `json:"command,omitempty"`
	Click     *Click    `json:"click,omitempty"`
}

// RateLimiter lets a limited number of calls per key through in each
// window (redisstore.RateLimiter); retryAfter says how long until the next.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Queue takes durable work. A handler that returns an error has its job
// retried later (after RetryAfter when the error has one).
type Queue interface {
	Enqueue(ctx context.Context, j Job) error
}

// RetryAfterError asks the queue to retry a job after a delay.
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string             { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error             { return e.Err }
func (e *RetryAfterError) RetryAfter() time.Duration { return e.After }

// Lock is a held lock with a TTL.
type Lock interface {
	Refresh(ctx context.Context, ttl time.Duration) error
	Release(ctx context.Context) error
}

// Locker takes short locks with a TTL; ErrLocked when another holds it.
type Locker interface {
	Obtain(ctx context.Context, key string, ttl time.Duration) (Lock, error)
}

// ReplyTo is where a private answer to a person goes: the response_url of
// their command or click, else an ephemeral message in Channel.
type ReplyTo struct {
	ResponseURL string `json:"response_url,omitempty"`
	Channel     string `json:"channel,omitempty"`
	User        string `json:"user"`
}

// Answer is a private reply. Text is the sentence (Slack mrkdwn); Plan and
// Request, when set, are shown below it.
type Answer struct {
	Text    string
	Plan    *mailbox.Plan
	Request *Request
	// Batch, when set, is shown with what it does to every mailbox (the
	// status of a batch): the grants and weakened defaults, never cut.
	Batch *Batch
	// Replace asks that it replace the previous answer on the same
	// response_url (a progress line), not add another.
	Replace bool
}

// Notifier tells people in Slack. handlers implements it.
type Notifier interface {
	// Answer replies privately to the person who typed a command or clicked.
	Answer(ctx context.Context, to ReplyTo, a Answer) error
	// AskApproval sends an approver a direct message with the request and
	// Approve / Reject buttons.
	AskApproval(ctx context.Context, r *Request, approver string) (MessageRef, error)
	// UpdateApproval rewrites an approval message to show r's state: once
	// decided, without buttons, with who decided and when.
	UpdateApproval(ctx context.Context, r *Request, ref MessageRef) error
	// Tell sends user a direct message: headline, then r's steps; with a
	// Retry button when r failed and may still be retried (RetryUntil).
	Tell(ctx context.Context, user string, r *Request, headline string) error
	// TellSecret sends user (the requester, alone) a direct message that
	// carries a credential. text holds the secret: it must not be logged.
	TellSecret(ctx context.Context, user string, r *Request, text string) error
	// Remind reminds an approver, once, that r waits for their decision: a
	// new message with the buttons, updated after the decision like the
	// first (its reference is added to r.Approvals).
	Remind(ctx context.Context, r *Request, approver string) (MessageRef, error)
	// PublishHome shows h on the user's App Home tab (views.publish).
	PublishHome(ctx context.Context, h Home) error
	// Audit posts r to the audit channel (ref nil) or updates that message.
	Audit(ctx context.Context, channel string, r *Request, ref *MessageRef) (MessageRef, error)
}

// SlackDirectory finds Slack users.
type SlackDirectory interface {
	// UserIDByEmail returns the Slack user id for an e-mail; ErrNoSlackUser.
	UserIDByEmail(ctx context.Context, email string) (string, error)
	// EmailOf returns a Slack user's e-mail address (users.info;
	// users:read.email); ErrNoSlackUser when unknown or without one.
	EmailOf(ctx context.Context, userID string) (string, error)
	// GroupMembers lists the user ids of a Slack user group
	// (usergroups.users.list; usergroups:read).
	GroupMembers(ctx context.Context, groupID string) ([]string, error)
}

// Home is what a user's App Home tab shows.
type Home struct {
	User    string
	Waiting []*Request // waiting for this user's decision (with buttons), not in a batch
	// WaitingBatches are the batches waiting for this user's decision: each
	// one item with the batch's buttons (its requests have none of their own).
	WaitingBatches []HomeBatch
	Mine           []*Request // this user's recent requests
	Everyone       []*Request // everyone's recent requests; only for admins
	Admin          bool
	Now            time.Time
}

// HomeBatch is a batch on a Home tab, with its requests.
type HomeBatch struct {
	Batch    *Batch
	Requests []*Request
}

// Planner runs the pre-checks of an operation (mailbox.Planner).
type Planner interface {
	Plan(ctx context.Context, op mailbox.Operation) (mailbox.Plan, error)
	// Beneficiaries lists everyone who gains access through plan, groups
	// expanded transitively (rule 16).
	Beneficiaries(ctx context.Context, plan mailbox.Plan) ([]mailbox.Principal, error)
}

// Executor runs one step (mailbox.Executor); in a dry run it describes
// the change instead of making it.
type Executor interface {
	Run(ctx context.Context, t mailbox.Target, s mailbox.Step, dryRun bool) (mailbox.Outcome, error)
}

// Command is a parsed slash command, queued for planning.
type Command struct {
	Op          mailbox.Operation `json:"op"`
	User        string            `json:"user"`
	TeamID      string            `json:"team_id"`
	Channel     string            `json:"channel"`
	ResponseURL string            `json:"response_url"`
	TriggerID   string            `json:"trigger_id,omitempty"` // unique to the invocation
	// Action is "" for the operation in Op, or one of the request
	// commands: "status", "list", "cancel" (RequestID names the request).
	Action    string `json:"action,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Mailboxes, when more than one, asks for Op on each: one batch, one
	// approval, one report (Op.Mailbox is then unused).
	Mailboxes []string `json:"mailboxes,omitempty"`
}

// Request commands (Command.Action).
const (
	CommandStatus = "status"
	CommandList   = "list"
	CommandCancel = "cancel"
)

// Actions a click can carry (the buttons' action_id).
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
	ActionRetry   = "retry" // run a failed request again from its failed step
)

// Click is a verified click on one of the bot's buttons.
type Click struct {
	RequestID   string `json:"request_id"`
	Action      string `json:"action,omitempty"` // ActionRetry; "" means Approve/Reject by the Approve field
	Approve     bool   `json:"approve"`
	User        string `json:"user"` // from the signed payload, never from the button value
	TeamID      string `json:"team_id"`
	Channel     string `json:"channel"`
	MessageTS   string `json:"message_ts"`
	ResponseURL string `json:"response_url"`
	ActionTS    string `json:"action_ts"`
	// Fingerprint is the plan fingerprint the clicked message showed; ""
	// when the message carried none (checkClickFingerprint).
	Fingerprint string `json:"fingerprint,omitempty"`
}

// ButtonValue is the value of an Approve button: the request id and the
// fingerprint of the plan the message shows, so that a click is bound to
// what its message showed (Click.Fingerprint). Without a fingerprint it is
// the id alone.
func ButtonValue(id, fingerprint string) string {
	if fingerprint == "" {
		return id
	}
	return id + ":" + fingerprint
}

// ParseButtonValue reads a ButtonValue back: the request id, and the
// fingerprint ("" when the button carried none).
func ParseButtonValue(v string) (id, fingerprint string) {
	id, fingerprint, _ = strings.Cut(v, ":")
	return id, fingerprint
}
