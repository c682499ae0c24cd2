package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// handleRun runs (or resumes) the steps of an approved request under the
// mailbox's lock. Each finished step is written to the Store before the
// next starts, so a crash resumes at the first unfinished step; the steps
// themselves read the current state first, so running one twice does no
// harm. A step that must wait (Exchange converting) schedules a later job
// and returns: the wait survives restarts.
func (s *Service) handleRun(ctx context.Context, j Job) error {
	r, err := s.cfg.Store.Get(ctx, j.RequestID)
	if errors.Is(err, ErrNotFound) {
		return s.lostByID(ctx, j.RequestID, "run job")
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", j.RequestID, err)
	}
	log := s.log.With("request", r.ID, "op", r.Op.Kind, "mailbox", r.Op.Mailbox)
	// An older job than the request is stale. A newer one was queued by a
	// run whose record of it was then lost (a Redis failover loses the
	// newest writes: a wait queues its next run, then records it): it
	// carries the work on (see below).
	if !r.State.InFlight() || j.Seq < r.RunSeq {
		if r.State == StateSucceeded && !r.GuidanceDone && j.Seq == r.RunSeq {
			// The job ran again after the request succeeded (a crash
			// before the guidance was all sent): send the rest.
			s.guide(ctx, r)
		}
		log.Debug("stale run job dropped", "state", r.State, "seq", j.Seq, "run_seq", r.RunSeq)
		return nil
	}
	lock, err := s.cfg.Locker.Obtain(ctx, "mailbox:"+r.Op.Mailbox, s.cfg.LockTTL)
	if errors.Is(err, ErrLocked) {
		// The holder may be a worker that died: its lock lasts LockTTL.
		// Retrying every quarter TTL outlives it well within the queue's
		// retry budget, so the job is never archived for contention.
		log.Info("mailbox is locked by another worker; retrying later")
		return &RetryAfterError{Err: err, After: s.cfg.Jitter(s.cfg.LockTTL / 4)}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", r.Op.Mailbox, err)
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go s.keepLock(ctx, lock, stop, log)
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			log.Warn("release lock failed", "err", err)
		}
	}()

	// Read again under the lock: another worker may have moved it.
	if r, err = s.cfg.Store.Get(ctx, j.RequestID); err != nil {
		return fmt.Errorf("run %s: %w", j.RequestID, err)
	}
	if !r.State.InFlight() || j.Seq < r.RunSeq {
		return nil
	}
	if r.State == StateApproved {
		// The plan may be a day old (or the request retried): check it
		// again before any change (recheck.go).
		if stop, err := s.checkBeforeStart(ctx, r); stop {
			return err
		}
	}
	if r.State != StateRunning || r.RunSeq != j.Seq {
		first := r.State == StateApproved
		if r.RunSeq < j.Seq {
			log.Warn("run job newer than its request: the request's last write was lost (a Redis failover?); going on from the first unfinished step",
				"seq", j.Seq, "run_seq", r.RunSeq)
		}
		r, err = s.cfg.Store.Update(ctx, j.RequestID, func(r *Request) error {
			if !r.State.InFlight() || r.RunSeq > j.Seq {
				return errNothingToDo
			}
			r.RunSeq = j.Seq
			if r.State == StateRunning {
				return nil
			}
			typ := "started"
			if r.State == StateWaiting {
				typ = "resumed"
			}
			return s.transition(r, StateRunning, "bot", typ, "")
		})
		if errors.Is(err, errNothingToDo) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("start %s: %w", j.RequestID, err)
		}
		if first {
			log.Info("work started")
			s.tell(ctx, r, words.Started(r.ID, opPhrase(r), r.Op.Options.DryRun))
			s.audit(ctx, r)
		}
	}
	for i := range r.Steps {
		if st := r.Steps[i].Status; st == mailbox.Done || st == mailbox.Skipped {
			continue
		}
		var done bool
		if r, done, err = s.runStep(ctx, r, i); err != nil || done {
			if err != nil && context.Cause(ctx) != nil && errors.Is(context.Cause(ctx), errLockLost) {
				return &RetryAfterError{Err: context.Cause(ctx), After: s.cfg.Jitter(s.cfg.LockTTL / 4)}
			}
			return err
		}
	}
	r, err = s.cfg.Store.Update(ctx, j.RequestID, func(r *Request) error {
		if r.State != StateRunning {
			return errNothingToDo
		}
		s.offerUndo(r)
		return s.transition(r, StateSucceeded, "bot", "succeeded", "")
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finish %s: %w", j.RequestID, err)
	}
	log.Info("request succeeded")
	s.tell(ctx, r, doneHeadline(r, s.guide(ctx, r)))
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return nil
}

