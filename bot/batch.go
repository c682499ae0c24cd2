package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// A batch is a request for several mailboxes at once (issue 5): one
// approval and one report for the people, while each mailbox is still its
// own Request with its own plan, lock and outcome, so one failing does not
// stop the others. The messages of a batch are refreshed by one coalesced
// job, so a batch of hundreds stays within Slack's chat.update limits.

// Batch groups the requests of one command for several mailboxes.
type Batch struct {
	ID           string            `json:"id"`
	Version      int64             `json:"version"`
	Requester    string            `json:"requester"`
	TeamID       string            `json:"team_id"`
	Channel      string            `json:"channel,omitempty"`
	Op           mailbox.Operation `json:"op"` // the operation, without Mailbox
	Approvers    []string          `json:"approvers"`
	ApproverNote string            `json:"approver_note,omitempty"`
	RequestIDs   []string          `json:"request_ids"`
	Refused      []string          `json:"refused,omitempty"` // "address: why", not requested
	CreatedAt    time.Time         `json:"created_at"`
	ExpiresAt    time.Time         `json:"expires_at"`
	Decision     *Decision         `json:"decision,omitempty"`
	// Votes and Required are as a Request's: the batch is decided as one,
	// and its Decision is set when Required distinct approvers approved.
	Votes        []Decision   `json:"votes,omitempty"`
	Required     int          `json:"required,omitempty"`
	Approvals    []MessageRef `json:"approvals,omitempty"`
	Report       *MessageRef  `json:"report,omitempty"` // the requester's DM, updated
	AuditMessage *MessageRef  `json:"audit_message,omitempty"`
	Reminded     bool         `json:"reminded,omitempty"`
	// Planning is set while the mailboxes are being planned, nil after.
	Planning *BatchPlanning `json:"planning,omitempty"`
}

// BatchStore keeps batches (bot/redisstore implements it next to Store).
type BatchStore interface {
	CreateBatch(ctx context.Context, b *Batch) error
	GetBatch(ctx context.Context, id string) (*Batch, error)
	UpdateBatch(ctx context.Context, id string, fn func(*Batch) error) (*Batch, error)
}

// BatchNotifier shows a batch in Slack (handlers/notify implements it).
type BatchNotifier interface {
	// BatchApproval posts (ref nil) or updates an approver's message for b:
	// one message, one pair of buttons whose value is the batch id.
	BatchApproval(ctx context.Context, b *Batch, reqs []*Request, approver string, ref *MessageRef) (MessageRef, error)
	// BatchReport posts (ref nil) or updates the requester's report of b,
	// or (channel set) the audit channel's message of b.
	BatchReport(ctx context.Context, channel string, b *Batch, reqs []*Request, ref *MessageRef) (MessageRef, error)
}

// JobBatch refreshes a batch's messages.
const JobBatch JobType = "batch"

// batchDelay is how long changes to a batch are gathered before its
// messages are refreshed: at most one update per message per 2 s.
const batchDelay = 2 * time.Second

func isBatchID(id string) bool { return strings.HasPrefix(id, "bat_") }

