package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
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
}

// Observer watches the lifecycle: Transition for each state a request
// enters (op is its mailbox.Kind), Step for each run of a step, with its
// outcome (done, skipped, pending, or error) and how long it took.
type Observer interface {
	Transition(op, state string)
	Step(step, status string, d time.Duration)
}

// Approval policies.
const (
	PolicyManager   = "manager"
	PolicyApprovers = "approvers"
	PolicyNone      = "none"
)

// DefaultPolicy: conversions, creations and grants need approval (by a
// manager); revocations do not (issue 4).
var DefaultPolicy = map[mailbox.Kind]string{
	mailbox.KindConvertToShared:  PolicyManager,
	mailbox.KindConvertToRegular: PolicyManager,
	mailbox.KindCreateShared:     PolicyManager,
	mailbox.KindGrant:            PolicyManager,
	mailbox.KindRevoke:           PolicyNone,
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
	policy := map[mailbox.Kind]string{}
	for k, v := range DefaultPolicy {
		policy[k] = v
	}
	for k, v := range cfg.Policy {
		switch v {
		case PolicyManager, PolicyApprovers, PolicyNone:
			policy[k] = v
		default:
			return nil, fmt.Errorf("bot: policy for %s: %q is not manager, approvers or none", k, v)
		}
	}
	cfg.Policy = policy
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
	case JobBatch:
		return s.handleBatch(ctx, j.RequestID)
	case JobRun:
		return s.handleRun(ctx, j)
	}
	s.log.Warn("unknown job dropped", "job", j.Type)
	return nil
}

func (s *Service) answer(ctx context.Context, to ReplyTo, a Answer) {
	if err := s.cfg.Notifier.Answer(ctx, to, a); err != nil {
		s.log.Error("answer in Slack failed", "user", to.User, "err", err)
	}
}