// started reports whether any step of r has run.
func started(r *Request) bool {
	for _, st := range r.Steps {
		if st.Attempts > 0 {
			return true
		}
	}
	return false
}

// runStep runs step i once. done is true when the job must stop here: the
// request failed or waits for a later job.
func (s *Service) runStep(ctx context.Context, r *Request, i int) (_ *Request, done bool, _ error) {
	id := r.ID // r is nil after a failed Update
	step := r.Steps[i].Step
	log := s.log.With("request", r.ID, "mailbox", r.Op.Mailbox, "step", step.Name)
	r, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		st := &r.Steps[i]
		st.Attempts++
		if st.StartedAt.IsZero() {
			st.StartedAt = s.cfg.Now()
		}
		if st.Name == mailbox.StepCreateShared && r.Plan.Target.CreateStarted.IsZero() {
			// Stored before New-Mailbox: a mailbox found at the address
			// after a crash is this request's only if made no earlier.
			r.Plan.Target.CreateStarted = st.StartedAt
		}
		return nil
	})
	if err != nil {
		return r, true, fmt.Errorf("step %s of %s: %w", step.Name, id, err)
	}
	st := r.Steps[i]
	if st.Attempts > 1 {
		step.Since = st.StartedAt // a re-run: the step may have gone through
	}
	out, err := s.execute(ctx, r.Plan.Target, step, r.Op.Options.DryRun)
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: hand the job back; the step is re-run (it is idempotent).
			return r, true, ctx.Err()
		}
		if temporary(err) && st.Faults+1 < s.cfg.StepRetries {
			// Throttled or a passing fault, after the client's own retries:
			// try the step again later, durably. Faults count apart from the
			// polls of a wait, so a long wait survives one busy answer.
			log.Warn("step hit a passing fault; trying again later", "faults", st.Faults+1, "err", err)
			return s.later(ctx, r, i, words.MicrosoftBusy(), microsoftText(err), st.Faults+1, s.backoff(s.cfg.RetryDelay, st.Faults+1))
		}
		log.Error("step failed", "err", err)
		return s.fail(ctx, r, i, microsoftText(err), err.Error())
	}
	if out.Secret != "" {
		// The credential goes to the requester alone, now; it is never
		// stored. If it cannot be delivered the step is not done, and its
		// next run makes a new one (which replaces this one).
		if err := s.cfg.Notifier.TellSecret(ctx, r.Requester, r, secretText(r, step, out.Secret, s.cfg.Now())); err != nil {
			// Bounded: each new run replaces the credential, so a requester
			// who cannot get direct messages must not loop forever.
			if st.Faults+1 < s.cfg.StepRetries {
				log.Error("credential not delivered; the step runs again later", "faults", st.Faults+1, "err", err)
				return s.later(ctx, r, i, words.CredentialRetrying(), "Slack: "+err.Error(), st.Faults+1, s.backoff(s.cfg.RetryDelay, st.Faults+1))
			}
			log.Error("credential not delivered; giving up", "err", err)
			return s.fail(ctx, r, i, words.CredentialUndelivered(err.Error()), err.Error())
		}
	}
	now := s.cfg.Now()
	if out.Status == mailbox.Pending {
		if limit := s.waitLimit(step.Name); now.Sub(st.StartedAt) >= limit {
			return s.fail(ctx, r, i, words.WaitTimedOut(out.Detail, limit), "")
		}
		return s.later(ctx, r, i, out.Detail, "", 0, s.backoff(s.cfg.VerifyDelay, st.Attempts))
	}
	r, err = s.cfg.Store.Update(ctx, id, func(r *Request) error {
		st := &r.Steps[i]
		st.Status, st.Detail, st.Error, st.EndedAt = out.Status, out.Detail, "", now
		if out.Before != nil {
			st.Before = out.Before
		}
		r.Plan.Target.Record(out) // the ids of a mailbox it created, before the next step
		r.Record(Event{At: now, Actor: "bot", Type: "step", Note: fmt.Sprintf("%s: %s (%s)", step.Name, out.Status, out.Detail)})
		r.UpdatedAt = now
		return nil
	})
	if err != nil {
		return r, true, fmt.Errorf("record step %s of %s: %w", step.Name, id, err)
	}
	log.Info("step finished", "status", out.Status, "detail", out.Detail)
	return r, false, nil
}

