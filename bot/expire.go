package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Expiry: a request nobody decided in time.

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
	s.tell(ctx, r, words.Expired(r.ID, opPhrase(r), s.cfg.ApprovalTimeout))
	s.audit(ctx, r)
}