// startBatch queues the work of a batch that its policy lets run without
// approval.
func (s *Service) startBatch(ctx context.Context, b *Batch, to ReplyTo) error {
	var errs []error
	for _, r := range s.batchRequests(ctx, b) {
		if err := s.enqueueRun(ctx, r); err != nil {
			errs = append(errs, err) // the reconciler queues it later
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Error("queue batch work failed; the reconciler will retry", "batch", b.ID, "err", err)
	}
	s.answer(ctx, to, Answer{Text: words.BatchNoApprovalNeeded(b.ID, len(b.RequestIDs))})
	s.batchChanged(ctx, b.ID)
	return nil
}

// askBatch sends the batch's approval messages (once) and answers.
func (s *Service) askBatch(ctx context.Context, b *Batch, to ReplyTo) error {
	reqs := s.batchRequests(ctx, b)
	if len(b.Approvals) == 0 && len(reqs) > 0 {
		var refs []MessageRef
		for _, a := range b.Approvers {
			ref, err := s.cfg.BatchNotifier.BatchApproval(ctx, b, reqs, a, nil)
			if err != nil {
				s.log.Error("batch approval message failed", "batch", b.ID, "approver", a, "err", err)
				continue
			}
			refs = append(refs, ref)
		}
		if u, err := s.cfg.Batches.UpdateBatch(ctx, b.ID, func(b *Batch) error { b.Approvals = append(b.Approvals, refs...); return nil }); err == nil {
			b = u
		}
		if s.cfg.ReminderAt > 0 {
			at := b.CreatedAt.Add(time.Duration(float64(b.ExpiresAt.Sub(b.CreatedAt)) * s.cfg.ReminderAt))
			if err := s.cfg.Queue.Enqueue(ctx, Job{Type: JobRemind, ID: "remind:" + b.ID, RequestID: b.ID, At: at}); err != nil {
				s.log.Error("queue batch reminder failed", "batch", b.ID, "err", err)
			}
		}
	}
	what := phrase(mailbox.Operation{Kind: b.Op.Kind, Mailbox: words.EachMailbox}, false)
	s.answer(ctx, to, Answer{Text: words.BatchAsked(b.ID, len(b.RequestIDs), what, b.Approvers, b.Refused)})
	s.batchChanged(ctx, b.ID)
	return nil
}

func (s *Service) batchRequests(ctx context.Context, b *Batch) []*Request {
	var reqs []*Request
	for _, id := range b.RequestIDs {
		if r, err := s.cfg.Store.Get(ctx, id); err == nil {
			reqs = append(reqs, r)
		} else {
			s.log.Warn("batch request unreadable", "batch", b.ID, "request", id, "err", err)
		}
	}
	return reqs
}

// handleBatchClick applies one decision to every request of a batch.
func (s *Service) handleBatchClick(ctx context.Context, c Click) error {
	to := ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}
	b, err := s.cfg.Batches.GetBatch(ctx, c.RequestID)
	if errors.Is(err, ErrNotFound) {
		s.answer(ctx, to, Answer{Text: words.UnknownClick(c.RequestID)})
		return nil
	}
	if err != nil {
		return fmt.Errorf("batch click %s: %w", c.RequestID, err)
	}
	if c.User == b.Requester {
		s.answer(ctx, to, Answer{Text: words.SelfApproval(b.ID, b.Approvers)})
		return nil
	}
	if !slices.Contains(b.Approvers, c.User) || (b.TeamID != "" && c.TeamID != b.TeamID) {
		s.answer(ctx, to, Answer{Text: words.OnlyApprovers(b.Approvers, b.ID)})
		return nil
	}
	if b.Decision == nil && !batchPending(s.batchRequests(ctx, b)) || !s.cfg.Now().Before(b.ExpiresAt) && b.Decision == nil {
		s.answer(ctx, to, Answer{Text: words.BatchNotWaiting(b.ID)})
		s.batchChanged(ctx, b.ID)
		return nil
	}
	// Rule 16 at the click: the requests of a batch share its grants (the
	// batch's Op), so whoever gains access through one gains it through all.
	if reqs := s.batchRequests(ctx, b); c.Approve && b.Decision == nil && len(reqs) > 0 && s.isBeneficiary(ctx, reqs[0], c.User) {
		s.log.Warn("batch approval by someone who gains access refused", "batch", b.ID, "approver", c.User)
		s.answer(ctx, to, Answer{Text: words.BeneficiaryApproval(b.ID)})
		return nil
	}
	// The first decision on the batch wins, as for one request; an
	// approval decides once Required distinct approvers approved
	// (votes.go).
	partial := false
	b, err = s.cfg.Batches.UpdateBatch(ctx, b.ID, func(b *Batch) error {
		partial = false // a compare-and-set that lost runs this again
		if b.Decision != nil {
			return ErrAlreadyDecided
		}
		d := Decision{By: c.User, At: s.cfg.Now(), Approved: c.Approve, Click: c.ActionTS}
		if c.Approve {
			if mine, ok := votedBy(b.Counted(), c.User); ok && mine.Click == c.ActionTS && c.ActionTS != "" {
				return errRetriedVote
			} else if ok {
				return errAlreadyVoted
			}
			b.Votes = append(b.Votes, d)
			if len(b.Counted()) < b.Needed() {
				partial = true // counted; the batch waits for more
				return nil
			}
		}
		b.Decision = &d
		return nil
	})
	if err == nil && partial || errors.Is(err, errAlreadyVoted) || errors.Is(err, errRetriedVote) {
		s.log.Info("batch approval counted", "batch", b.ID, "approver", c.User, "approvals", len(b.Counted()), "required", b.Needed())
		s.answer(ctx, to, Answer{Text: words.WaitingForMore(b.ID, len(b.Counted()), b.Needed(), errors.Is(err, errAlreadyVoted))})
		s.batchChanged(ctx, b.ID) // every approval message shows the count
		return nil
	}
	if errors.Is(err, ErrAlreadyDecided) {
		if d := b.Decision; d != nil && !(d.By == c.User && d.Click == c.ActionTS && d.Approved == c.Approve) {
			s.answer(ctx, to, Answer{Text: words.AlreadyDecided(b.ID, d.Approved, d.By, d.At)})
			return nil
		}
		err = nil // the same click, retried: apply it again (each request decides once)
	}
	if err != nil {
		return fmt.Errorf("batch click %s: %w", c.RequestID, err)
	}
	var prior []Decision // the approvals before the one that decided
	if c.Approve {
		prior = b.Counted()
	}
	var errs []error
	for _, id := range b.RequestIDs {
		one := c
		one.RequestID = id
		one.ActionTS = c.ActionTS + "/" + id
		if _, _, err := s.decide(ctx, one, b.ID, prior...); err != nil && !errors.Is(err, ErrAlreadyDecided) && !errors.Is(err, errRepeatedClick) {
			s.log.Warn("batch decision on a request failed; the click job is retried", "batch", b.ID, "request", id, "err", err)
			errs = append(errs, err)
		}
	}
	s.log.Info("batch decided", "batch", b.ID, "approved", c.Approve, "approver", c.User)
	s.batchChanged(ctx, b.ID)
	// A request the decision did not reach is decided when the job is run
	// again: the same click re-applies, and each request decides once.
	return errors.Join(errs...)
}