// backoff is base doubled for each attempt after the first, capped at
// VerifyMaxDelay, with jitter.
func (s *Service) backoff(base time.Duration, attempts int) time.Duration {
	d := base << min(max(attempts-1, 0), 16)
	return s.cfg.Jitter(min(d, s.cfg.VerifyMaxDelay))
}

// waitLimit bounds how long a step may keep answering Pending.
func (s *Service) waitLimit(name mailbox.StepName) time.Duration {
	if name == mailbox.StepWaitMailbox {
		return s.cfg.MailboxWaitTimeout
	}
	return s.cfg.VerifyTimeout
}

// later makes step i of r run again after delay, in a new job: the wait is
// in Redis, so it survives a restart of every replica. errText is
// Microsoft's text when the step is retried after a passing fault.
func (s *Service) later(ctx context.Context, r *Request, i int, detail, errText string, faults int, delay time.Duration) (*Request, bool, error) {
	id, step := r.ID, r.Steps[i].Step
	next := s.cfg.Now().Add(delay)
	// Queue the next run first: if writing the wait then fails, this job
	// is retried and finds the next one already queued.
	if err := s.cfg.Queue.Enqueue(ctx, Job{Type: JobRun, ID: runJobID(id, r.RunSeq+1), RequestID: id, Seq: r.RunSeq + 1, At: next}); err != nil {
		return r, true, fmt.Errorf("schedule wait of %s: %w", id, err)
	}
	u, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		r.Steps[i].Status, r.Steps[i].Detail, r.Steps[i].Error, r.Steps[i].Faults = mailbox.Pending, detail, errText, faults
		r.RunSeq++
		r.NextRunAt = next
		return s.transition(r, StateWaiting, "bot", "waiting", fmt.Sprintf("%s: %s; next try in %s", step.Name, detail, delay.Round(time.Millisecond)))
	})
	if err != nil {
		return r, true, fmt.Errorf("record wait of %s: %w", id, err)
	}
	s.log.Info("waiting", "request", id, "step", step.Name, "detail", detail, "next", delay)
	if u.Steps[i].Attempts == 1 {
		s.audit(ctx, u)
	}
	return u, true, nil
}

// temporary reports a fault worth trying again later: throttling, a 5xx,
// Exchange's concurrency limit, a timeout.
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// fail ends r at step i, quoting msg (Microsoft's text) to people.
func (s *Service) fail(ctx context.Context, r *Request, i int, msg, internal string) (*Request, bool, error) {
	id := r.ID // r is nil after a failed Update
	now := s.cfg.Now()
	step := r.Steps[i]
	r, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		st := &r.Steps[i]
		st.Status, st.Error, st.EndedAt = StepFailed, msg, now
		r.Failure = words.StepFailure(i+1, step.Title, msg)
		if s.cfg.RetryWindow > 0 {
			r.RetryUntil = now.Add(s.cfg.RetryWindow)
		}
		return s.transition(r, StateFailed, "bot", "failed", r.Failure)
	})
	if err != nil {
		return r, true, fmt.Errorf("record failure of %s: %w", id, err)
	}
	s.log.Warn("request failed", "request", r.ID, "step", step.Name, "err", internal)
	s.tell(ctx, r, words.Failed(r.ID, i+1, step.Title, msg, doneTitles(r)))
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return r, true, nil
}

// doneTitles lists the titles of r's steps that are done.
func doneTitles(r *Request) []string {
	var done []string
	for _, st := range r.Steps {
		if st.Status == mailbox.Done {
			done = append(done, st.Title)
		}
	}
	return done
}

// secretText carries a credential to the requester, alone: a password or a
// Temporary Access Pass (rule 9).
func secretText(r *Request, step mailbox.Step, secret string, now time.Time) string {
	if step.Arg == "password" {
		return words.Password(r.Op.Mailbox, secret)
	}
	return words.TemporaryAccessPass(r.Op.Mailbox, secret, mailbox.DefaultCredentialTTL, now)
}

// microsoftText is the sentence of Microsoft's answer when there is one.
func microsoftText(err error) string {
	var re *mailbox.RemoteError
	if errors.As(err, &re) && re.Message != "" {
		return re.Message
	}
	return err.Error()
}

// keepLock refreshes the mailbox lock while the work runs. When the lock
// cannot be kept, another worker may take it: the work stops (stop), and
// the queue runs the job again later, from the first unfinished step.
func (s *Service) keepLock(ctx context.Context, l Lock, stop context.CancelCauseFunc, log interface{ Warn(string, ...any) }) {
	t := time.NewTicker(s.cfg.LockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Refresh(ctx, s.cfg.LockTTL); err != nil && ctx.Err() == nil {
				log.Warn("mailbox lock lost; stopping the work to resume it later", "err", err)
				stop(fmt.Errorf("%w: %v", errLockLost, err))
				return
			}
		}
	}
}

