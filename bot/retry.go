package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Retry: a failed request run again from its failed step.

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
		s.answer(ctx, to, Answer{Text: words.UnknownClick(c.RequestID)})
		return nil
	case errors.Is(err, ErrNotApprover):
		s.answer(ctx, to, Answer{Text: words.OnlyRetriers(r.Requester, r.Approvers, r.ID)})
		return nil
	case errors.Is(err, errNothingToDo):
		s.answer(ctx, to, Answer{Text: words.NothingToRetry(r.ID, describeState(r.State)), Request: r})
		return nil
	case errors.Is(err, errTooLate) && r.RetryUntil.IsZero():
		s.answer(ctx, to, Answer{Text: words.NotRetryable(r.ID)})
		return nil
	case errors.Is(err, errTooLate):
		s.answer(ctx, to, Answer{Text: words.RetryEnded(r.ID, r.RetryUntil)})
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
	s.tell(ctx, r, words.Retried(c.User, r.ID, from+1))
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return nil
}
