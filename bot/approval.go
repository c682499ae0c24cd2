package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Approval: the approvers are asked, a click decides, and every approval
// message follows the request's state.

// askApprovals sends the approval messages of a new request, records them,
// and answers the requester. Run again on a request whose messages were
// already recorded, it only answers.
func (s *Service) askApprovals(ctx context.Context, r *Request, to ReplyTo) error {
	log := s.log.With("request", r.ID, "mailbox", r.Op.Mailbox)
	if r.ApproverSource == PolicyNone {
		s.answer(ctx, to, Answer{Text: words.NoApprovalNeeded(r.ID, opPhrase(r), r.Op.Options.DryRun), Plan: &r.Plan, Request: r})
		return nil
	}
	if r.State == StatePending && len(r.Approvals) == 0 {
		var refs []MessageRef
		var failures []string
		for _, a := range r.Approvers {
			ref, err := s.cfg.Notifier.AskApproval(ctx, r, a)
			if err != nil {
				log.Error("approval message failed", "approver", a, "err", err)
				failures = append(failures, words.Unreachable(a, err))
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
			s.answer(ctx, to, Answer{Text: words.NobodyReached(failures)})
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
	because := ""
	if r.ApproverSource == SourceConfigured {
		because = r.ApproverNote
	}
	text := words.Asked(r.ID, opPhrase(r), r.Op.Options.DryRun, r.Approvers, r.Op.Options.At, because)
	s.answer(ctx, to, Answer{Text: text, Plan: &r.Plan, Request: r})
	return nil
}

// errRetriedClick marks a click job that is run again after its decision
// was written: the side effects are repeated, not the decision.
var errRetriedClick = errors.New("retried click")

// errRepeatedClick: a click whose decision and effects are all done (a
// redelivery, a job retried after it finished); only the clicker is told.
var errRepeatedClick = errors.New("repeated click")

// errBatchMember: a click on one request of a batch with the request's own
// id (an old message, a forged value): a batch is decided as one.
var errBatchMember = errors.New("request is part of a batch")

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
	if c.Action == ActionUndo {
		return s.handleUndo(ctx, undoAsk{Of: c.RequestID, User: c.User, TeamID: c.TeamID, Channel: c.Channel,
			To: ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}})
	}
	if isBatchID(c.RequestID) && s.cfg.Batches != nil {
		return s.handleBatchClick(ctx, c)
	}
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	r, expired, err := s.decide(ctx, c, "")
	switch {
	case errors.Is(err, errBatchMember):
		s.answer(ctx, to, Answer{Text: words.DecideTheBatch(r.ID, r.Batch)})
		return nil
	case errors.Is(err, ErrBeneficiary):
		s.answer(ctx, to, Answer{Text: words.BeneficiaryApproval(r.ID)})
		return nil
	case errors.Is(err, ErrStalePlan):
		s.answer(ctx, to, Answer{Text: staleClickText(r)})
		return nil
	case errors.Is(err, errRepeatedClick):
		s.answer(ctx, to, Answer{Text: words.DecisionStands(r.ID, r.Decision.Approved, r.Decision.At, describeState(r.State))})
		return nil
	case errors.Is(err, ErrNotFound):
		s.answer(ctx, to, Answer{Text: words.UnknownClick(c.RequestID)})
		return nil
	case errors.Is(err, ErrSelfApproval):
		s.answer(ctx, to, Answer{Text: words.SelfApproval(r.ID, r.Approvers)})
		return nil
	case errors.Is(err, errAlreadyVoted):
		s.answer(ctx, to, Answer{Text: votedText(r, true)})
		return nil
	case errors.Is(err, ErrNotApprover):
		s.answer(ctx, to, Answer{Text: words.OnlyApprovers(r.Approvers, r.ID)})
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
	if r.State == StatePending {
		s.answer(ctx, to, Answer{Text: votedText(r, false)})
	}
	return nil
}

// decide applies one click's decision to one request with a single
// compare-and-set, and its effects (the work queued, messages updated,
// the requester told). It returns the sentinel errors of a click that
// changes nothing, with the request as it is. batch is the id of the batch
// whose decision this is, "" for a click on the request's own buttons: a
// request of a batch is decided only with its batch, and prior are then
// the batch's approvals before c's. An approval that does not complete
// the count (votes.go) leaves r pending: it is recorded, every approval
// message shows it, and the requester is told.
func (s *Service) decide(ctx context.Context, c Click, batch string, prior ...Decision) (*Request, bool, error) {
	log := s.log.With("request", c.RequestID, "approver", c.User)
	if c.Approve && batch == "" {
		// Rule 16 at the click: it reads Slack (and, for an older request,
		// Microsoft), so it runs before the compare-and-set, not inside it.
		// A batch checks its approver once, in handleBatchClick.
		if r, err := s.cfg.Store.Get(ctx, c.RequestID); err == nil && r.State == StatePending && r.IsApprover(c.User) && r.Batch == "" &&
			s.isBeneficiary(ctx, r, c.User) {
			log.Warn("approval by someone who gains access refused")
			return r, false, ErrBeneficiary
		}
	}
	expired, counted := false, false
	r, err := s.cfg.Store.Update(ctx, c.RequestID, func(r *Request) error {
		expired, counted = false, false // a compare-and-set that lost runs this again
		if r.TeamID != "" && c.TeamID != r.TeamID {
			return ErrNotApprover
		}
		if c.User == r.Requester {
			return ErrSelfApproval
		}
		if !r.IsApprover(c.User) {
			return ErrNotApprover
		}
		if r.Batch != batch {
			return errBatchMember
		}
		if d := r.Decision; d != nil && d.By == c.User && d.Click == c.ActionTS && d.Approved == c.Approve && c.ActionTS != "" {
			return errRetriedClick
		}
		if r.State != StatePending {
			return ErrAlreadyDecided
		}
		mine, voted := votedBy(r.Counted(), c.User)
		if voted && c.Approve && mine.Click == c.ActionTS && c.ActionTS != "" {
			return errRetriedVote
		}
		if c.Approve {
			if err := checkClickFingerprint(r, c); err != nil {
				return err
			}
		}
		if voted && c.Approve {
			return errAlreadyVoted
		}
		now := s.cfg.Now()
		if !now.Before(r.ExpiresAt) {
			expired = true
			return s.transition(r, StateExpired, "bot", "expired", "a click arrived after the deadline")
		}
		d := Decision{By: c.User, At: now, Approved: c.Approve, Click: c.ActionTS, Fingerprint: r.Fingerprint}
		if !c.Approve {
			r.Decision = &d
			return s.transition(r, StateRejected, c.User, "rejected", "")
		}
		for _, v := range prior {
			// The batch's earlier approvals, each applied to this request
			// with its plan (a batch is decided as one; handleBatchClick).
			if _, ok := votedBy(r.Counted(), v.By); !ok && v.By != c.User {
				r.Votes = append(r.Votes, Decision{By: v.By, At: v.At, Approved: true, Click: v.Click + "/" + r.ID, Fingerprint: r.Fingerprint})
			}
		}
		if !s.vote(r, d) {
			counted = true
			return nil
		}
		r.Decision = &d
		r.RunSeq = 1
		if at := r.Op.Options.At; at.After(now) {
			r.NextRunAt = at // scheduled: approved now, run then
		}
		note := ""
		if need := r.Needed(); need > 1 {
			note = fmt.Sprintf("%d of %d", need, need)
		}
		return s.transition(r, StateApproved, c.User, "approved", note)
	})
	switch {
	case errors.Is(err, ErrSelfApproval):
		log.Warn("self-approval refused")
		return r, false, err
	case errors.Is(err, ErrNotApprover):
		log.Warn("click by someone who is not an approver refused")
		return r, false, err
	case errors.Is(err, errBatchMember):
		log.Warn("click on a batch member refused: the batch decides", "batch", r.Batch)
		return r, false, err
	case errors.Is(err, ErrStalePlan):
		log.Warn("click on a message that showed another plan refused")
		return r, false, err
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrAlreadyDecided), errors.Is(err, errAlreadyVoted):
		return r, false, err
	case errors.Is(err, errRetriedVote):
		log.Info("click job retried after its approval was counted: repeating its effects")
		s.afterVote(ctx, r, true)
		return r, false, nil
	case errors.Is(err, errRetriedClick) && r.Decision.Announced:
		log.Info("click repeated after its effects: only the clicker is answered")
		// The queue's job ids make this a no-op when the run is queued.
		if r.State == StateApproved {
			if err := s.enqueueRun(ctx, r); err != nil {
				log.Error("queue approved work failed; the reconciler will retry", "err", err)
			}
		}
		return r, false, errRepeatedClick
	case errors.Is(err, errRetriedClick):
		log.Info("click job retried: repeating its effects")
	case err != nil:
		return r, false, fmt.Errorf("decide %s: %w", c.RequestID, err)
	}
	if expired {
		s.afterExpiry(ctx, r)
		return r, true, nil
	}
	if counted {
		log.Info("approval counted", "approvals", len(r.Counted()), "required", r.Needed())
		s.afterVote(ctx, r, false)
		return r, false, nil
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
		s.tell(ctx, r, words.Rejected(c.User, r.ID, opPhrase(r)))
	case r.NextRunAt.After(s.cfg.Now()):
		s.tell(ctx, r, words.Approved(c.User, r.ID, opPhrase(r), r.Op.Options.DryRun, r.NextRunAt))
	default:
		s.tell(ctx, r, words.Approved(c.User, r.ID, opPhrase(r), r.Op.Options.DryRun, time.Time{}))
	}
	s.audit(ctx, r)
	s.announced(ctx, r)
	return r, false, nil
}

// announced records that the effects of r's decision are done, so that a
// repeated click does not repeat them.
func (s *Service) announced(ctx context.Context, r *Request) {
	click := r.Decision.Click
	if _, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
		if r.Decision == nil || r.Decision.Click != click || r.Decision.Announced {
			return errNothingToDo
		}
		r.Decision.Announced = true
		return nil
	}); err != nil && !errors.Is(err, errNothingToDo) {
		s.log.Warn("record decision announced failed", "request", r.ID, "err", err)
	}
}

func decidedText(r *Request) string {
	if d := r.Decision; d != nil {
		return words.AlreadyDecided(r.ID, d.Approved, d.By, d.At)
	}
	switch r.State {
	case StateExpired:
		return words.ExpiredUndecided(r.ID, r.ExpiresAt)
	case StateCancelled:
		return words.CancelledUndecided(r.ID)
	}
	return words.NotWaiting(r.ID, describeState(r.State))
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
