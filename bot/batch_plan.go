// Planning a batch: a command for several mailboxes is planned a chunk
// at a time (JobBatchPlan), each chunk recorded before the next is queued,
// and, all planned, turned into one request per mailbox (finishBatch).
// Deciding and reporting a batch is in batch.go.

package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// batchPlanChunk is how many mailboxes of a batch one job plans (6-8
// Microsoft calls each): a larger batch is planned by a chain of jobs,
// each queued behind the work already waiting, so one large batch cannot
// hold the queue and other people's commands are answered meanwhile.
const batchPlanChunk = 5

// JobBatchPlan plans the next chunk of a batch (Job.RequestID: the batch;
// Job.Seq: the index of the first mailbox of the chunk).
const JobBatchPlan JobType = "batch-plan"

// BatchPlanning is a batch being planned: the command, how far planning
// went, and what it found. It is written with each chunk, so a crash
// resumes at the first chunk not recorded, and no mailbox is lost or
// recorded twice.
type BatchPlanning struct {
	Command Command        `json:"command"`
	Next    int            `json:"next"` // Command.Mailboxes[:Next] are planned
	Plans   []mailbox.Plan `json:"plans,omitempty"`
	Shown   int            `json:"shown,omitempty"` // progress answers sent (at most batchProgressAnswers)
}

// batchProgressAnswers bounds the progress answers of one batch: a
// response_url takes five messages in all.
const batchProgressAnswers = 3

// handleBatchCommand starts planning a command for several mailboxes: a
// few at once in this job, more in a chain of JobBatchPlan jobs. Run
// again (a retried job), it carries on from where the batch stands.
func (s *Service) handleBatchCommand(ctx context.Context, c Command, to ReplyTo) error {
	if s.cfg.Batches == nil || s.cfg.BatchNotifier == nil {
		s.answer(ctx, to, Answer{Text: words.BatchUnavailable()})
		return nil
	}
	now := s.cfg.Now()
	b := &Batch{ID: s.batchID(c), Requester: c.User, TeamID: c.TeamID, Channel: c.Channel,
		Op: c.Op, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ApprovalTimeout), Planning: &BatchPlanning{Command: c},
		Required: s.required(c.Op.Kind)}
	b.Op.Mailbox = ""
	if err := s.cfg.Batches.CreateBatch(ctx, b); err != nil {
		old, gerr := s.cfg.Batches.GetBatch(ctx, b.ID)
		if gerr != nil {
			return fmt.Errorf("create batch %s: %w", b.ID, err)
		}
		if old.Planning == nil {
			return s.askBatch(ctx, old, to) // this job ran before and stopped
		}
		b = old
	}
	return s.planBatch(ctx, b.ID, b.Planning.Next)
}

// handleBatchPlan runs a JobBatchPlan.
func (s *Service) handleBatchPlan(ctx context.Context, j Job) error {
	return s.planBatch(ctx, j.RequestID, j.Seq)
}

// planBatch plans the chunk of batch id that starts at mailbox next and
// records it with one compare-and-set; then queues the next chunk, or,
// all planned, creates the requests and asks for the approval.
func (s *Service) planBatch(ctx context.Context, id string, next int) error {
	// One planner of a batch at a time: two runs of the last chunk would
	// both ask for the approval.
	release, err := s.lockBatch(ctx, "batch-plan:", id, s.cfg.LockTTL)
	if err != nil {
		return err
	}
	defer release()
	b, err := s.cfg.Batches.GetBatch(ctx, id)
	if errors.Is(err, ErrNotFound) {
		s.log.Error("batch to plan is gone", "batch", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("plan batch %s: %w", id, err)
	}
	p := b.Planning
	if p == nil {
		return nil // planned and asked already
	}
	c := p.Command
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	if p.Next == next && next < len(c.Mailboxes) {
		end := min(next+batchPlanChunk, len(c.Mailboxes))
		plans, refused := s.planMailboxes(ctx, c, c.Mailboxes[next:end], p.Plans)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: the job plans this chunk again
		}
		b, err = s.cfg.Batches.UpdateBatch(ctx, id, func(b *Batch) error {
			if b.Planning == nil || b.Planning.Next != next {
				return errNothingToDo // another run recorded this chunk
			}
			b.Planning.Plans = append(b.Planning.Plans, plans...)
			b.Refused = append(b.Refused, refused...)
			b.Planning.Next = end
			return nil
		})
		if err != nil && !errors.Is(err, errNothingToDo) {
			return fmt.Errorf("record plans of batch %s: %w", id, err)
		}
		if b == nil || b.Planning == nil {
			return nil
		}
		p = b.Planning
	}
	if p.Next < len(c.Mailboxes) {
		s.batchProgress(ctx, b, to)
		j := Job{Type: JobBatchPlan, ID: fmt.Sprintf("batch-plan:%s:%d", id, p.Next), RequestID: id, Seq: p.Next}
		if err := s.cfg.Queue.Enqueue(ctx, j); err != nil {
			return fmt.Errorf("queue the planning of batch %s: %w", id, err)
		}
		return nil
	}
	return s.finishBatch(ctx, b, to)
}