// handleCommand plans the operation, routes it to an approver, stores the
// request and sends the approval messages. Every way out answers the
// requester; nothing is left pending when a request cannot go ahead.
func (s *Service) handleCommand(ctx context.Context, c Command) error {
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	if c.Action != "" {
		return s.handleRequestCommand(ctx, c)
	}
	to0 := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	if c.Op.Kind != mailbox.KindMembers {
		ok, ask, err := s.mayRequest(ctx, c.User, c.Op.Kind)
		if err != nil {
			s.log.Error("who may request: lookup failed", "user", c.User, "op", c.Op.Kind, "err", err)
			s.answer(ctx, to0, Answer{Text: "I couldn't check whether you may ask for this (Slack's user groups did not answer). Nothing was requested; please try again in a few minutes."})
			return nil
		}
		if !ok {
			text := "You may not ask for this. Nothing was requested."
			if len(ask) > 0 {
				text = fmt.Sprintf("You may not ask for this; %s may. Nothing was requested.", mrkdwn.Mentions(ask))
			}
			s.answer(ctx, to0, Answer{Text: text})
			return nil
		}
	}
	if len(c.Mailboxes) > 1 {
		return s.handleBatchCommand(ctx, c, to0)
	}
	log := s.log.With("op", c.Op.Kind, "mailbox", c.Op.Mailbox, "user", c.User)
	id := s.requestID(c)
	if r, err := s.cfg.Store.Get(ctx, id); err == nil {
		// This job ran before and stopped after creating the request (a
		// crash, a restart): carry on from there rather than start again.
		log.Info("command job resumed", "request", id)
		return s.askApprovals(ctx, r, to)
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("look up request %s: %w", id, err)
	}
	op, problem := s.resolveMentions(ctx, c.Op)
	if problem != "" {
		s.answer(ctx, to, Answer{Text: problem})
		return nil
	}
	c.Op = op
	if c.Op.Kind == mailbox.KindMembers {
		s.answer(ctx, to, s.membersAnswer(ctx, c.Op.Mailbox))
		return nil
	}
	plan, err := s.plan(ctx, c.Op, log)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the job is handed back and plans again
		}
		log.Warn("plan failed", "err", err)
		s.answer(ctx, to, Answer{Text: planProblem(c.Op.Mailbox, err)})
		return nil
	}
	if b := plan.Blockers(); len(b) > 0 {
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("I can't %s. Nothing was requested.", phrase(c.Op, plan.Target.Deleted)), Plan: &plan})
		return nil
	}
	if len(plan.Steps) == 0 {
		s.answer(ctx, to, Answer{Text: "Nothing to do: it is already so. Nothing was requested.", Plan: &plan})
		return nil
	}
	policy := s.cfg.Policy[c.Op.Kind]
	approvers, source, why := s.route(ctx, plan, c.User, policy)
	if policy != PolicyNone {
		approvers = s.withExtraApprovers(ctx, c.Op.Kind, c.User, approvers)
	}
	if policy == PolicyNone {
		return s.startUnapproved(ctx, c, plan, to)
	}
	if len(approvers) == 0 {
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("No one can approve this request to %s: %s, and no other approvers are configured (MAILBOXBOT_APPROVERS). Nothing was requested; ask the bot's administrators to name approvers.", phrase(c.Op, plan.Target.Deleted), why), Plan: &plan})
		return nil
	}
	now := s.cfg.Now()
	r := &Request{
		ID: id, Op: c.Op, Plan: plan, Requester: c.User, TeamID: c.TeamID, Channel: c.Channel,
		Approvers: approvers, ApproverSource: source, ApproverNote: why, State: StatePending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.cfg.ApprovalTimeout),
	}
	for _, st := range plan.Steps {
		r.Steps = append(r.Steps, StepState{Step: st})
	}
	r.Record(Event{At: now, Actor: c.User, Type: "created", To: StatePending, Note: routeNote(source, why)})
	// The expiry is queued first: if the request is then not created, the
	// expiry finds nothing to expire; the reverse order could lose it.
	if err := s.cfg.Queue.Enqueue(ctx, Job{Type: JobExpire, ID: "expire:" + r.ID, RequestID: r.ID, At: r.ExpiresAt}); err != nil {
		return fmt.Errorf("queue expiry of %s: %w", r.ID, err)
	}
	if err := s.cfg.Store.Create(ctx, r); err != nil {
		var active *ActiveError
		if errors.As(err, &active) {
			s.answer(ctx, to, Answer{Text: s.activeText(ctx, c.Op.Mailbox, active.ID)})
			return nil
		}
		return fmt.Errorf("create request for %s: %w", c.Op.Mailbox, err)
	}
	log.Info("request created", "request", r.ID, "approver", strings.Join(approvers, ","), "source", source)
	s.observeTransition(r, r.State)
	return s.askApprovals(ctx, r, to)
}

// requestID names the request a command creates. A command from Slack has
// a trigger id, unique to that invocation, so a command job that is run
// twice creates one request.
func (s *Service) requestID(c Command) string {
	if c.TriggerID == "" {
		return s.cfg.NewID()
	}
	sum := sha256.Sum256([]byte(c.TeamID + "\x00" + c.TriggerID))
	return "req_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:5])
}

