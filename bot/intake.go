package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Intake: a command is taken in, its mentions resolved, its operation
// planned, and its request created (routed in route.go, approved in
// approval.go).

// overLimit counts c against its user's rate limit and says whether it
// is over, and for how long. A limiter that fails lets the command
// through: the limit protects, it must not stop the bot.
func (s *Service) overLimit(ctx context.Context, c Command) (time.Duration, bool) {
	if s.cfg.RateLimit == nil {
		return 0, false
	}
	ok, wait, err := s.cfg.RateLimit.Allow(ctx, c.User)
	if err != nil {
		s.log.Warn("rate limit unavailable; command let through", "user", c.User, "err", err)
		return 0, false
	}
	if !ok {
		s.log.Info("command over the user's rate limit refused", "user", c.User, "op", c.Op.Kind, "retry_after", wait)
	}
	return wait, !ok
}

// batchID names the batch a command for several mailboxes creates, from
// its request id: the same again when its job runs again.
func (s *Service) batchID(c Command) string { return "bat" + strings.TrimPrefix(s.requestID(c), "req") }

// resumeCommand carries on with the request or batch that an earlier run
// of c's job stored; resumed is false when there is none.
func (s *Service) resumeCommand(ctx context.Context, c Command, to ReplyTo) (resumed bool, err error) {
	id := s.requestID(c)
	if len(c.Mailboxes) > 1 {
		if s.cfg.Batches == nil {
			return false, nil
		}
		b, err := s.cfg.Batches.GetBatch(ctx, s.batchID(c))
		switch {
		case errors.Is(err, ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("look up batch of %s: %w", id, err)
		case b.Planning == nil:
			return true, s.askBatch(ctx, b, to)
		}
		return true, s.planBatch(ctx, b.ID, b.Planning.Next)
	}
	r, err := s.cfg.Store.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("look up request %s: %w", id, err)
	}
	s.log.Info("command job resumed", "request", id)
	return true, s.askApprovals(ctx, r, to)
}

// handleCommand plans the operation, routes it to an approver, stores the
// request and sends the approval messages. Every way out answers the
// requester; nothing is left pending when a request cannot go ahead.
func (s *Service) handleCommand(ctx context.Context, c Command) error {
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	if c.Action != "" {
		return s.handleRequestCommand(ctx, c)
	}
	// A job run again after it stored its request (a crash, a restart)
	// carries on from there, before the limits and checks that a first run
	// passed: they must not strand a request it made.
	if resumed, err := s.resumeCommand(ctx, c, to); resumed || err != nil {
		return err
	}
	if wait, over := s.overLimit(ctx, c); over {
		s.answer(ctx, to, Answer{Text: words.TooManyRequests(wait)})
		return nil
	}
	if s.cfg.BatchMax > 0 && len(c.Mailboxes) > s.cfg.BatchMax {
		s.answer(ctx, to, Answer{Text: words.TooManyMailboxes(s.cfg.BatchMax, len(c.Mailboxes))})
		return nil
	}
	if problem := s.mayAskProblem(ctx, c); problem != "" {
		s.answer(ctx, to, Answer{Text: problem})
		return nil
	}
	c.Op = s.leaverDefaults(c.Op)
	if len(c.Mailboxes) > 1 {
		return s.handleBatchCommand(ctx, c, to)
	}
	log := s.log.With("op", c.Op.Kind, "mailbox", c.Op.Mailbox, "user", c.User)
	id := s.requestID(c)
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
	plan, err := s.plan(mailbox.WithProgress(ctx, s.planProgress(ctx, to, c.Op.Mailbox)), c.Op, log)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the job is handed back and plans again
		}
		log.Warn("plan failed", "err", err)
		s.answer(ctx, to, Answer{Text: planProblem(c.Op.Mailbox, err)})
		return nil
	}
	if b := plan.Blockers(); len(b) > 0 {
		s.answer(ctx, to, Answer{Text: words.Blocked(phrase(c.Op, plan.Target.Deleted)), Plan: &plan})
		return nil
	}
	if len(plan.Steps) == 0 {
		s.answer(ctx, to, Answer{Text: words.AlreadySo(), Plan: &plan})
		return nil
	}
	r, err := s.routeAndCreate(ctx, id, c, plan, to)
	if r == nil {
		return err
	}
	return s.askApprovals(ctx, r, to)
}