// batchProgress tells the requester how far the planning of b went, at
// most batchProgressAnswers times, at even steps.
func (s *Service) batchProgress(ctx context.Context, b *Batch, to ReplyTo) {
	p := b.Planning
	total := len(p.Command.Mailboxes)
	step := p.Next * (batchProgressAnswers + 1) / total // 0..batchProgressAnswers
	if step <= p.Shown {
		return
	}
	if _, err := s.cfg.Batches.UpdateBatch(ctx, b.ID, func(b *Batch) error {
		if b.Planning == nil || b.Planning.Shown >= step {
			return errNothingToDo
		}
		b.Planning.Shown = step
		return nil
	}); err != nil {
		return // shown by another run, or not recorded: no answer rather than two
	}
	s.answer(ctx, to, Answer{Text: words.BatchPlanning(p.Next, total), Replace: true})
}

// planMailboxes plans each of addrs for c, skipping a mailbox already in
// done; it returns the plans that may go ahead and the mailboxes refused.
func (s *Service) planMailboxes(ctx context.Context, c Command, addrs []string, done []mailbox.Plan) ([]mailbox.Plan, []string) {
	var plans []mailbox.Plan
	var refused []string
	for _, addr := range addrs {
		op := c.Op
		op.Mailbox = addr
		op, problem := s.resolveMentions(ctx, op) // a form's user picker
		if problem != "" {
			refused = append(refused, words.Refused(addr, problem))
			continue
		}
		same := func(p mailbox.Plan) bool { return p.Op.Mailbox == op.Mailbox }
		if slices.ContainsFunc(done, same) || slices.ContainsFunc(plans, same) {
			continue
		}
		plan, err := s.cfg.Planner.Plan(ctx, op)
		switch {
		case err != nil:
			refused = append(refused, words.Refused(addr, planProblem(addr, err)))
		case len(plan.Blockers()) > 0:
			f := plan.Blockers()[0]
			refused = append(refused, words.Refused(addr, strings.TrimSpace(f.Text+" "+f.Fix)))
		default:
			plans = append(plans, plan)
		}
	}
	return plans, refused
}