// askApprovals sends the approval messages of a new request, records them,
// and answers the requester. Run again on a request whose messages were
// already recorded, it only answers.
func (s *Service) askApprovals(ctx context.Context, r *Request, to ReplyTo) error {
	log := s.log.With("request", r.ID, "mailbox", r.Op.Mailbox)
	if r.ApproverSource == PolicyNone {
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("Request `%s`: %s%s. This needs no approval (the bot's policy); the work is queued and I'll report each step.", r.ID, opPhrase(r), dryTag(r)), Plan: &r.Plan, Request: r})
		return nil
	}
	if r.State == StatePending && len(r.Approvals) == 0 {
		var refs []MessageRef
		var failures []string
		for _, a := range r.Approvers {
			ref, err := s.cfg.Notifier.AskApproval(ctx, r, a)
			if err != nil {
				log.Error("approval message failed", "approver", a, "err", err)
				failures = append(failures, fmt.Sprintf("<@%s>: %v", a, err))
				continue
			}
			refs = append(refs, ref)
		}
		if len(refs) == 0 {
			if u, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
				return s.transition(r, StateCancelled, "bot", "cancelled", "no approver could be reached: "+strings.Join(failures, "; "))
			}); err == nil {
				r = u
			} else {
				log.Error("cancel unreachable request failed", "err", err)
			}
			s.audit(ctx, r)
			s.answer(ctx, to, Answer{Text: fmt.Sprintf("I couldn't send the approval request to anyone (%s). Nothing was requested; please try again later.", strings.Join(failures, "; "))})
			return nil
		}
		if u, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
			r.Approvals = append(r.Approvals, refs...)
			return nil
		}); err == nil {
			r = u
			s.scheduleReminder(ctx, r)
		} else {
			// The messages went out; only their update after the decision
			// is lost.
			log.Error("record approval messages failed", "err", err)
			r.Approvals = append(r.Approvals, refs...)
		}
		s.audit(ctx, r)
	}
	text := fmt.Sprintf("Request `%s`: %s%s. %s will be asked to approve; I'll tell you here and in a direct message what happens.",
		r.ID, opPhrase(r), dryTag(r), mrkdwn.Mentions(r.Approvers))
	if at := r.Op.Options.At; !at.IsZero() {
		text += " Once approved, the work starts at " + mrkdwn.Date(at) + "."
	}
	if r.ApproverSource == "configured" && r.ApproverNote != "" {
		text += " (" + r.ApproverNote + ", so the configured approvers decide.)"
	}
	s.answer(ctx, to, Answer{Text: text, Plan: &r.Plan, Request: r})
	return nil
}

// route picks the approvers: the manager of the mailbox's owner when they
// have a Slack account and are not the requester, else the configured
// approvers other than the requester. why says why the manager was passed over.
func (s *Service) route(ctx context.Context, plan mailbox.Plan, requester, policy string) (ids []string, source, why string) {
	t := plan.Target
	conversion := plan.Op.Kind == mailbox.KindConvertToShared || plan.Op.Kind == mailbox.KindConvertToRegular
	switch {
	case policy == PolicyNone:
		return nil, PolicyNone, ""
	case policy == PolicyApprovers:
		why = "the configured approvers decide this kind of request"
	case !conversion:
		var email string
		email, why = s.requestersManager(ctx, requester)
		if email != "" && plan.Op.Kind == mailbox.KindGrant && strings.EqualFold(email, plan.Op.Trustee) {
			email, why = "", "your manager is the one who would get the access"
		}
		if email != "" {
			t.ManagerEmail = email
			if id, err := s.cfg.Slack.UserIDByEmail(ctx, email); err == nil && id != requester {
				return []string{id}, "manager", ""
			} else if err == nil {
				why = "you are your own manager"
			} else {
				why = fmt.Sprintf("your manager, %s, has no Slack account", email)
			}
		}
	case t.Deleted:
		why = fmt.Sprintf("%s is a deleted account, whose manager cannot be read", t.UserPrincipalName)
	case t.ManagerEmail == "":
		why = fmt.Sprintf("%s has no manager in Microsoft Entra ID", t.UserPrincipalName)
	default:
		id, err := s.cfg.Slack.UserIDByEmail(ctx, t.ManagerEmail)
		switch {
		case errors.Is(err, ErrNoSlackUser):
			why = fmt.Sprintf("the manager, %s, has no Slack account", t.ManagerEmail)
		case err != nil:
			s.log.Warn("manager lookup in Slack failed", "mailbox", t.UserPrincipalName, "err", err)
			why = fmt.Sprintf("I couldn't look up the manager, %s, in Slack", t.ManagerEmail)
		case id == requester:
			why = "you are the owner's manager and cannot approve your own request"
		default:
			return []string{id}, "manager", ""
		}
	}
	for _, a := range s.cfg.Approvers {
		if a != requester && !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return ids, "configured", why
}

func routeNote(source, why string) string {
	if why == "" {
		return "approver: " + source
	}
	return "approver: " + source + " (" + why + ")"
}

func (s *Service) activeText(ctx context.Context, mb, id string) string {
	other, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return fmt.Sprintf("*%s* already has an active request (`%s`). Wait until it ends before asking again. Nothing new was requested.", mb, id)
	}
	return fmt.Sprintf("*%s* already has an active request: `%s` by <@%s>, %s. Wait until it ends before asking again. Nothing new was requested.",
		mb, id, other.Requester, describeState(other.State))
}

