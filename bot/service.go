package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/wait"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Config is everything a Service needs. Store, Queue, Locker, Notifier,
// Slack, Planner and Executor are required.
type Config struct {
	Store    Store
	Queue    Queue
	Locker   Locker
	Notifier Notifier
	Slack    SlackDirectory
	Planner  Planner
	Executor Executor
	// Members answers `/shared-mailbox members`; nil: not available.
	Members MembersReader

	// Approvers are asked when the owner has no manager, the manager has no
	// Slack account, or the manager is the requester (Slack user ids).
	Approvers []string
	// Policy says who approves each kind of operation: PolicyManager (for a
	// conversion the mailbox owner's manager, for the others the
	// requester's), PolicyApprovers, or PolicyNone. A kind not listed
	// falls back to DefaultPolicy.
	Policy map[mailbox.Kind]string
	// People finds the requester's manager for PolicyManager on
	// /shared-mailbox operations (mailbox.Directory does).
	People People
	// Requesters says who may ask for each kind: Slack user ids (U…, W…)
	// and user group ids (S…). A kind not listed: everyone may.
	Requesters map[mailbox.Kind][]string
	// ExtraApprovers are asked, besides the approvers the policy finds, for
	// each kind: user ids and user group ids.
	ExtraApprovers map[mailbox.Kind][]string
	// ApprovalsRequired is how many distinct approvers must approve each
	// kind of operation (votes.go); a kind not listed needs one. New
	// refuses a count no request could reach (MostApprovers).
	ApprovalsRequired map[mailbox.Kind]int
	// Escalate asks the configured approvers too when the approvers the
	// policy found (the manager, the owners) have not decided by the
	// reminder, or cannot make up ApprovalsRequired alone (escalate.go).
	Escalate bool
	// Admins see everyone's recent requests on their Home tab.
	Admins []string
	// ReminderAt is when approvers are reminded, once, as a fraction of
	// ApprovalTimeout (0.5); negative: never.
	ReminderAt float64
	// Batches and BatchNotifier serve commands for several mailboxes at
	// once; nil: such commands are refused.
	Batches       BatchStore
	BatchNotifier BatchNotifier
	// AuditChannel gets one message per request, updated as it moves; ""
	// turns the channel off (the audit stream in the Store stays).
	AuditChannel string
	// ApprovalTimeout is how long a request waits for a decision (24 h).
	ApprovalTimeout time.Duration
	// VerifyTimeout bounds the wait for Exchange to report the new type (30 min).
	VerifyTimeout time.Duration
	// VerifyDelay is the first wait between checks (10 s); it doubles up to
	// VerifyMaxDelay (2 min), with jitter.
	VerifyDelay, VerifyMaxDelay time.Duration
	// MailboxWaitTimeout bounds the wait for a restored user's mailbox to
	// come back (rule 10; 2 h).
	MailboxWaitTimeout time.Duration
	// StepRetries is how many times a step that meets a passing fault
	// (throttling, 5xx) is tried before the request fails (5); RetryDelay
	// is the first wait between tries (30 s), doubling up to VerifyMaxDelay.
	StepRetries int
	RetryDelay  time.Duration
	// PlanRetryDelay is the first wait before planning again when the
	// pre-checks meet a passing fault (2 s, doubling; StepRetries tries
	// in all), while the requester's command waits in its job.
	PlanRetryDelay time.Duration
	// Sleep waits in a job; nil: a timer that ends early with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// UndoWindow is how long after it succeeded a request may be undone
	// (30 days; negative turns undo off).
	UndoWindow time.Duration
	// RetryWindow is how long after a failure the requester may retry it
	// from the failed step without a new approval (24 h; 0 turns it off).
	RetryWindow time.Duration
	// LockTTL is the lifetime of a mailbox lock; it is refreshed while the
	// work runs (1 min).
	LockTTL time.Duration

	Now    func() time.Time
	NewID  func() string
	Jitter func(d time.Duration) time.Duration // spreads retries; default ±20 %
	Logger *slog.Logger
	// Observer is told of each state change and each run of a step
	// (internal/metrics); nil: none.
	Observer Observer
	// RateLimit counts each user's commands for a change (key: the Slack
	// user id) in the command job; one over the limit is told how long to
	// wait and nothing is requested. Status, list and cancel are not
	// counted. nil: no limit.
	RateLimit RateLimiter
	// BatchMax is the most mailboxes one command may name (0: no limit
	// here; the parser's command.MaxBulk stays).
	BatchMax int
	// LeaverRemoveAccess and LeaverManagerAccess are what a conversion to
	// shared does when the requester says neither remove-access nor
	// keep-access (MAILBOXBOT_LEAVER_REMOVE_ACCESS), nor manager-access nor
	// no-manager-access (MAILBOXBOT_LEAVER_MANAGER_ACCESS); see leaver.go.
	LeaverRemoveAccess, LeaverManagerAccess bool
}

