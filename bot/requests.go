package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The request commands (status, list, cancel) and the reminder.

// errNotRequester: only the requester may cancel.
var errNotRequester = errors.New("not the requester")

// handleRequestCommand answers `status <id>`, `list` and `cancel <id>`.
func (s *Service) handleRequestCommand(ctx context.Context, c Command) error {
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	if isBatchID(c.RequestID) && s.cfg.Batches != nil && c.Action != CommandList {
		b, err := s.cfg.Batches.GetBatch(ctx, c.RequestID)
		switch {
		case errors.Is(err, ErrNotFound):
			s.answer(ctx, to, Answer{Text: words.UnknownRequest(c.RequestID)})
		case err != nil:
			return fmt.Errorf("%s %s: %w", c.Action, c.RequestID, err)
		case c.Action == CommandCancel:
			s.answer(ctx, to, s.batchCancel(ctx, c.User, b))
		default:
			s.answer(ctx, to, s.batchStatus(ctx, c.User, b))
		}
		return nil
	}
	switch c.Action {
	case CommandList:
		s.answer(ctx, to, s.listAnswer(ctx, c.User))
		return nil
	case CommandStatus:
		r, err := s.cfg.Store.Get(ctx, c.RequestID)
		switch {
		case errors.Is(err, ErrNotFound):
			s.answer(ctx, to, Answer{Text: words.UnknownRequest(c.RequestID)})
			return nil
		case err != nil:
			return fmt.Errorf("status of %s: %w", c.RequestID, err)
		case !s.maySee(c.User, r):
			s.answer(ctx, to, Answer{Text: words.NotYoursToSee(c.RequestID)})
			return nil
		}
		s.answer(ctx, to, Answer{Text: words.Status(r.ID, opPhrase(r), describeState(r.State)) + undoLinks(r), Plan: &r.Plan, Request: r})
		return nil
	case CommandCancel:
		return s.handleCancel(ctx, c, to)
	case CommandUndo:
		return s.handleUndo(ctx, undoAsk{Of: c.RequestID, User: c.User, TeamID: c.TeamID, Channel: c.Channel, To: to})
	}
	s.log.Warn("unknown request command dropped", "action", c.Action)
	return nil
}

func (s *Service) maySee(user string, r *Request) bool {
	return user == r.Requester || r.IsApprover(user) || slices.Contains(s.cfg.Admins, user)
}

// listed is reqs as `list` shows them, each said by what.
func listed(reqs []*Request, what func(*Request) string) []words.Listed {
	out := make([]words.Listed, len(reqs))
	for i, r := range reqs {
		out[i] = words.Listed{ID: r.ID, What: what(r), State: describeState(r.State), Requester: r.Requester, Expires: r.ExpiresAt}
	}
	return out
}

func (s *Service) listAnswer(ctx context.Context, user string) Answer {
	waiting, err1 := s.cfg.Store.List(ctx, ListQuery{Approver: user, Pending: true})
	mine, err2 := s.cfg.Store.List(ctx, ListQuery{Requester: user, Limit: 10})
	if err := errors.Join(err1, err2); err != nil {
		s.log.Error("list requests failed", "user", user, "err", err)
		return Answer{Text: words.ListFailed()}
	}
	return Answer{Text: words.List(listed(awaiting(waiting, user), opPhrase), listed(mine, opPhrase))}
}

// handleCancel cancels a request for its requester while it waits for a
// decision, or once approved until its work starts (a scheduled request).
// Every message about it is updated.
func (s *Service) handleCancel(ctx context.Context, c Command, to ReplyTo) error {
	r, err := s.cfg.Store.Update(ctx, c.RequestID, func(r *Request) error {
		if c.User != r.Requester {
			return errNotRequester
		}
		if !cancellable(r) {
			return errNothingToDo
		}
		return s.transition(r, StateCancelled, c.User, "cancelled", "cancelled by the requester")
	})
	switch {
	case errors.Is(err, ErrNotFound):
		s.answer(ctx, to, Answer{Text: words.UnknownRequest(c.RequestID)})
		return nil
	case errors.Is(err, errNotRequester):
		s.answer(ctx, to, Answer{Text: words.OnlyRequesterCancels(r.Requester, r.ID)})
		return nil
	case errors.Is(err, errNothingToDo):
		s.answer(ctx, to, Answer{Text: words.NotCancellable(r.ID, describeState(r.State)), Request: r})
		return nil
	case err != nil:
		return fmt.Errorf("cancel %s: %w", c.RequestID, err)
	}
	s.log.Info("request cancelled", "request", r.ID, "user", c.User)
	s.answer(ctx, to, Answer{Text: words.Cancelled(r.ID, opPhrase(r)), Request: r})
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return nil
}