func planProblem(mb string, err error) string {
	var re *mailbox.RemoteError
	switch {
	case errors.Is(err, mailbox.ErrNoMailbox):
		return fmt.Sprintf("*%s* exists in Microsoft Entra ID but has no Exchange Online mailbox, so there is nothing to convert. Nothing was requested.", mb)
	case errors.Is(err, mailbox.ErrNotFound):
		return fmt.Sprintf("I can't find *%s* in Microsoft 365 (Entra ID or Exchange Online). Check the address: a user's sign-in name, or a mailbox's e-mail address. Nothing was requested.", mb)
	case errors.As(err, &re):
		return fmt.Sprintf("Microsoft answered an error while I looked up *%s*: “%s” (%s, HTTP %d). Nothing was requested; try again later, and tell the bot's administrators if it persists.", mb, re.Message, re.Service, re.Status)
	}
	return fmt.Sprintf("I couldn't look up *%s*: %v. Nothing was requested; try again later.", mb, err)
}

func describeState(st State) string {
	switch st {
	case StatePending:
		return "waiting for approval"
	case StateApproved:
		return "approved and queued"
	case StateRunning:
		return "running"
	case StateWaiting:
		return "waiting for Exchange"
	}
	return string(st)
}

// transition moves r to state to and records it.
func (s *Service) transition(r *Request, to State, actor, typ, note string) error {
	now := s.cfg.Now()
	r.Record(Event{At: now, Actor: actor, Type: typ, From: r.State, To: to, Note: note})
	r.State = to
	r.UpdatedAt = now
	s.observeTransition(r, to)
	return nil
}

func (s *Service) observeTransition(r *Request, to State) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Transition(string(r.Op.Kind), string(to))
	}
}

// execute runs one step, telling the Observer its outcome and duration
// (wall-clock time, not Config.Now).
func (s *Service) execute(ctx context.Context, t mailbox.Target, step mailbox.Step, dryRun bool) (mailbox.Outcome, error) {
	if s.cfg.Observer == nil {
		return s.cfg.Executor.Run(ctx, t, step, dryRun)
	}
	start := time.Now()
	out, err := s.cfg.Executor.Run(ctx, t, step, dryRun)
	status := string(out.Status)
	if err != nil {
		status = "error"
	}
	s.cfg.Observer.Step(string(step.Name), status, time.Since(start))
	return out, err
}

// audit posts or updates the audit channel message of r.
func (s *Service) audit(ctx context.Context, r *Request) {
	if r == nil {
		return
	}
	if r.Batch != "" {
		s.batchChanged(ctx, r.Batch) // the batch's refresh also refreshes the Home tabs, once
		return
	}
	// Every transition ends here: the Home tabs follow.
	s.refreshHomes(ctx, r)
	if s.cfg.AuditChannel == "" {
		return
	}
	ref, err := s.cfg.Notifier.Audit(ctx, s.cfg.AuditChannel, r, r.AuditMessage)
	if err != nil {
		s.log.Error("audit message failed", "request", r.ID, "err", err)
		return
	}
	if r.AuditMessage == nil {
		if _, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
			if r.AuditMessage == nil {
				r.AuditMessage = &ref
			}
			return nil
		}); err != nil {
			s.log.Error("record audit message failed", "request", r.ID, "err", err)
		}
		r.AuditMessage = &ref
	}
}

// refreshApprovals rewrites every approval message to show r's state.
func (s *Service) refreshApprovals(ctx context.Context, r *Request) {
	if r.Batch != "" {
		s.batchChanged(ctx, r.Batch)
		return
	}
	for _, ref := range r.Approvals {
		if err := s.cfg.Notifier.UpdateApproval(ctx, r, ref); err != nil {
			s.log.Error("update approval message failed", "request", r.ID, "channel", ref.Channel, "err", err)
		}
	}
}

