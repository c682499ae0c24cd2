package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Undo (issue 16). A succeeded request may be undone, for
// Config.UndoWindow, by its requester or one of its approvers: with the
// Undo button of its report or `undo <id>`. The undo is a new request of
// the reverse operation (its policy decides who approves), whose plan is
// the reverse of the steps the request actually did (mailbox/reverse.go),
// planned from live data and checked again before its first change like
// any plan. The undo names the request it undoes (Op.Undo.Of) and the
// request its last undo (UndoneBy), so `status` links them both ways.
//
// One undo at a time: the undo's id follows from the request and its last
// undo, so two clicks on Undo (two replicas, a double click) ask for the
// same request, and the Store creates it once. An undo that came to
// nothing (rejected, expired, cancelled) lets another be asked.

// DefaultUndoWindow is how long a succeeded request may be undone.
const DefaultUndoWindow = 30 * 24 * time.Hour

// CommandUndo asks for the undo of a request (Command.Action); ActionUndo
// is the Undo button's action.
const (
	CommandUndo = "undo"
	ActionUndo  = "undo"
)

// undoAsk is one ask for an undo: by whom, of which request, where to
// answer.
type undoAsk struct {
	Of, User, TeamID, Channel string
	To                        ReplyTo
}

// offerUndo sets r.UndoUntil as r succeeds, when it changed something an
// undo can put back.
func (s *Service) offerUndo(r *Request) {
	if s.cfg.UndoWindow <= 0 || r.Op.Undo != nil || r.Op.Options.DryRun || len(doneSteps(r)) == 0 {
		return
	}
	if _, ok := mailbox.ReverseKind(r.Op.Kind); ok {
		r.UndoUntil = s.cfg.Now().Add(s.cfg.UndoWindow)
	}
}

// doneSteps are r's steps that were done (not skipped: what was already so
// was not r's doing), in order.
func doneSteps(r *Request) []mailbox.Step {
	var out []mailbox.Step
	for _, st := range r.Steps {
		if st.Status == mailbox.Done {
			s := st.Step
			// What the step replaced, for the undo to put back.
			s.Settings = st.Before
			out = append(out, s)
		}
	}
	return out
}

// undoID names the undo of r asked after its last one (r.UndoneBy): every
// ask made before another undo is recorded gets the same id.
func undoID(r *Request) string {
	sum := sha256.Sum256([]byte("undo\x00" + r.ID + "\x00" + r.UndoneBy))
	return "req_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:5])
}

// undoRefusal says why r cannot be undone now, or "".
func (s *Service) undoRefusal(r *Request) string {
	now := s.cfg.Now()
	switch {
	case s.cfg.UndoWindow <= 0:
		return words.UndoOff()
	case r.Op.Undo != nil:
		return words.UndoOfUndo(r.ID, r.Op.Undo.Of)
	case r.State == StateFailed:
		return words.UndoFailed(r.ID, r.RetryUntil, now)
	case r.State.Terminal() && r.State != StateSucceeded:
		return words.UndoNothingDone(r.ID, describeState(r.State))
	case r.State != StateSucceeded:
		return words.UndoNotFinished(r.ID, describeState(r.State))
	case r.Op.Options.DryRun:
		return words.UndoDryRun(r.ID)
	}
	if _, ok := mailbox.ReverseKind(r.Op.Kind); !ok || len(doneSteps(r)) == 0 {
		return words.UndoNothingChanged(r.ID)
	}
	if until := s.undoUntil(r); !now.Before(until) {
		return words.UndoTooLate(r.ID, until)
	}
	return ""
}

// undoUntil is when r's undo ends: UndoUntil, or for a request that
// succeeded before it was recorded, the window from when it succeeded.
func (s *Service) undoUntil(r *Request) time.Time {
	if !r.UndoUntil.IsZero() {
		return r.UndoUntil
	}
	for _, e := range r.History {
		if e.To == StateSucceeded {
			return e.At.Add(s.cfg.UndoWindow)
		}
	}
	return r.UpdatedAt.Add(s.cfg.UndoWindow)
}