var errLockLost = errors.New("mailbox lock lost")

// execute runs one step, telling the Observer its outcome and duration
// (wall-clock time, not Config.Now).
func (s *Service) execute(ctx context.Context, t mailbox.Target, step mailbox.Step, dryRun bool) (mailbox.Outcome, error) {
	if s.cfg.Observer == nil {
		return s.cfg.Executor.Run(ctx, t, step, dryRun)
	}
	start := time.Now()
	out, err := s.cfg.Executor.Run(ctx, t, step, dryRun)
	status := string(out.Status)
	if err != nil {
		status = "error"
	}
	s.cfg.Observer.Step(string(step.Name), status, time.Since(start))
	return out, err
}

// enqueueRun queues the run of r at its current RunSeq.
func (s *Service) enqueueRun(ctx context.Context, r *Request) error {
	return s.cfg.Queue.Enqueue(ctx, Job{Type: JobRun, ID: runJobID(r.ID, r.RunSeq), RequestID: r.ID, Seq: r.RunSeq, At: r.NextRunAt})
}

func runJobID(id string, seq int) string { return fmt.Sprintf("run:%s:%d", id, seq) }

// Reconcile queues the work of every in-flight request whose job may have
// been lost (a crash between a decision and its enqueue). Queue ids make it
// a no-op for work that is already queued or running. A pending or
// in-flight id whose request is gone from the Store (eviction, a failover)
// is reported to the audit channel and its requester, and forgotten. Run
// it at start-up and now and then.
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	tracked, err := s.cfg.Store.Tracked(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile: %w", err)
	}
	n := 0
	for _, t := range tracked {
		id := t.ID
		r, err := s.cfg.Store.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			s.lost(ctx, t, "reconcile")
			continue
		}
		if err != nil {
			s.log.Warn("reconcile: get failed", "request", id, "err", err)
			continue
		}
		if !r.State.InFlight() {
			continue
		}
		if err := s.enqueueRun(ctx, r); err != nil {
			return n, fmt.Errorf("reconcile %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// lostByID reports the request id that a job found gone from the Store,
// with what the tracking kept of it. It returns nil: running the job again
// cannot bring the request back.
func (s *Service) lostByID(ctx context.Context, id, where string) error {
	tracked, err := s.cfg.Store.Tracked(ctx)
	if err != nil {
		return fmt.Errorf("%s: request %s gone; tracking unreadable: %w", where, id, err)
	}
	for _, t := range tracked {
		if t.ID == id {
			s.lost(ctx, t, where)
			return nil
		}
	}
	// Reported already (the reconciler, another worker), or never tracked.
	s.log.Error("request gone from the store; nothing runs", "request", id, "found_by", where)
	return nil
}

// lost reports a pending or in-flight request whose key is gone from the
// Store: an error in the log, a message in the audit channel, a direct
// message to the requester when known; then its tracking is removed. The
// one worker that removes it reports it, so it is reported once.
func (s *Service) lost(ctx context.Context, t Tracked, where string) {
	forgot, err := s.cfg.Store.Forget(ctx, t.ID)
	if err != nil {
		s.log.Error("request gone from the store; forgetting it failed, the reconciler tries again", "request", t.ID, "err", err)
		return
	}
	if !forgot {
		return
	}
	s.log.Error("request gone from the store (evicted or lost in a failover): its work will not run",
		"request", t.ID, "requester", t.Requester, "op", t.Kind, "mailbox", t.Mailbox, "found_by", where)
	text := words.LostRequest(t.ID, t.Mailbox)
	r := &Request{ID: t.ID, Requester: t.Requester, Op: mailbox.Operation{Kind: t.Kind, Mailbox: t.Mailbox}, State: StateFailed, Failure: text}
	if s.cfg.AuditChannel != "" {
		if _, err := s.cfg.Notifier.Audit(ctx, s.cfg.AuditChannel, r, nil); err != nil {
			s.log.Error("audit message of a lost request failed", "request", t.ID, "err", err)
		}
	}
	if t.Requester != "" {
		if err := s.cfg.Notifier.Tell(ctx, t.Requester, r, text); err != nil {
			s.log.Error("direct message about a lost request failed", "request", t.ID, "err", err)
		}
	}
}