func (s *Service) tell(ctx context.Context, r *Request, headline string) {
	if r.Batch != "" {
		s.batchChanged(ctx, r.Batch) // one report for the batch, not one message per mailbox
		return
	}
	if err := s.cfg.Notifier.Tell(ctx, r.Requester, r, headline); err != nil {
		s.log.Error("direct message to requester failed", "request", r.ID, "err", err)
	}
}

// errRetriedClick marks a click job that is run again after its decision
// was written: the side effects are repeated, not the decision.
var errRetriedClick = errors.New("retried click")

// handleClick applies an Approve or Reject click. The decision is one
// compare-and-set in the Store: the first click wins, every other is told
// who decided and when.
func (s *Service) handleClick(ctx context.Context, c Click) error {
	if c.Action == ActionRetry && isBatchID(c.RequestID) && s.cfg.Batches != nil {
		return s.handleBatchRetry(ctx, c)
	}
	if c.Action == ActionRetry {
		return s.handleRetry(ctx, c)
	}
	if isBatchID(c.RequestID) && s.cfg.Batches != nil {
		return s.handleBatchClick(ctx, c)
	}
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	r, expired, err := s.decide(ctx, c)
	switch {
	case errors.Is(err, ErrNotFound):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("I don't know request `%s`. Your click changed nothing.", c.RequestID)})
		return nil
	case errors.Is(err, ErrSelfApproval):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("You asked for request `%s`, so you can't decide it yourself; %s will. Your click changed nothing.", r.ID, mrkdwn.Mentions(r.Approvers))})
		return nil
	case errors.Is(err, ErrNotApprover):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("Only %s can decide request `%s`. Your click changed nothing.", mrkdwn.Mentions(r.Approvers), r.ID)})
		return nil
	case errors.Is(err, ErrAlreadyDecided):
		s.answer(ctx, to, Answer{Text: decidedText(r), Request: r})
		// The message clicked may be stale (another approver's decision):
		// bring it up to date.
		s.refreshApprovals(ctx, r)
		return nil
	case err != nil:
		return err
	}
	if expired {
		s.answer(ctx, to, Answer{Text: decidedText(r), Request: r})
	}
	return nil
}

// decide applies one click's decision to one request with a single
// compare-and-set, and its effects (the work queued, messages updated,
// the requester told). It returns the sentinel errors of a click that
// changes nothing, with the request as it is.
func (s *Service) decide(ctx context.Context, c Click) (*Request, bool, error) {
	log := s.log.With("request", c.RequestID, "approver", c.User)
	expired := false
	r, err := s.cfg.Store.Update(ctx, c.RequestID, func(r *Request) error {
		if r.TeamID != "" && c.TeamID != r.TeamID {
			return ErrNotApprover
		}
		if c.User == r.Requester {
			return ErrSelfApproval
		}
		if !r.IsApprover(c.User) {
			return ErrNotApprover
		}
		if d := r.Decision; d != nil && d.By == c.User && d.Click == c.ActionTS && d.Approved == c.Approve && c.ActionTS != "" {
			return errRetriedClick
		}
		if r.State != StatePending {
			return ErrAlreadyDecided
		}
		now := s.cfg.Now()
		if !now.Before(r.ExpiresAt) {
			expired = true
			return s.transition(r, StateExpired, "bot", "expired", "a click arrived after the deadline")
		}
		r.Decision = &Decision{By: c.User, At: now, Approved: c.Approve, Click: c.ActionTS}
		if c.Approve {
			r.RunSeq = 1
			if at := r.Op.Options.At; at.After(now) {
				r.NextRunAt = at // scheduled: approved now, run then
			}
			return s.transition(r, StateApproved, c.User, "approved", "")
		}
		return s.transition(r, StateRejected, c.User, "rejected", "")
	})
	switch {
	case errors.Is(err, ErrSelfApproval):
		log.Warn("self-approval refused")
		return r, false, err
	case errors.Is(err, ErrNotApprover):
		log.Warn("click by someone who is not an approver refused")
		return r, false, err
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrAlreadyDecided):
		return r, false, err
	case errors.Is(err, errRetriedClick):
		log.Info("click job retried: repeating its effects")
	case err != nil:
		return r, false, fmt.Errorf("decide %s: %w", c.RequestID, err)
	}
	if expired {
		s.afterExpiry(ctx, r)
		return r, true, nil
	}
	log.Info("request decided", "state", r.State)
	if r.State == StateApproved || r.State.InFlight() {
		if err := s.enqueueRun(ctx, r); err != nil {
			// The decision stands; the reconciler queues the work.
			log.Error("queue approved work failed; the reconciler will retry", "err", err)
		}
	}
	s.refreshApprovals(ctx, r)
	switch {
	case !r.Decision.Approved:
		s.tell(ctx, r, fmt.Sprintf("<@%s> rejected your request `%s` to %s. Nothing was changed.", c.User, r.ID, opPhrase(r)))
	case r.NextRunAt.After(s.cfg.Now()):
		s.tell(ctx, r, fmt.Sprintf("<@%s> approved your request `%s` to %s%s. The work starts at %s; I'll report each step.", c.User, r.ID, opPhrase(r), dryTag(r), mrkdwn.Date(r.NextRunAt)))
	default:
		s.tell(ctx, r, fmt.Sprintf("<@%s> approved your request `%s` to %s%s. The work is queued; I'll report each step.", c.User, r.ID, opPhrase(r), dryTag(r)))
	}
	s.audit(ctx, r)
	return r, false, nil
}