// routeAndCreate routes plan (c's, with steps and no blocker) to the
// approvers that the policy of c.Op.Kind finds, and creates its request
// (createRequest). r is nil, with the requester told why, when nobody may
// approve it or the mailbox has an active request.
func (s *Service) routeAndCreate(ctx context.Context, id string, c Command, plan mailbox.Plan, to ReplyTo) (*Request, error) {
	policy := s.cfg.Policy[c.Op.Kind]
	rt := s.routeRequest(ctx, plan, c.User, policy, true)
	if policy != PolicyNone && len(rt.ids) == 0 {
		what := phrase(c.Op, plan.Target.Deleted)
		text := words.NoApprover(what, rt.why)
		switch {
		case rt.unknown:
			text = words.AccessUnknownAnswer(what)
		case rt.excluded:
			text = words.NobodyLeft(what, rt.why)
		}
		s.answer(ctx, to, Answer{Text: text, Plan: &plan})
		return nil, nil
	}
	if policy != PolicyNone {
		if rt = s.enoughApprovers(ctx, c.Op.Kind, c.User, rt); len(rt.ids) < s.required(c.Op.Kind) {
			s.answer(ctx, to, Answer{Text: words.TooFewApprovers(phrase(c.Op, plan.Target.Deleted), s.required(c.Op.Kind), rt.ids), Plan: &plan})
			return nil, nil
		}
	}
	return s.createRequest(ctx, id, c, plan, rt, to)
}

// newRequest builds, without storing it, the request of plan for c (c.Op
// is its operation) with the approvers route found: pending approval until
// expires, or approved at once (RunSeq 1) when its policy needs none.
func (s *Service) newRequest(id string, c Command, plan mailbox.Plan, approvers []string, source, why string, approved bool, expires time.Time) *Request {
	now := s.cfg.Now()
	r := &Request{
		ID: id, Op: c.Op, Plan: plan, Fingerprint: plan.Fingerprint(), Requester: c.User, TeamID: c.TeamID, Channel: c.Channel,
		Approvers: approvers, ApproverSource: source, ApproverNote: why, State: StatePending,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: expires, Required: s.required(c.Op.Kind),
	}
	if approved {
		r.State, r.RunSeq = StateApproved, 1
	}
	for _, st := range plan.Steps {
		r.Steps = append(r.Steps, StepState{Step: st})
	}
	return r
}

// storeRequest stores a new request, one mailbox's own or a batch's: a
// request pending approval has its expiry queued first (if the request is
// then not created, the expiry finds nothing to expire; the reverse order
// could lose it). Store.Create's *ActiveError comes back as it is.
func (s *Service) storeRequest(ctx context.Context, r *Request) error {
	if r.State == StatePending {
		if err := s.cfg.Queue.Enqueue(ctx, Job{Type: JobExpire, ID: "expire:" + r.ID, RequestID: r.ID, At: r.ExpiresAt}); err != nil {
			return fmt.Errorf("queue expiry of %s: %w", r.ID, err)
		}
	}
	if err := s.cfg.Store.Create(ctx, r); err != nil {
		var active *ActiveError
		if errors.As(err, &active) {
			return err
		}
		return fmt.Errorf("create request for %s: %w", r.Op.Mailbox, err)
	}
	s.observeTransition(r, r.State)
	return nil
}