func batchPending(reqs []*Request) bool {
	return slices.ContainsFunc(reqs, func(r *Request) bool { return r.State == StatePending })
}

// batchChanged schedules a refresh of the batch's messages. Changes within
// one batchDelay window share one job (queue ids deduplicate); a change
// while that job runs falls into the next window.
func (s *Service) batchChanged(ctx context.Context, id string) {
	now := s.cfg.Now()
	bucket := now.UnixNano() / int64(batchDelay)
	j := Job{Type: JobBatch, ID: fmt.Sprintf("batch:%s:%d", id, bucket), RequestID: id, At: time.Unix(0, (bucket+1)*int64(batchDelay))}
	if err := s.cfg.Queue.Enqueue(ctx, j); err != nil {
		s.log.Error("queue batch refresh failed", "batch", id, "err", err)
	}
}

// lockBatch takes the lock kind+id for ttl and returns its release; held
// by another, a RetryAfterError retries the job in about a second.
func (s *Service) lockBatch(ctx context.Context, kind, id string, ttl time.Duration) (func(), error) {
	lock, err := s.cfg.Locker.Obtain(ctx, kind+id, ttl)
	if errors.Is(err, ErrLocked) {
		return nil, &RetryAfterError{Err: err, After: s.cfg.Jitter(time.Second)}
	}
	if err != nil {
		return nil, fmt.Errorf("lock batch %s: %w", id, err)
	}
	return func() { lock.Release(context.WithoutCancel(ctx)) }, nil
}