// withExtraApprovers adds the configured extra approvers of kind to ids.
func (s *Service) withExtraApprovers(ctx context.Context, kind mailbox.Kind, requester string, ids []string) []string {
	for _, a := range s.extraApprovers(ctx, kind, requester) {
		if !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return ids
}

func decidedText(r *Request) string {
	at := mrkdwn.Date
	if d := r.Decision; d != nil {
		verb := "rejected"
		if d.Approved {
			verb = "approved"
		}
		return fmt.Sprintf("Request `%s` was already %s by <@%s> on %s. Your click changed nothing.", r.ID, verb, d.By, at(d.At))
	}
	switch r.State {
	case StateExpired:
		return fmt.Sprintf("Request `%s` expired on %s without a decision. Your click changed nothing; ask the requester to ask again if it is still needed.", r.ID, at(r.ExpiresAt))
	case StateCancelled:
		return fmt.Sprintf("Request `%s` was cancelled. Your click changed nothing.", r.ID)
	}
	return fmt.Sprintf("Request `%s` is %s. Your click changed nothing.", r.ID, describeState(r.State))
}

// Errors that abort an Update: nothing to change, or not yet.
var (
	errNothingToDo = errors.New("nothing to do")
	errNotYet      = errors.New("not yet due")
)

// handleExpire expires a request still pending at its deadline.
func (s *Service) handleExpire(ctx context.Context, id string) error {
	var early time.Duration
	r, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		if r.State != StatePending {
			return errNothingToDo
		}
		if now := s.cfg.Now(); now.Before(r.ExpiresAt) {
			// Run early (the queue's clock is another replica's): try again
			// at the deadline rather than drop the expiry.
			early = r.ExpiresAt.Sub(now)
			return errNotYet
		}
		return s.transition(r, StateExpired, "bot", "expired", "no decision in time")
	})
	if errors.Is(err, errNotYet) {
		return &RetryAfterError{Err: err, After: early}
	}
	if errors.Is(err, errNothingToDo) || errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("expire %s: %w", id, err)
	}
	s.afterExpiry(ctx, r)
	return nil
}

func (s *Service) afterExpiry(ctx context.Context, r *Request) {
	s.log.Info("request expired", "request", r.ID, "mailbox", r.Op.Mailbox)
	s.refreshApprovals(ctx, r)
	s.tell(ctx, r, fmt.Sprintf("Your request `%s` to %s expired: nobody decided within %s. Nothing was changed; ask again if it is still needed.",
		r.ID, opPhrase(r), s.cfg.ApprovalTimeout))
	s.audit(ctx, r)
}