// finishBatch turns a planned batch into one request per mailbox that may
// go ahead, routes it to one approver and asks. Run again after a crash,
// it finds the requests it created and carries on.
func (s *Service) finishBatch(ctx context.Context, b *Batch, to ReplyTo) error {
	c, plans := b.Planning.Command, b.Planning.Plans
	now := s.cfg.Now()
	if len(plans) == 0 {
		s.answer(ctx, to, Answer{Text: words.NoneCanGo(b.Refused)})
		return s.endPlanning(ctx, b.ID, nil, "", nil)
	}
	// One approver for all: the owners' manager when they share one, else
	// the configured approvers; none when the policy says so. Nobody who
	// gains access through any of the mailboxes is asked (rule 16).
	policy := s.cfg.Policy[c.Op.Kind]
	routeBy := policy
	differ := slices.ContainsFunc(plans[1:], func(p mailbox.Plan) bool { return p.Target.ManagerEmail != plans[0].Target.ManagerEmail })
	if differ && policy != PolicyNone {
		routeBy = PolicyApprovers
	}
	var rt routing
	switch gainers, err := s.batchGainers(ctx, plans); {
	case policy == PolicyNone:
		rt = routing{source: PolicyNone}
	case err != nil:
		s.log.WarnContext(ctx, "who gains access: lookup failed; nobody is asked", "batch", b.ID, "err", err)
		rt = routing{unknown: true, why: words.AccessUnknown()}
	default:
		rt = s.routeWith(ctx, plans[0], gainers, c.User, routeBy, true)
	}
	approvers, source, why := rt.ids, rt.source, rt.why
	if differ && policy != PolicyNone && !rt.unknown {
		why = words.DifferentManagers()
	}
	beneficiaries := addresses(rt.gainers)
	if len(approvers) == 0 && policy != PolicyNone {
		s.answer(ctx, to, Answer{Text: words.BatchNoApprover(why)})
		return s.endPlanning(ctx, b.ID, nil, why, nil)
	}
	if policy != PolicyNone {
		// A batch of an operation that needs N approvals needs N distinct
		// approvers of the batch, as one request would.
		if rt = s.enoughApprovers(ctx, c.Op.Kind, c.User, rt); len(rt.ids) < s.required(c.Op.Kind) {
			what := phrase(mailbox.Operation{Kind: c.Op.Kind, Mailbox: words.EachMailbox}, false)
			s.answer(ctx, to, Answer{Text: words.TooFewApprovers(what, s.required(c.Op.Kind), rt.ids)})
			return s.endPlanning(ctx, b.ID, nil, why, nil)
		}
		approvers = rt.ids
	}
	var ids, refused []string
	for i, plan := range plans {
		one := c
		one.Op = plan.Op
		r := s.newRequest(fmt.Sprintf("%s_%d", strings.Replace(b.ID, "bat_", "req_", 1), i+1), one, plan, approvers, source, why, policy == PolicyNone, b.ExpiresAt)
		r.Batch, r.Escalated = b.ID, rt.escalated
		if policy != PolicyNone {
			r.Beneficiaries = beneficiaries // of the whole batch, which is approved as one
		}
		r.Record(Event{At: now, Actor: c.User, Type: "created", To: r.State, Note: "in batch " + b.ID})
		if err := s.storeRequest(ctx, r); err != nil {
			var active *ActiveError
			if errors.As(err, &active) && active.ID != r.ID {
				refused = append(refused, words.Refused(plan.Op.Mailbox, words.ActiveInBatch(active.ID)))
				continue
			}
			// This job ran before and stopped midway: the request is ours.
			if old, gerr := s.cfg.Store.Get(ctx, r.ID); gerr == nil && old.Batch == b.ID {
				ids = append(ids, r.ID)
				continue
			}
			return err
		}
		ids = append(ids, r.ID)
	}
	if err := s.endPlanning(ctx, b.ID, approvers, why, func(b *Batch) {
		b.RequestIDs = ids
		b.Refused = append(b.Refused, refused...)
	}); err != nil {
		return err
	}
	b, err := s.cfg.Batches.GetBatch(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	if len(b.RequestIDs) == 0 { // every mailbox already had an active request
		s.answer(ctx, to, Answer{Text: words.NoneCanGo(b.Refused)})
		return nil
	}
	if policy == PolicyNone {
		return s.startBatch(ctx, b, to)
	}
	s.log.Info("batch created", "batch", b.ID, "requests", len(b.RequestIDs), "refused", len(b.Refused))
	return s.askBatch(ctx, b, to)
}

// endPlanning records the end of a batch's planning: its approvers, and
// what fn adds (nil: nothing was requested).
func (s *Service) endPlanning(ctx context.Context, id string, approvers []string, why string, fn func(*Batch)) error {
	if _, err := s.cfg.Batches.UpdateBatch(ctx, id, func(b *Batch) error {
		if b.Planning == nil {
			return errNothingToDo
		}
		b.Approvers, b.ApproverNote, b.Planning = approvers, why, nil
		if fn != nil {
			fn(b)
		}
		return nil
	}); err != nil && !errors.Is(err, errNothingToDo) {
		return fmt.Errorf("record the requests of batch %s: %w", id, err)
	}
	return nil
}