// handleBatch refreshes a batch's messages: the approvers', the
// requester's report and the audit channel's.
func (s *Service) handleBatch(ctx context.Context, id string) error {
	// One refresh at a time: a later one reads the latest state, so
	// refreshes cannot land out of order.
	release, err := s.lockBatch(ctx, "batch:", id, time.Minute)
	if err != nil {
		return err
	}
	defer release()
	b, err := s.cfg.Batches.GetBatch(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	reqs := s.batchRequests(ctx, b)
	for _, u := range append([]string{b.Requester}, b.Approvers...) {
		s.homeChanged(ctx, u, id)
	}
	for _, ref := range b.Approvals {
		if _, err := s.cfg.BatchNotifier.BatchApproval(ctx, b, reqs, "", &ref); err != nil {
			s.log.Error("update batch approval failed", "batch", id, "err", err)
		}
	}
	report, err := s.cfg.BatchNotifier.BatchReport(ctx, "", b, reqs, b.Report)
	if err != nil {
		return fmt.Errorf("batch report %s: %w", id, err)
	}
	var audit *MessageRef
	if s.cfg.AuditChannel != "" {
		ref, err := s.cfg.BatchNotifier.BatchReport(ctx, s.cfg.AuditChannel, b, reqs, b.AuditMessage)
		if err != nil {
			s.log.Error("batch audit message failed", "batch", id, "err", err)
		} else {
			audit = &ref
		}
	}
	if b.Report == nil || (audit != nil && b.AuditMessage == nil) {
		if _, err := s.cfg.Batches.UpdateBatch(ctx, id, func(b *Batch) error {
			if b.Report == nil {
				b.Report = &report
			}
			if b.AuditMessage == nil && audit != nil {
				b.AuditMessage = audit
			}
			return nil
		}); err != nil {
			return fmt.Errorf("record batch messages %s: %w", id, err)
		}
	}
	return nil
}

// handleBatchRemind reminds the approvers of a batch, once, with a new
// message (recorded, so the decision updates it too).
func (s *Service) handleBatchRemind(ctx context.Context, id string) error {
	asked, err := s.escalateBatch(ctx, id)
	if err != nil {
		return err
	}
	b, err := s.cfg.Batches.UpdateBatch(ctx, id, func(b *Batch) error {
		if b.Decision != nil || b.Reminded {
			return errNothingToDo
		}
		b.Reminded = true
		for _, a := range asked {
			if !slices.Contains(b.Approvers, a) {
				b.Approvers = append(b.Approvers, a)
			}
		}
		return nil
	})
	if errors.Is(err, errNothingToDo) || errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remind batch %s: %w", id, err)
	}
	reqs := s.batchRequests(ctx, b)
	if !batchPending(reqs) {
		return nil
	}
	var refs []MessageRef
	for _, a := range b.Approvers {
		// The escalated approvers get the batch's approval message; the
		// others a new one too, as their reminder.
		ref, err := s.cfg.BatchNotifier.BatchApproval(ctx, b, reqs, a, nil)
		if err != nil {
			s.log.Error("batch reminder failed", "batch", id, "approver", a, "err", err)
			continue
		}
		refs = append(refs, ref)
	}
	if _, err := s.cfg.Batches.UpdateBatch(ctx, id, func(b *Batch) error { b.Approvals = append(b.Approvals, refs...); return nil }); err != nil {
		s.log.Error("record batch reminders failed", "batch", id, "err", err)
	}
	s.batchChanged(ctx, id) // a decision meanwhile updates these too
	return nil
}

// batchStatus answers `status bat_…`.
func (s *Service) batchStatus(ctx context.Context, user string, b *Batch) Answer {
	if user != b.Requester && !slices.Contains(b.Approvers, user) && !slices.Contains(s.cfg.Admins, user) {
		return Answer{Text: words.NotYoursToSee(b.ID)}
	}
	mailboxOf := func(r *Request) string { return r.Op.Mailbox }
	return Answer{Text: words.BatchStatus(b.ID, listed(s.batchRequests(ctx, b), mailboxOf)), Batch: b}
}

// batchCancel cancels, for the requester, every mailbox of a batch that has
// not started.
func (s *Service) batchCancel(ctx context.Context, user string, b *Batch) Answer {
	if user != b.Requester {
		return Answer{Text: words.OnlyRequesterCancels(b.Requester, b.ID)}
	}
	n, left := 0, 0
	for _, id := range b.RequestIDs {
		_, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
			if !cancellable(r) {
				return errNothingToDo
			}
			return s.transition(r, StateCancelled, user, "cancelled", "cancelled by the requester (batch)")
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errNothingToDo):
			left++
		default:
			s.log.Error("batch cancel failed", "batch", b.ID, "request", id, "err", err)
			left++
		}
	}
	s.batchChanged(ctx, b.ID)
	return Answer{Text: words.BatchCancelled(b.ID, n, left)}
}

// handleBatchRetry retries every failed mailbox of a batch that may still
// be retried, each from its failed step.
func (s *Service) handleBatchRetry(ctx context.Context, c Click) error {
	b, err := s.cfg.Batches.GetBatch(ctx, c.RequestID)
	if err != nil {
		s.answer(ctx, ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User}, Answer{Text: words.UnknownClick(c.RequestID)})
		return nil
	}
	for _, r := range s.batchRequests(ctx, b) {
		if r.State != StateFailed {
			continue
		}
		one := c
		one.RequestID = r.ID
		if err := s.handleRetry(ctx, one); err != nil {
			return err
		}
	}
	return nil
}