// enqueueRun queues the run of r at its current RunSeq.
func (s *Service) enqueueRun(ctx context.Context, r *Request) error {
	return s.cfg.Queue.Enqueue(ctx, Job{Type: JobRun, ID: runJobID(r.ID, r.RunSeq), RequestID: r.ID, Seq: r.RunSeq, At: r.NextRunAt})
}

func runJobID(id string, seq int) string { return fmt.Sprintf("run:%s:%d", id, seq) }

// Reconcile queues the work of every in-flight request whose job may have
// been lost (a crash between a decision and its enqueue). Queue ids make it
// a no-op for work that is already queued or running. Run it at start-up
// and now and then.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	ids, err := s.cfg.Store.InFlight(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	n := 0
	for _, id := range ids {
		r, err := s.cfg.Store.Get(ctx, id)
		if err != nil {
			s.log.Warn("reconcile: get failed", "request", id, "err", err)
			continue
		}
		if !r.State.InFlight() {
			continue
		}
		if err := s.enqueueRun(ctx, r); err != nil {
			return n, fmt.Errorf("reconcile %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// errTooLate: the time to retry a failed request has passed.
var errTooLate = errors.New("too late to retry")

// handleRetry runs a failed request again from its failed step, without a
// new approval, while RetryUntil has not passed. The requester or an
// approver may ask; the mailbox is claimed again.
func (s *Service) handleRetry(ctx context.Context, c Click) error {
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	from := 0
	r, err := s.cfg.Store.Update(ctx, c.RequestID, func(r *Request) error {
		if (r.TeamID != "" && c.TeamID != r.TeamID) || (c.User != r.Requester && !r.IsApprover(c.User)) {
			return ErrNotApprover
		}
		if r.State != StateFailed {
			return errNothingToDo
		}
		now := s.cfg.Now()
		if r.RetryUntil.IsZero() || !now.Before(r.RetryUntil) {
			return errTooLate
		}
		from = len(r.Steps)
		for i := range r.Steps {
			st := &r.Steps[i]
			if st.Status == StepFailed || st.Status == mailbox.Pending || st.Status == "" {
				from = min(from, i)
				st.Status, st.Error, st.Detail, st.Attempts, st.Faults, st.StartedAt, st.EndedAt = "", "", "", 0, 0, time.Time{}, time.Time{}
			}
		}
		r.Failure, r.RetryUntil, r.NextRunAt = "", time.Time{}, time.Time{}
		r.RunSeq++
		return s.transition(r, StateApproved, c.User, "retried", fmt.Sprintf("from step %d", from+1))
	})
	var active *ActiveError
	switch {
	case errors.Is(err, ErrNotFound):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("I don't know request `%s`. Your click changed nothing.", c.RequestID)})
		return nil
	case errors.Is(err, ErrNotApprover):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("Only <@%s>, who asked, or %s can retry request `%s`. Your click changed nothing.", r.Requester, mrkdwn.Mentions(r.Approvers), r.ID)})
		return nil
	case errors.Is(err, errNothingToDo):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("Request `%s` is %s: there is nothing to retry.", r.ID, describeState(r.State)), Request: r})
		return nil
	case errors.Is(err, errTooLate) && r.RetryUntil.IsZero():
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("Request `%s` cannot be retried: it stopped before any change because a rule stood in the way. Ask again with /convert-mailbox once that is fixed.", r.ID)})
		return nil
	case errors.Is(err, errTooLate):
		s.answer(ctx, to, Answer{Text: fmt.Sprintf("The time to retry request `%s` ended on %s. Ask again with /convert-mailbox; it will need a new approval.", r.ID, mrkdwn.Date(r.RetryUntil))})
		return nil
	case errors.As(err, &active):
		s.answer(ctx, to, Answer{Text: s.activeText(ctx, r.Op.Mailbox, active.ID)})
		return nil
	case err != nil:
		return fmt.Errorf("retry %s: %w", c.RequestID, err)
	}
	s.log.Info("request retried", "request", r.ID, "user", c.User, "from_step", from+1)
	if err := s.enqueueRun(ctx, r); err != nil {
		s.log.Error("queue retried work failed; the reconciler will retry", "request", r.ID, "err", err)
	}
	s.tell(ctx, r, fmt.Sprintf("🔁 <@%s> retried request `%s` from step %d, without a new approval.", c.User, r.ID, from+1))
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return nil
}

