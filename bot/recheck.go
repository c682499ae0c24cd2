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

// The re-check before the first change (issue 15, rules 16 and 17). An
// approval holds for the plan the approver was shown, which may be a day
// old when the work starts (a scheduled run, a queue that was busy) and
// older still when a failed request is retried. So just before the first
// step runs, and after a Retry before the first step that runs again, the
// operation is planned again from live data, and the request stops, before
// that step, when
//
//   - the stored plan is not the one approved (its fingerprint differs
//     from Request.Fingerprint, or from Decision.Fingerprint);
//   - the live plan has a blocker;
//   - mailbox.Changes finds a material difference from the approved plan;
//   - the person who approved would now gain access (Planner.Beneficiaries
//     on the live plan: a group they joined since counts).
//
// Nothing runs unchecked: a lookup that fails is a passing fault, and the
// run job is tried again later (RetryAfterError); after StepRetries tries
// in a row, or at once for a fault that does not pass, the request fails
// saying so. The requester, the approver who decided and the audit channel
// are told what stopped it, and that a new request is needed.
//
// After a Retry the steps already done have changed the mailbox
// themselves, so only what they cannot have changed is compared (ownFacts).

// ErrStalePlan: a click on a message that showed another plan than the
// request's (its fingerprint differs).
var ErrStalePlan = errors.New("the clicked message showed another plan")

// checkClickFingerprint returns ErrStalePlan when c was made on a message
// that showed another plan than r's; a click whose message carried no
// fingerprint passes (messages sent before fingerprints existed).
func checkClickFingerprint(r *Request, c Click) error {
	if c.Fingerprint != "" && c.Fingerprint != r.Fingerprint {
		return ErrStalePlan
	}
	return nil
}

// staleClickText answers the clicker of a click checkClickFingerprint
// refused.
func staleClickText(r *Request) string { return words.StalePlan(r.ID) }

// stepFacts are the facts (mailbox.Change.What) that each kind of step
// changes itself. After a Retry, a difference in one of them is the
// request's own doing once such a step is done; every other fact (the
// object id or ExchangeGuid, sync, holds, archive, size, who a trustee
// resolves to, the operation) no step changes, and a difference in it
// stops the request as before the first change. Signing in is not a fact
// Changes compares; granting and revoking only make steps unneeded, which
// Changes does not count.
var stepFacts = map[mailbox.StepName][]string{
	mailbox.StepConvertToShared:  {"recipient_type"},
	mailbox.StepVerifyShared:     {"recipient_type"},
	mailbox.StepConvertToRegular: {"recipient_type"},
	mailbox.StepVerifyRegular:    {"recipient_type"},
	mailbox.StepAssignLicense:    {"license"},
	mailbox.StepRemoveLicenses:   {"license"},
	mailbox.StepRestoreUser:      {"deleted", "recipient_type"},
	mailbox.StepCreateShared:     {"address_taken"},
	mailbox.StepWaitMailbox:      {},
}

// madeType is the recipient type a request of each kind leaves the
// mailbox with once its conversion (or creation) is done.
var madeType = map[mailbox.Kind]string{
	mailbox.KindConvertToShared:  mailbox.RecipientSharedMailbox,
	mailbox.KindConvertToRegular: mailbox.RecipientUserMailbox,
	mailbox.KindCreateShared:     mailbox.RecipientSharedMailbox,
}

// ownFacts are the facts r's done (or skipped) steps may have changed.
func ownFacts(r *Request) map[string]bool {
	own := map[string]bool{}
	for _, st := range r.Steps {
		if st.Status == mailbox.Done || st.Status == mailbox.Skipped {
			for _, f := range stepFacts[st.Name] {
				own[f] = true
			}
		}
	}
	return own
}

// ownBlocker reports whether blocker b of the live plan only says what r's
// own done steps made true: the mailbox already has the type r converts it
// to, or the address of the mailbox r created is taken (by it: the steps
// act on the ids recorded when it was created, and check them).
func ownBlocker(r *Request, live mailbox.Plan, own map[string]bool, b mailbox.Finding) bool {
	switch r.Op.Kind {
	case mailbox.KindConvertToShared, mailbox.KindConvertToRegular:
		return own["recipient_type"] && b.Code == mailbox.FindingType && live.Target.RecipientTypeDetails == madeType[r.Op.Kind]
	case mailbox.KindCreateShared:
		return own["address_taken"] && b.Code == mailbox.FindingTaken && live.Target.AddressTaken
	}
	return false
}

// recheck plans r's operation again from live data and returns why r must
// stop (sentences; none: it may go on). err is a lookup that failed.
func (s *Service) recheck(ctx context.Context, r *Request) ([]string, error) {
	if (r.Fingerprint != "" && r.Plan.Fingerprint() != r.Fingerprint) ||
		(r.Decision != nil && r.Decision.Fingerprint != "" && r.Decision.Fingerprint != r.Fingerprint) ||
		shortOfApprovals(r) {
		return []string{words.PlanAltered()}, nil
	}
	live, err := s.cfg.Planner.Plan(ctx, r.Op)
	if err != nil {
		return nil, err
	}
	own := map[string]bool{}
	if started(r) {
		own = ownFacts(r)
	}
	var reasons []string
	for _, b := range live.Blockers() {
		if !ownBlocker(r, live, own, b) {
			reasons = append(reasons, strings.TrimSpace(b.Text+" "+b.Fix))
		}
	}
	for _, c := range mailbox.Changes(r.Plan, live) {
		// New blockers are listed above, with their fix.
		if c.What != "blocker" && !own[c.What] {
			reasons = append(reasons, words.Changed(c.Text))
		}
	}
	if len(reasons) > 0 {
		return reasons, nil
	}
	return s.approverGains(ctx, r, live)
}

