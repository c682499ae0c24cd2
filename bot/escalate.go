package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Escalation (issue 16, Config.Escalate). When the approvers the policy
// found (the manager, or the owners) have not decided by the reminder,
// the configured approvers are asked too, through the same approval
// message with the same plan and fingerprint; the first decision still
// wins, and every message follows it. They are asked at once, when the
// request is made, when the policy's approvers alone cannot make up the
// approvals required (votes.go). Nobody who gains access is asked (rule
// 16), nor the requester; when nobody can be, the history and the log say
// so and the reminder tells the approver that only they can decide.

// Event types of escalation in a request's history; the reminder reads
// them (handlers/notify).
const (
	EventEscalated    = "escalated"
	EventNotEscalated = "not_escalated"
)

// enoughApprovers adds the configured approvers to rt when its approvers
// cannot make up the approvals required of kind alone and escalation is
// on; rt.escalated lists those added.
func (s *Service) enoughApprovers(ctx context.Context, kind mailbox.Kind, requester string, rt routing) routing {
	if len(rt.ids) == 0 || len(rt.ids) >= s.required(kind) || !s.cfg.Escalate || rt.source == SourceConfigured {
		return rt
	}
	ids := slices.Clone(rt.ids)
	var added []string
	for _, a := range s.eligible(ctx, s.cfg.Approvers, requester, &rt, nil) {
		if !slices.Contains(ids, a) {
			ids = append(ids, a)
			added = append(added, a)
		}
	}
	rt.ids, rt.escalated = ids, added
	return rt
}

// escalatedNote is the history's note on approvers asked to make up need.
func escalatedNote(added []string, need int) string {
	return fmt.Sprintf("configured approvers asked too, %d approvals being required: %s", need, strings.Join(added, ", "))
}

// escalation says whom to ask besides r's approvers at its reminder: the
// configured approvers who are neither the requester, nor asked already,
// nor gain access by r's plan as read again now. why says why nobody is
// asked when escalation applies to r; both are empty when it does not
// (escalation off, the configured approvers decide already, or r was
// escalated before).
func (s *Service) escalation(ctx context.Context, r *Request) (add []string, why string) {
	if !s.cfg.Escalate || r.ApproverSource == SourceConfigured || r.ApproverSource == PolicyNone || len(r.Escalated) > 0 {
		return nil, ""
	}
	if len(s.cfg.Approvers) == 0 {
		return nil, "no configured approvers (MAILBOXBOT_APPROVERS is empty)"
	}
	plans := []mailbox.Plan{r.Plan}
	if r.Batch != "" {
		// A batch is decided as one: who gains access by any of its
		// mailboxes is not asked. Unread, nobody is (fail closed).
		var b *Batch
		err := errors.New("no batch store")
		if s.cfg.Batches != nil {
			b, err = s.cfg.Batches.GetBatch(ctx, r.Batch)
		}
		if err != nil {
			s.log.WarnContext(ctx, "escalation: the batch could not be read; nobody else is asked", "request", r.ID, "batch", r.Batch, "err", err)
			return nil, "its batch could not be read"
		}
		members := s.batchRequests(ctx, b)
		if len(members) < len(b.RequestIDs) {
			return nil, "a request of its batch could not be read"
		}
		plans = plans[:0]
		for _, m := range members {
			plans = append(plans, m.Plan)
		}
	}
	gainers, err := s.batchGainers(ctx, plans)
	if err != nil {
		s.log.WarnContext(ctx, "escalation: who gains access could not be read; nobody else is asked", "request", r.ID, "err", err)
		return nil, "who gains access could not be read"
	}
	rt := routing{gainers: gainers}
	for _, a := range s.eligible(ctx, s.cfg.Approvers, r.Requester, &rt, nil) {
		if !r.IsApprover(a) {
			add = append(add, a)
		}
	}
	if len(add) == 0 {
		why = "every configured approver is the requester, gains access, or was asked already"
	}
	return add, why
}

// escalate records, on r at its reminder, the approvers add asked too
// (among them those still eligible), or why nobody is; it returns those
// added.
func escalate(r *Request, add []string, why string, at Event) []string {
	var asked []string
	for _, a := range add {
		if a != r.Requester && !r.IsApprover(a) {
			asked = append(asked, a)
		}
	}
	switch {
	case len(asked) > 0:
		r.Approvers = append(r.Approvers, asked...)
		r.Escalated = append(r.Escalated, asked...)
		at.Type, at.Note = EventEscalated, "asked too, the approvers asked first having not decided: "+strings.Join(asked, ", ")
		r.Record(at)
	case why != "":
		at.Type, at.Note = EventNotEscalated, "nobody else asked: "+why
		r.Record(at)
	}
	return asked
}

// escalateBatch escalates the requests of batch id at its reminder, as
// handleRemind does one request: the configured approvers are added to
// every request of the batch (a click on the batch decides each of them
// as its approver) before the batch, which the caller updates with
// asked. Nothing when the batch is decided or reminded already.
func (s *Service) escalateBatch(ctx context.Context, id string) (asked []string, _ error) {
	b, err := s.cfg.Batches.GetBatch(ctx, id)
	if err != nil || b.Decision != nil || b.Reminded {
		return nil, nil // the reminder's own update finds out
	}
	reqs := s.batchRequests(ctx, b)
	if len(reqs) == 0 || !batchPending(reqs) {
		return nil, nil
	}
	add, why := s.escalation(ctx, reqs[0])
	if e := reqs[0].Escalated; len(e) > 0 {
		add, why = e, "" // a job run again after the requests were escalated
	}
	if len(add) == 0 && why == "" {
		return nil, nil
	}
	now := s.cfg.Now()
	for _, r := range reqs {
		if _, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
			if r.State != StatePending {
				return errNothingToDo
			}
			asked = escalate(r, add, why, Event{At: now, Actor: "bot", Note: "batch " + id})
			if len(asked) == 0 && why == "" {
				return errNothingToDo
			}
			return nil
		}); err != nil && !errors.Is(err, errNothingToDo) {
			return nil, fmt.Errorf("escalate batch %s: %w", id, err)
		}
	}
	if why != "" {
		s.log.Warn("batch not escalated: nobody else can be asked", "batch", id, "why", why)
		return nil, nil
	}
	s.log.Info("batch escalated: the configured approvers are asked too", "batch", id, "asked", strings.Join(add, ","))
	return add, nil
}