// startUnapproved creates a request that its policy lets run without
// approval, and queues its work.
func (s *Service) startUnapproved(ctx context.Context, c Command, plan mailbox.Plan, to ReplyTo) error {
	now := s.cfg.Now()
	r := &Request{
		ID: s.requestID(c), Op: c.Op, Plan: plan, Requester: c.User, TeamID: c.TeamID, Channel: c.Channel,
		ApproverSource: PolicyNone, State: StateApproved, RunSeq: 1,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now,
	}
	if at := c.Op.Options.At; at.After(now) {
		r.NextRunAt = at
	}
	for _, st := range plan.Steps {
		r.Steps = append(r.Steps, StepState{Step: st})
	}
	r.Record(Event{At: now, Actor: c.User, Type: "created", To: StateApproved, Note: "no approval needed (policy)"})
	if err := s.cfg.Store.Create(ctx, r); err != nil {
		var active *ActiveError
		if errors.As(err, &active) {
			s.answer(ctx, to, Answer{Text: s.activeText(ctx, c.Op.Mailbox, active.ID)})
			return nil
		}
		return fmt.Errorf("create request for %s: %w", c.Op.Mailbox, err)
	}
	s.log.Info("request created without approval (policy)", "request", r.ID, "op", r.Op.Kind, "mailbox", r.Op.Mailbox)
	s.observeTransition(r, r.State)
	if err := s.enqueueRun(ctx, r); err != nil {
		s.log.Error("queue work failed; the reconciler will retry", "request", r.ID, "err", err)
	}
	s.audit(ctx, r)
	return s.askApprovals(ctx, r, to)
}

// requestersManager finds the requester's manager's e-mail, through their
// Slack e-mail and Entra ID; why says why not.
func (s *Service) requestersManager(ctx context.Context, requester string) (email, why string) {
	if s.cfg.People == nil {
		return "", "managers cannot be looked up"
	}
	mine, err := s.cfg.Slack.EmailOf(ctx, requester)
	if err != nil {
		return "", "I couldn't read your e-mail address in Slack"
	}
	u, err := s.cfg.People.User(ctx, mine)
	if err != nil {
		return "", fmt.Sprintf("your address %s is not a user in Microsoft Entra ID", mine)
	}
	m, err := s.cfg.People.Manager(ctx, u.ID)
	if err != nil {
		return "", "you have no manager in Microsoft Entra ID"
	}
	return m.Email(), ""
}

// mentionID reads a Slack mention "<@U123>" or "<@U123|name>".
func mentionID(s string) (string, bool) {
	if !strings.HasPrefix(s, "<@") || !strings.HasSuffix(s, ">") {
		return "", false
	}
	id, _, _ := strings.Cut(s[2:len(s)-1], "|")
	return id, id != ""
}

// resolveMentions replaces Slack mentions in op with the people's e-mail
// addresses, which name them in Microsoft 365. problem is a sentence for
// the requester when one cannot be resolved.
func (s *Service) resolveMentions(ctx context.Context, op mailbox.Operation) (mailbox.Operation, string) {
	var problem string
	resolve := func(x string) string {
		id, ok := mentionID(x)
		if !ok || problem != "" {
			return x
		}
		email, err := s.cfg.Slack.EmailOf(ctx, id)
		if err != nil {
			problem = fmt.Sprintf("I can't find the e-mail address of <@%s> in Slack, so I can't match them to a Microsoft 365 user. Name them by e-mail address instead. Nothing was requested.", id)
			return x
		}
		return strings.ToLower(email)
	}
	list := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if r := resolve(x); !slices.Contains(out, r) && r != op.Mailbox {
				out = append(out, r)
			}
		}
		return out
	}
	op.Mailbox = resolve(op.Mailbox) // a form's user picker
	op.Trustee = resolve(op.Trustee)
	op.Members = list(op.Members)
	op.Options.FullAccess = list(op.Options.FullAccess)
	op.Options.SendAs = list(op.Options.SendAs)
	return op, problem
}