// approverGains checks rule 16 at run time: the person who approved r
// must not gain access through it, e.g. by joining a group it names since
// the decision. A decider without an e-mail in Slack cannot be compared,
// and stops the run (fail closed).
func (s *Service) approverGains(ctx context.Context, r *Request, live mailbox.Plan) ([]string, error) {
	if r.Decision == nil || r.Decision.By == "" || !r.Decision.Approved {
		return nil, nil // no approval needed (policy)
	}
	who, err := s.beneficiaries(ctx, live)
	if err != nil || len(who) == 0 {
		return nil, err
	}
	// Each approval that counted, not only the last (votes.go).
	by := []string{r.Decision.By}
	for _, v := range r.Counted() {
		if !slices.Contains(by, v.By) {
			by = append(by, v.By)
		}
	}
	for _, approver := range by {
		email, err := s.cfg.Slack.EmailOf(ctx, approver)
		if errors.Is(err, ErrNoSlackUser) {
			// Without an address the approver cannot be compared: fail closed.
			return []string{words.NoBeneficiaryCheck()}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("e-mail of the approver %s: %w", approver, err)
		}
		for _, p := range who {
			if p.Matches(email) {
				return []string{words.ApproverGains(approver, p.Via)}, nil
			}
		}
	}
	return nil, nil
}

// shortOfApprovals reports whether r was approved with fewer approvals
// for its plan than it requires (a stored record that does not add up):
// it must not run. A request decided before approvals were counted has
// no votes and needs one.
func shortOfApprovals(r *Request) bool {
	d := r.Decision
	if d == nil || !d.Approved || d.By == "" || (len(r.Votes) == 0 && r.Needed() == 1) {
		return false
	}
	return len(r.Counted()) < r.Needed()
}

// checkBeforeStart runs the re-check of r, which is approved (first run,
// scheduled run, or after a Retry). stop is true when the job ends here:
// r was refused, or the check is tried again later (err is then a
// RetryAfterError).
func (s *Service) checkBeforeStart(ctx context.Context, r *Request) (stop bool, _ error) {
	reasons, err := s.recheck(ctx, r)
	if err == nil && len(reasons) == 0 {
		if r.RecheckFaults > 0 {
			if _, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error { r.RecheckFaults = 0; return nil }); err != nil {
				return true, fmt.Errorf("re-check of %s: %w", r.ID, err)
			}
		}
		return false, nil
	}
	if err == nil {
		return true, s.refuseToStart(ctx, r.ID, reasons)
	}
	if ctx.Err() != nil {
		return true, ctx.Err() // shutting down: the job is handed back
	}
	faults := r.RecheckFaults + 1
	if temporary(err) && faults < s.cfg.StepRetries {
		if _, uerr := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error { r.RecheckFaults = faults; return nil }); uerr != nil {
			return true, fmt.Errorf("re-check of %s: %w", r.ID, uerr)
		}
		s.log.Warn("re-check before start hit a passing fault; trying again later", "request", r.ID, "faults", faults, "err", err)
		return true, &RetryAfterError{Err: err, After: s.backoff(s.cfg.RetryDelay, faults)}
	}
	s.log.Error("re-check before start failed", "request", r.ID, "err", err)
	return true, s.refuseToStart(ctx, r.ID, []string{words.RecheckLookupFailed(microsoftText(err))})
}

// refuseToStart ends an approved request that the re-check stopped,
// before any change (or, after a Retry, any further change). The
// requester, the approver who decided and the audit channel are told why.
func (s *Service) refuseToStart(ctx context.Context, id string, reasons []string) error {
	reason := strings.Join(reasons, " ")
	r, err := s.cfg.Store.Update(ctx, id, func(r *Request) error {
		if r.State != StateApproved {
			return errNothingToDo
		}
		r.Failure, r.RecheckFaults = words.RecheckFailure(reason), 0
		return s.transition(r, StateFailed, "bot", "failed", r.Failure)
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refuse %s: %w", id, err)
	}
	s.log.Warn("approved request refused at start", "request", id, "reason", reason)
	text := words.Stopped(r.ID, r.Op.Mailbox, reasons, started(r))
	s.tell(ctx, r, text)
	if d := r.Decision; d != nil && d.By != "" && d.By != r.Requester {
		if err := s.cfg.Notifier.Tell(ctx, d.By, r, text); err != nil {
			s.log.Error("direct message to the approver failed", "request", r.ID, "err", err)
		}
	}
	s.refreshApprovals(ctx, r)
	s.audit(ctx, r)
	return nil
}
