// Package bot is the request lifecycle: a typed operation from Slack becomes
// a Request that is planned, routed to an approver, decided once, queued and
// executed step by step, with every transition recorded atomically in the
// Store and reported through the Notifier.
//
// It declares the small interfaces it consumes (Store, Queue, Locker,
// Notifier, SlackDirectory, Planner, Executor); bot/redisstore, handlers and
// mailbox implement them. It knows neither Redis nor the Slack wire format.
//
// The files follow a request: service.go (Config, New, the job dispatch),
// intake.go (a command taken in, planned, its request created), route.go
// and policy.go (who approves), approval.go (asked, decided), expire.go,
// run.go (the steps, under the mailbox's lock), retry.go, report.go (the
// transitions and who is told; a request lost from the Store is reported
// from run.go), Reconcile in run.go; batch_plan.go (a batch, planned a
// chunk per job) and batch.go (decided as one), requests.go (status, list,
// cancel, reminders),
// home.go and authz.go beside them. The sentences
// people read are written by internal/words.
package bot

import (
	"errors"
	"slices"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// State of a request. See DESIGN.md section 3.
type State string

const (
	StatePending   State = "pending_approval"
	StateApproved  State = "approved"
	StateRejected  State = "rejected"
	StateExpired   State = "expired"
	StateCancelled State = "cancelled"
	StateRunning   State = "running"
	StateWaiting   State = "waiting"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
)

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool {
	switch s {
	case StateRejected, StateExpired, StateCancelled, StateSucceeded, StateFailed:
		return true
	}
	return false
}

// InFlight reports whether s is approved work not yet finished.
func (s State) InFlight() bool {
	return s == StateApproved || s == StateRunning || s == StateWaiting
}

// Sentinel errors.
var (
	ErrNotFound       = errors.New("request not found")
	ErrActiveRequest  = errors.New("mailbox already has an active request")
	ErrAlreadyDecided = errors.New("request already decided")
	ErrNotApprover    = errors.New("not an approver of this request")
	ErrSelfApproval   = errors.New("the requester cannot approve their own request")
	ErrLocked         = errors.New("locked by another worker")
	ErrNoApprover     = errors.New("no approver available")
	ErrNoSlackUser    = errors.New("no Slack user with that e-mail")
)

// ActiveError is returned by Store.Create when the mailbox already has an
// active request. It answers errors.Is(err, ErrActiveRequest).
type ActiveError struct{ ID string }

func (e *ActiveError) Error() string        { return "mailbox already has active request " + e.ID }
func (e *ActiveError) Is(target error) bool { return target == ErrActiveRequest }

// MessageRef points at a Slack message that the bot may update later.
type MessageRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Decision is the final decision on a request: the reject, or the
// approval that completed the count (Request.Required). Each approval is
// also one of Request.Votes.
type Decision struct {
	By       string    `json:"by"` // Slack user id
	At       time.Time `json:"at"`
	Approved bool      `json:"approved"`
	Click    string    `json:"click,omitempty"` // the click's action_ts, to recognise a retried job

	// Fingerprint is the fingerprint of the plan the decider was shown
	// (Request.Fingerprint when they decided); the run stops when it no
	// longer matches.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Announced is set once the decision's effects (requester told,
	// approval messages and audit updated) are done: a retried click job
	// then only answers the clicker.
	Announced bool `json:"announced,omitempty"`
}

// StepState is the progress of one planned step.
type StepState struct {
	mailbox.Step
	Status    mailbox.Status `json:"status,omitempty"` // "" until run; then done, skipped, pending, or "failed"
	Detail    string         `json:"detail,omitempty"`
	Error     string         `json:"error,omitempty"` // Microsoft's own text when it failed
	Attempts  int            `json:"attempts,omitempty"`
	Faults    int            `json:"faults,omitempty"` // passing faults in a row (throttling, 5xx, undelivered credential)
	StartedAt time.Time      `json:"started_at,omitzero"`
	EndedAt   time.Time      `json:"ended_at,omitzero"`
	// Before is what the step changed, as it was (mailbox.Outcome.Before):
	// what a reverse step puts back.
	Before *mailbox.Settings `json:"before,omitempty"`
}

// StepFailed marks a step that failed for good.
const StepFailed mailbox.Status = "failed"

// Event is one line of a request's history; each is appended to the audit
// log in the same transaction as the change it records.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"` // Slack user id, or "bot"
	Type  string    `json:"type"`            // "created", "approved", "step", ...
	From  State     `json:"from,omitempty"`
	To    State     `json:"to,omitempty"`
	Note  string    `json:"note,omitempty"`
}