// Observer watches the lifecycle: Transition for each state a request
// enters (op is its mailbox.Kind), Step for each run of a step, with its
// outcome (done, skipped, pending, or error) and how long it took.
type Observer interface {
	Transition(op, state string)
	Step(step, status string, d time.Duration)
}

// People reads users and managers (mailbox.Directory).
type People interface {
	User(ctx context.Context, idOrUPN string) (mailbox.User, error)
	Manager(ctx context.Context, userID string) (mailbox.User, error)
}

// MembersReader reads who may use a mailbox (mailbox.Members over Exchange).
type MembersReader func(ctx context.Context, mbx string) (mailbox.Mailbox, []mailbox.Member, error)

// Service runs the request lifecycle. It is safe for concurrent use, and
// several replicas may run against one Store and Queue.
type Service struct {
	cfg Config
	log *slog.Logger
	// homeQueued: user → the batchDelay window whose Home job this
	// process has queued (homeChanged).
	homeQueued sync.Map
}

// New checks cfg and fills in defaults.
func New(cfg Config) (*Service, error) {
	var missing []string
	for name, v := range map[string]any{"Store": cfg.Store, "Queue": cfg.Queue, "Locker": cfg.Locker,
		"Notifier": cfg.Notifier, "Slack": cfg.Slack, "Planner": cfg.Planner, "Executor": cfg.Executor} {
		if v == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("bot: missing %s", strings.Join(missing, ", "))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.ApprovalTimeout, 24*time.Hour)
	def(&cfg.VerifyTimeout, 30*time.Minute)
	def(&cfg.VerifyDelay, 10*time.Second)
	def(&cfg.VerifyMaxDelay, 2*time.Minute)
	def(&cfg.LockTTL, time.Minute)
	def(&cfg.MailboxWaitTimeout, 2*time.Hour)
	def(&cfg.RetryDelay, 30*time.Second)
	def(&cfg.PlanRetryDelay, 2*time.Second)
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	if cfg.ReminderAt == 0 {
		cfg.ReminderAt = 0.5
	}
	if cfg.StepRetries <= 0 {
		cfg.StepRetries = 5
	}
	if cfg.RetryWindow < 0 {
		cfg.RetryWindow = 0
	} else if cfg.RetryWindow == 0 {
		cfg.RetryWindow = 24 * time.Hour
	}
	if cfg.UndoWindow < 0 {
		cfg.UndoWindow = 0
	} else if cfg.UndoWindow == 0 {
		cfg.UndoWindow = DefaultUndoWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = NewID
	}
	if cfg.Jitter == nil {
		cfg.Jitter = jitter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	policy, err := ResolvePolicy(cfg.Policy)
	if err != nil {
		return nil, err
	}
	cfg.Policy = policy
	if err := checkRequired(cfg); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// NewID returns a new request id such as "req_K7Q3ZD2M".
func NewID() string {
	b := make([]byte, 5)
	rand.Read(b)
	return "req_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func jitter(d time.Duration) time.Duration {
	b := make([]byte, 1)
	rand.Read(b)
	return d + time.Duration(float64(d)*(float64(b[0])/255*0.4-0.2))
}

// AcceptCommand queues a parsed command. It is called on Slack's 3-second
// path, so it does one Redis write and nothing else.
func (s *Service) AcceptCommand(ctx context.Context, c Command) error {
	j := Job{Type: JobCommand, Command: &c}
	if c.TriggerID != "" {
		j.ID = "command:" + c.TeamID + ":" + c.TriggerID // a retried delivery is queued once
	}
	return s.cfg.Queue.Enqueue(ctx, j)
}

// AcceptClick queues an Approve/Reject click. The same click delivered
// twice is queued once.
func (s *Service) AcceptClick(ctx context.Context, c Click) error {
	return s.cfg.Queue.Enqueue(ctx, Job{Type: JobClick, ID: "click:" + c.RequestID + ":" + c.User + ":" + c.ActionTS, Click: &c})
}

// Handle runs one queued job. An error makes the queue retry the job later.
func (s *Service) Handle(ctx context.Context, j Job) error {
	switch j.Type {
	case JobCommand:
		if j.Command == nil {
			return nil
		}
		return s.handleCommand(ctx, *j.Command)
	case JobClick:
		if j.Click == nil {
			return nil
		}
		return s.handleClick(ctx, *j.Click)
	case JobExpire:
		return s.handleExpire(ctx, j.RequestID)
	case JobRemind:
		return s.handleRemind(ctx, j.RequestID)
	case JobHome:
		return s.handleHome(ctx, j.User)
	case JobBatchPlan:
		return s.handleBatchPlan(ctx, j)
	case JobBatch:
		return s.handleBatch(ctx, j.RequestID)
	case JobRun:
		return s.handleRun(ctx, j)
	}
	s.log.Warn("unknown job dropped", "job", j.Type)
	return nil
}

// Errors that abort an Update: nothing to change, or not yet.
var (
	errNothingToDo = errors.New("nothing to do")
	errNotYet      = errors.New("not yet due")
)