// scheduleReminder queues the approvers' reminder of a new request.
func (s *Service) scheduleReminder(ctx context.Context, r *Request) {
	if s.cfg.ReminderAt <= 0 || r.State != StatePending {
		return
	}
	at := r.CreatedAt.Add(time.Duration(float64(r.ExpiresAt.Sub(r.CreatedAt)) * s.cfg.ReminderAt))
	if err := s.cfg.Queue.Enqueue(ctx, Job{Type: JobRemind, ID: "remind:" + r.ID, RequestID: r.ID, At: at}); err != nil {
		s.log.Error("queue reminder failed", "request", r.ID, "err", err)
	}
}

// handleRemind reminds the approvers, once, of a request still pending,
// and escalates it (escalate.go): the configured approvers get the
// approval message.
func (s *Service) handleRemind(ctx context.Context, id string) error {
	if isBatchID(id) && s.cfg.Batches != nil {
		return s.handleBatchRemind(ctx, id)
	}
	// Escalation reads Slack and Microsoft: before the compare-and-set.
	var add, asked []string
	var why string
	if cur, err := s.cfg.Store.Get(ctx, id); err == nil && cur.State == StatePending && !cur.Reminded {
		add, why = s.escalation(ctx, cur)
	}
	r, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		if r.State != StatePending || r.Reminded {
			return errNothingToDo
		}
		r.Reminded = true
		now := s.cfg.Now()
		r.Record(Event{At: now, Actor: "bot", Type: "reminded"})
		asked = escalate(r, add, why, Event{At: now, Actor: "bot"})
		return nil
	})
	if errors.Is(err, errNothingToDo) || errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remind %s: %w", id, err)
	}
	switch {
	case len(asked) > 0:
		s.log.Info("request escalated: the configured approvers are asked too", "request", r.ID, "asked", strings.Join(asked, ","))
	case why != "":
		s.log.Warn("request not escalated: nobody else can be asked", "request", r.ID, "why", why)
	}
	var refs []MessageRef
	for _, a := range awaitingOf(r) {
		remind := s.cfg.Notifier.Remind
		if slices.Contains(asked, a) {
			remind = s.cfg.Notifier.AskApproval // the same approval message, plan and fingerprint
		}
		ref, err := remind(ctx, r, a)
		if err != nil {
			s.log.Error("reminder failed", "request", r.ID, "approver", a, "err", err)
			continue
		}
		refs = append(refs, ref)
	}
	if len(refs) > 0 {
		// So that the decision updates the reminders too.
		u, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
			r.Approvals = append(r.Approvals, refs...)
			return nil
		})
		if err != nil {
			s.log.Error("record reminders failed", "request", id, "err", err)
		} else if u.State != StatePending || len(u.Votes) != len(r.Votes) {
			// Decided (or approved by one more) while the reminders went
			// out: they show it now.
			for _, ref := range refs {
				if err := s.cfg.Notifier.UpdateApproval(ctx, u, ref); err != nil {
					s.log.Error("update reminder failed", "request", id, "err", err)
				}
			}
		}
	}
	return nil
}

// CheckCommand runs a command's pre-checks without asking anyone or
// storing anything: what would stand in the way, as one sentence, or "".
// A form calls it within Slack's time, so that the problem shows next to
// the field; the command job checks again anyway.
//
// Someone who may not ask is told so and nothing else is checked: the
// answer says nothing about the mailbox. CheckCommand is CheckRequester
// then CheckMailbox; a form of many mailboxes, all of one kind and one
// requester, calls CheckRequester once and CheckMailbox for each.
func (s *Service) CheckCommand(ctx context.Context, c Command) (string, error) {
	if problem := s.CheckRequester(ctx, c); problem != "" {
		return problem, nil
	}
	return s.CheckMailbox(ctx, c)
}

// CheckRequester is CheckCommand's first check: whether c.User may ask for
// c.Op.Kind (MAILBOXBOT_REQUESTERS_*, which may mean Slack user group
// lookups), as one sentence, or "". It does not look at the mailbox.
func (s *Service) CheckRequester(ctx context.Context, c Command) string {
	return s.mayAskProblem(ctx, c)
}

// CheckMailbox is the rest of CheckCommand, for a requester who may ask:
// the mentions resolved and the operation planned, what would stand in
// the way as one sentence, or "".
func (s *Service) CheckMailbox(ctx context.Context, c Command) (string, error) {
	op, problem := s.resolveMentions(ctx, c.Op)
	if problem != "" {
		return problem, nil
	}
	plan, err := s.cfg.Planner.Plan(ctx, op)
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return planProblem(op.Mailbox, err), nil
	}
	if b := plan.Blockers(); len(b) > 0 {
		return strings.TrimSpace(b[0].Text + " " + b[0].Fix), nil
	}
	return "", nil
}

// cancellable reports whether r's requester may still cancel it: while it
// waits for a decision, or once approved until its work starts.
func cancellable(r *Request) bool {
	return r.State == StatePending || (r.State == StateApproved && !started(r))
}