// Request is one operation asked for in Slack, from creation to its end.
type Request struct {
	ID             string            `json:"id"`
	Version        int64             `json:"version"` // bumped by the Store on each write
	Op             mailbox.Operation `json:"op"`
	Plan           mailbox.Plan      `json:"plan"`
	Requester      string            `json:"requester"` // Slack user id
	TeamID         string            `json:"team_id"`
	Channel        string            `json:"channel,omitempty"`       // where the command was typed
	Approvers      []string          `json:"approvers"`               // Slack user ids
	ApproverSource string            `json:"approver_source"`         // SourceManager, SourceOwners or SourceConfigured
	ApproverNote   string            `json:"approver_note,omitempty"` // why the manager was passed over
	// Beneficiaries are the addresses (user principal names, mail, smtp
	// proxy addresses; lower case) of everyone who gains access by the
	// change, groups expanded: none of them may approve it (rule 16). nil:
	// not recorded (a request of a batch, or an older one).
	Beneficiaries []string  `json:"beneficiaries,omitempty"`
	State         State     `json:"state"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	Decision      *Decision `json:"decision,omitempty"`
	// Votes are the approvals given, in order, each with the fingerprint
	// of the plan its approver was shown; only those for Fingerprint, one
	// per approver, count (Counted). Decision is set when they reach
	// Required, or at the first reject.
	Votes []Decision `json:"votes,omitempty"`
	// Required is how many distinct approvers must approve
	// (Config.ApprovalsRequired when the request was made); 0 means one.
	Required int `json:"required,omitempty"`
	// Escalated are the configured approvers asked besides those the
	// policy found: at the reminder, or at once to make up Required
	// (escalate.go). They are among Approvers.
	Escalated    []string     `json:"escalated,omitempty"`
	Steps        []StepState  `json:"steps"`
	RunSeq       int          `json:"run_seq"` // bumped each time the run is (re)scheduled
	NextRunAt    time.Time    `json:"next_run_at,omitzero"`
	Failure      string       `json:"failure,omitempty"`
	RetryUntil   time.Time    `json:"retry_until,omitzero"` // a failed request may be retried until then
	Reminded     bool         `json:"reminded,omitempty"`   // the approvers were reminded
	Batch        string       `json:"batch,omitempty"`      // the batch it belongs to (several mailboxes at once)
	Approvals    []MessageRef `json:"approvals,omitempty"`  // the approvers' DMs
	AuditMessage *MessageRef  `json:"audit_message,omitempty"`
	History      []Event      `json:"history"`

	// Fingerprint is Plan.Fingerprint() when the request was built: what
	// a decision is bound to. Before the first change the run checks that
	// the stored plan still has it (recheck.go).
	Fingerprint string `json:"fingerprint,omitempty"`
	// Guided are the people told how to use the mailbox when the request
	// succeeded (lower-case user principal names, "upn on mailbox" for a
	// right on another mailbox; those Slack does not
	// know too), and GuidanceDone says everyone was (bot/guidance.go).
	Guided       []string `json:"guided,omitempty"`
	GuidanceDone bool     `json:"guidance_done,omitempty"`
	// GuidanceTries counts the rounds of guidance (at most StepRetries).
	GuidanceTries int `json:"guidance_tries,omitempty"`
	// RecheckFaults counts, in a row, the re-checks before a start that
	// could not read the live state (a passing fault).
	RecheckFaults int `json:"recheck_faults,omitempty"`

	// UndoUntil is when the Undo of a succeeded request ends (set as it
	// succeeds, Config.UndoWindow); zero: it offers none. UndoneBy is the
	// last undo asked of it (undo.go); an undo's own Op.Undo.Of names the
	// request it undoes.
	UndoUntil time.Time `json:"undo_until,omitzero"`
	UndoneBy  string    `json:"undone_by,omitempty"`
}

// IsApprover reports whether user may decide r.
func (r *Request) IsApprover(user string) bool { return slices.Contains(r.Approvers, user) }

// Record appends an event to the history.
func (r *Request) Record(e Event) { r.History = append(r.History, e) }

// Clone returns a deep copy, so that a mutation that is rolled back leaves
// no trace.
func (r *Request) Clone() *Request {
	c := *r
	c.Plan.Findings = slices.Clone(r.Plan.Findings)
	c.Plan.Steps = slices.Clone(r.Plan.Steps)
	c.Approvers = slices.Clone(r.Approvers)
	c.Beneficiaries = slices.Clone(r.Beneficiaries)
	c.Guided = slices.Clone(r.Guided)
	c.Steps = slices.Clone(r.Steps)
	c.Approvals = slices.Clone(r.Approvals)
	c.Votes = slices.Clone(r.Votes)
	c.Escalated = slices.Clone(r.Escalated)
	c.History = slices.Clone(r.History)
	if r.Decision != nil {
		d := *r.Decision
		c.Decision = &d
	}
	if r.AuditMessage != nil {
		m := *r.AuditMessage
		c.AuditMessage = &m
	}
	return &c
}