// createRequest creates the request of one mailbox (newRequest) with the
// approvers and the people who gain access routing found (rt), and stores
// it. A request pending approval has its expiry queued first; one
// its policy lets run without approval (source PolicyNone) has its work
// queued after, at Options.At when that is later. When the mailbox
// already has an active request the requester is told so, and r is nil
// with a nil error.
func (s *Service) createRequest(ctx context.Context, id string, c Command, plan mailbox.Plan, rt routing, to ReplyTo) (*Request, error) {
	now := s.cfg.Now()
	approvers, source, why := rt.ids, rt.source, rt.why
	unapproved := source == PolicyNone
	expires, note := now.Add(s.cfg.ApprovalTimeout), routeNote(source, why)
	if unapproved {
		expires, note = now, "no approval needed (policy)"
	}
	r := s.newRequest(id, c, plan, approvers, source, why, unapproved, expires)
	if rt.gainers != nil {
		r.Beneficiaries = addresses(rt.gainers)
	}
	if rt.escalated != nil {
		r.Escalated = rt.escalated
		note += "; " + escalatedNote(rt.escalated, r.Needed())
	}
	if at := c.Op.Options.At; unapproved && at.After(now) {
		r.NextRunAt = at
	}
	r.Record(Event{At: now, Actor: c.User, Type: "created", To: r.State, Note: note})
	if err := s.storeRequest(ctx, r); err != nil {
		var active *ActiveError
		if errors.As(err, &active) {
			s.answer(ctx, to, Answer{Text: s.activeText(ctx, c.Op.Mailbox, active.ID)})
			return nil, nil
		}
		return nil, err
	}
	if !unapproved {
		s.log.Info("request created", "request", r.ID, "op", r.Op.Kind, "mailbox", r.Op.Mailbox, "user", c.User,
			"approver", strings.Join(approvers, ","), "source", source)
		return r, nil
	}
	s.log.Info("request created without approval (policy)", "request", r.ID, "op", r.Op.Kind, "mailbox", r.Op.Mailbox)
	if err := s.enqueueRun(ctx, r); err != nil {
		s.log.Error("queue work failed; the reconciler will retry", "request", r.ID, "err", err)
	}
	s.audit(ctx, r)
	return r, nil
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

// plan runs the pre-checks of op, trying again, StepRetries times in all
// with PlanRetryDelay doubling, while Microsoft answers with a passing
// fault after the clients' own retries (a 503 run of bad luck, throttling
// beyond their wait budget): a request that only had to wait is not
// refused. Any other error ends it at once.
func (s *Service) plan(ctx context.Context, op mailbox.Operation, log *slog.Logger) (mailbox.Plan, error) {
	for try := 1; ; try++ {
		plan, err := s.cfg.Planner.Plan(ctx, op)
		if err == nil || !temporary(err) || try >= s.cfg.StepRetries || ctx.Err() != nil {
			return plan, err
		}
		d := s.cfg.Jitter(s.cfg.PlanRetryDelay << (try - 1))
		log.Warn("pre-checks hit a passing fault; checking again", "try", try, "delay", d, "err", err)
		if err := s.cfg.Sleep(ctx, d); err != nil {
			return plan, err
		}
	}
}

// resolveMentions replaces Slack mentions in op with the people's e-mail
// addresses, which name them in Microsoft 365. problem is a sentence for
// the requester when one cannot be resolved.
func (s *Service) resolveMentions(ctx context.Context, op mailbox.Operation) (mailbox.Operation, string) {
	var problem string
	resolve := func(x string) string {
		id, ok := mrkdwn.MentionID(x)
		if !ok || problem != "" {
			return x
		}
		email, err := s.cfg.Slack.EmailOf(ctx, id)
		if err != nil {
			problem = words.UnknownMention(id)
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

// activeText says that mb already has active request id.
func (s *Service) activeText(ctx context.Context, mb, id string) string {
	other, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return words.ActiveRequest(mb, id, "", "")
	}
	return words.ActiveRequest(mb, id, other.Requester, describeState(other.State))
}

// planProblem says why mb could not be planned.
func planProblem(mb string, err error) string {
	var re *mailbox.RemoteError
	switch {
	case errors.Is(err, mailbox.ErrNoMailbox):
		return words.NoMailbox(mb)
	case errors.Is(err, mailbox.ErrNotFound):
		return words.NotInMicrosoft(mb)
	case errors.As(err, &re):
		return words.MicrosoftError(mb, re.Message, re.Service, re.Status)
	}
	return words.LookupFailed(mb, err)
}

// membersAnswer lists who may use a shared mailbox, as one table; a user
// mailbox's are not listed.
func (s *Service) membersAnswer(ctx context.Context, mbx string) Answer {
	if s.cfg.Members == nil {
		return Answer{Text: words.MembersUnavailable()}
	}
	mb, rows, err := s.cfg.Members(ctx, mbx)
	if err != nil {
		return Answer{Text: planProblem(mbx, err)}
	}
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		return Answer{Text: words.MembersOnlyShared(mbx)}
	}
	return Answer{Text: words.Members(mbx, mb, rows)}
}

// mayAskProblem says why c's requester may not ask for it (mayAsk), as
// the sentence to answer, or "".
func (s *Service) mayAskProblem(ctx context.Context, c Command) string {
	ok, ask, err := s.mayAsk(ctx, c.User, c.Op.Kind)
	switch {
	case err != nil && !ok:
		s.log.Error("who may request: lookup failed", "user", c.User, "op", c.Op.Kind, "err", err)
		return words.RequesterCheckFailed()
	case !ok:
		return words.MayNotAsk(ask)
	}
	return ""
}
