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

// Two-person approval (issue 16). An operation whose
// Config.ApprovalsRequired is N runs only once N distinct approvers have
// approved the plan it has; one reject rejects it. Each approval is a vote
// (Request.Votes), added with the same compare-and-set that checks the
// others, so two approvers clicking at once on two replicas count once
// each, and the approval that completes the count is the one that moves
// the request to approved (Request.Decision), once. The requester never
// counts, an approver counts once, and an approval of another plan than
// the request's (its fingerprint) does not count.

// errAlreadyVoted: the clicker has approved already and the count is not
// reached; their click changes nothing.
var errAlreadyVoted = errors.New("already approved by this approver")

// errRetriedVote: a click job run again after its approval was counted
// (the count not reached): its effects are repeated, not the vote.
var errRetriedVote = errors.New("retried approval")

// Needed is how many distinct approvers must approve r.
func (r *Request) Needed() int { return max(1, r.Required) }

// Counted are the approvals of r that count, in order: one per approver,
// for the plan r has, never the requester's.
func (r *Request) Counted() []Decision { return counted(r.Votes, r.Fingerprint, r.Requester) }

// Needed is how many distinct approvers must approve b.
func (b *Batch) Needed() int { return max(1, b.Required) }

// Counted are the approvals of b that count, one per approver.
func (b *Batch) Counted() []Decision { return counted(b.Votes, "", b.Requester) }

func counted(votes []Decision, fingerprint, requester string) []Decision {
	var out []Decision
	for _, v := range votes {
		if !v.Approved || v.By == "" || v.By == requester || v.Fingerprint != fingerprint ||
			slices.ContainsFunc(out, func(d Decision) bool { return d.By == v.By }) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// votedBy reports whether user's approval counts already.
func votedBy(counted []Decision, user string) (Decision, bool) {
	i := slices.IndexFunc(counted, func(d Decision) bool { return d.By == user })
	if i < 0 {
		return Decision{}, false
	}
	return counted[i], true
}

// vote adds v, an approval, to r. It returns false while the count is
// not reached, and true when v completes it: the caller then decides r.
// The event of a vote that does not complete the count is recorded here.
func (s *Service) vote(r *Request, v Decision) bool {
	r.Votes = append(r.Votes, v)
	n, need := len(r.Counted()), r.Needed()
	if n >= need {
		return true
	}
	r.Record(Event{At: v.At, Actor: v.By, Type: "approval", Note: fmt.Sprintf("%d of %d", n, need)})
	r.UpdatedAt = v.At
	return false
}

// required is how many distinct approvers an operation of kind needs.
func (s *Service) required(kind mailbox.Kind) int { return max(1, s.cfg.ApprovalsRequired[kind]) }

// MostApprovers is how many people at most can approve an operation of
// kind under policy, with approvers (MAILBOXBOT_APPROVERS), the extra
// approvers of kind and escalation (Config.Escalate) as configured; known
// is false when that cannot be told before a request is made (the owners
// decide, or a user group is among the extra approvers). The requester is
// not left out: they never count, so a request of theirs may have fewer.
func MostApprovers(kind mailbox.Kind, policy string, approvers, extras []string, escalate bool) (most int, known bool) {
	steps := policySteps(policy)
	var users []string
	add := func(ids []string) {
		for _, id := range ids {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
	}
	for _, id := range extras {
		if isGroup(strings.TrimSpace(id)) {
			return 0, false
		}
	}
	switch steps[0] {
	case PolicyNone:
		return 0, true
	case PolicyOwners:
		return 0, false
	case PolicyManager:
		add(extras)
		if escalate {
			add(approvers)
		}
		return 1 + len(users), true
	}
	add(approvers)
	add(extras)
	return len(users), true
}

// checkRequired refuses a required count that no request of its kind
// could reach (MostApprovers), and one below 1.
func checkRequired(cfg Config) error {
	var problems []string
	for _, kind := range slices.Sorted(func(yield func(mailbox.Kind) bool) {
		for k := range cfg.ApprovalsRequired {
			if !yield(k) {
				return
			}
		}
	}) {
		n := cfg.ApprovalsRequired[kind]
		if n < 0 {
			problems = append(problems, fmt.Sprintf("%s: %d approvals required (0 or 1: one)", kind, n))
			continue
		}
		most, known := MostApprovers(kind, cfg.Policy[kind], cfg.Approvers, cfg.ExtraApprovers[kind], cfg.Escalate)
		if n > 1 && known && n > most {
			problems = append(problems, fmt.Sprintf("%s: %d approvals required, but at most %d people can approve it under the policy %q", kind, n, most, cfg.Policy[kind]))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("bot: %s", strings.Join(problems, "; "))
	}
	return nil
}

// afterVote shows an approval that did not complete the count: every
// approval message of r shows it, the requester is told (not again for a
// retried click job: retried), and the audit channel follows.
func (s *Service) afterVote(ctx context.Context, r *Request, retried bool) {
	s.refreshApprovals(ctx, r)
	if got := r.Counted(); len(got) > 0 && !retried {
		s.tell(ctx, r, words.ApprovalCounted(got[len(got)-1].By, r.ID, opPhrase(r), len(got), r.Needed()))
	}
	s.audit(ctx, r)
}

// votedText answers the clicker whose approval was counted, or who had
// approved already: how many approved, and how many more are needed.
func votedText(r *Request, again bool) string {
	return words.WaitingForMore(r.ID, len(r.Counted()), r.Needed(), again)
}

// awaiting is reqs without those user has approved already: they wait
// for someone else (the Home tab's and list's "waiting for you").
func awaiting(reqs []*Request, user string) []*Request {
	return slices.DeleteFunc(reqs, func(r *Request) bool {
		_, ok := votedBy(r.Counted(), user)
		return ok
	})
}

// awaitingOf are r's approvers who have not approved it yet.
func awaitingOf(r *Request) []string {
	counted := r.Counted()
	return slices.DeleteFunc(slices.Clone(r.Approvers), func(a string) bool {
		_, ok := votedBy(counted, a)
		return ok
	})
}
