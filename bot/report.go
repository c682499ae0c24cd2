package bot

import (
	"context"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Reporting: state transitions, and what the requester, the audit
// channel and the Home tabs are told of them.

func (s *Service) answer(ctx context.Context, to ReplyTo, a Answer) {
	if err := s.cfg.Notifier.Answer(ctx, to, a); err != nil {
		s.log.Error("answer in Slack failed", "user", to.User, "err", err)
	}
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

func (s *Service) tell(ctx context.Context, r *Request, headline string) {
	if r.Batch != "" {
		s.batchChanged(ctx, r.Batch) // one report for the batch, not one message per mailbox
		return
	}
	if err := s.cfg.Notifier.Tell(ctx, r.Requester, r, headline); err != nil {
		s.log.Error("direct message to requester failed", "request", r.ID, "err", err)
	}
}

// describeState says what st means to people.
func describeState(st State) string { return words.State(string(st)) }

// opPhrase says what r does: "convert *a@b* to a shared mailbox".
func opPhrase(r *Request) string { return phrase(r.Op, r.Plan.Target.Deleted) }

// phrase says what op does, for a deleted user when deleted (rule 10).
func phrase(op mailbox.Operation, deleted bool) string {
	return words.Phrase(op, mailbox.Target{Deleted: deleted}, true)
}