// handleUndo asks for the undo of a.Of for a.User: checked, planned from
// what it did, routed and created like any request, and linked to it.
func (s *Service) handleUndo(ctx context.Context, a undoAsk) error {
	orig, err := s.cfg.Store.Get(ctx, a.Of)
	switch {
	case errors.Is(err, ErrNotFound):
		s.answer(ctx, a.To, Answer{Text: words.UnknownRequest(a.Of)})
		return nil
	case err != nil:
		return fmt.Errorf("undo %s: %w", a.Of, err)
	case a.User != orig.Requester && !orig.IsApprover(a.User):
		s.answer(ctx, a.To, Answer{Text: words.UndoNotYours(orig.ID, orig.Requester)})
		return nil
	}
	if text := s.undoRefusal(orig); text != "" {
		s.answer(ctx, a.To, Answer{Text: text, Request: orig})
		return nil
	}
	// One ask at a time per request: a second (a double click) waits, then
	// finds the undo the first asked for.
	lock, err := s.cfg.Locker.Obtain(ctx, "undo:"+orig.ID, s.cfg.LockTTL)
	if errors.Is(err, ErrLocked) {
		return &RetryAfterError{Err: err, After: s.cfg.Jitter(time.Second)}
	}
	if err != nil {
		return fmt.Errorf("undo %s: lock: %w", orig.ID, err)
	}
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("release undo lock failed", "request", orig.ID, "err", err)
		}
	}()
	if orig, err = s.cfg.Store.Get(ctx, a.Of); err != nil {
		return fmt.Errorf("undo %s: %w", a.Of, err)
	}
	id := undoID(orig)
	switch r, err := s.cfg.Store.Get(ctx, id); {
	case err == nil:
		return s.undoAsked(ctx, orig, r, a)
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("undo %s: look up %s: %w", orig.ID, id, err)
	}
	if orig.UndoneBy != "" {
		prev, err := s.cfg.Store.Get(ctx, orig.UndoneBy)
		switch {
		case err == nil && !cameToNothing(prev):
			s.answer(ctx, a.To, Answer{Text: words.UndoExists(orig.ID, prev.ID, describeState(prev.State)), Request: prev})
			return nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return fmt.Errorf("undo %s: look up %s: %w", orig.ID, orig.UndoneBy, err)
		}
	}
	op, _ := mailbox.UndoOperation(orig.ID, orig.Op, orig.Plan.Target, doneSteps(orig))
	c := Command{Op: op, User: a.User, TeamID: a.TeamID, Channel: a.Channel, ResponseURL: a.To.ResponseURL}
	if wait, over := s.overLimit(ctx, c); over {
		s.answer(ctx, a.To, Answer{Text: words.TooManyRequests(wait)})
		return nil
	}
	if problem := s.mayAskProblem(ctx, c); problem != "" {
		s.answer(ctx, a.To, Answer{Text: problem})
		return nil
	}
	log := s.log.With("op", op.Kind, "mailbox", op.Mailbox, "user", a.User, "undo_of", orig.ID)
	plan, err := s.plan(ctx, op, log)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		log.Warn("plan of an undo failed", "err", err)
		s.answer(ctx, a.To, Answer{Text: planProblem(op.Mailbox, err)})
		return nil
	case len(plan.Blockers()) > 0:
		s.answer(ctx, a.To, Answer{Text: words.UndoBlocked(orig.ID), Plan: &plan})
		return nil
	case len(plan.Steps) == 0:
		s.answer(ctx, a.To, Answer{Text: words.UndoNothingLeft(orig.ID), Plan: &plan})
		return nil
	}
	r, err := s.routeAndCreate(ctx, id, c, plan, a.To)
	if r == nil {
		return err
	}
	s.linkUndo(ctx, orig.ID, r.ID)
	return s.askApprovals(ctx, r, a.To)
}

// undoAsked answers an ask for an undo that exists already: the job of
// its own ask run again after a crash (its approvers not asked yet) goes
// on; any other ask (a second click) is told it is asked.
func (s *Service) undoAsked(ctx context.Context, orig, r *Request, a undoAsk) error {
	s.linkUndo(ctx, orig.ID, r.ID)
	if r.Requester == a.User && r.State == StatePending && len(r.Approvals) == 0 && r.ApproverSource != PolicyNone {
		return s.askApprovals(ctx, r, a.To)
	}
	s.answer(ctx, a.To, Answer{Text: words.UndoExists(orig.ID, r.ID, describeState(r.State)), Request: r})
	return nil
}

// linkUndo records on request id that undo undoes it. A failure is logged:
// the undo names the request it undoes, and the next ask links them.
func (s *Service) linkUndo(ctx context.Context, id, undo string) {
	_, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		if r.UndoneBy == undo {
			return errNothingToDo
		}
		r.UndoneBy = undo
		r.Record(Event{At: s.cfg.Now(), Actor: "bot", Type: "undo_asked", Note: undo})
		return nil
	})
	if err != nil && !errors.Is(err, errNothingToDo) {
		s.log.Error("link of an undo to its request failed", "request", id, "undo", undo, "err", err)
	}
}

// cameToNothing reports an undo that changed nothing and never will:
// rejected, expired, cancelled. Another undo may then be asked.
func cameToNothing(r *Request) bool {
	return r.State == StateRejected || r.State == StateExpired || r.State == StateCancelled
}

// undoLinks is what `status` adds about r's undo: the request it undoes,
// the undo asked of it.
func undoLinks(r *Request) string {
	of := ""
	if r.Op.Undo != nil {
		of = r.Op.Undo.Of
	}
	return words.UndoLinks(of, r.UndoneBy)
}
