package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences of two-person approval and of escalation (issue 16): an
// approval counted while more are needed, the count on every approval
// message, a request that too few people could approve, and the
// configured approvers asked when the manager has not decided.

// moreApprovals is "1 more approval", "2 more approvals".
func moreApprovals(n int) string {
	if n == 1 {
		return "1 more approval"
	}
	return fmt.Sprintf("%d more approvals", n)
}

// ApprovalCounted tells the requester that by approved request id (what
// it does) and that n of need approvals are in.
func ApprovalCounted(by, id, what string, n, need int) string {
	return fmt.Sprintf("%s approved request `%s`: %s (%d of %d approvals). It waits for %s before anything changes.",
		mrkdwn.Mention(by), id, what, n, need, moreApprovals(need-n))
}

// WaitingForMore answers the approver whose approval was counted (again:
// who had approved already, whose click changed nothing).
func WaitingForMore(id string, n, need int, again bool) string {
	if again {
		return fmt.Sprintf("You already approved request `%s`; it waits for %s from someone else (%d of %d so far). Your click changed nothing.",
			id, moreApprovals(need-n), n, need)
	}
	return fmt.Sprintf("You approved request `%s` (%d of %d). It waits for %s from someone else; nothing changes before that.",
		id, n, need, moreApprovals(need-n))
}

// ApprovalCount is the count on an approval message: "1 of 2: approved
// by <@A>", or "No approval yet: 2 distinct approvers must approve".
func ApprovalCount(by []string, need int) string {
	if len(by) == 0 {
		return fmt.Sprintf("No approval yet: %d different approvers must approve.", need)
	}
	m := make([]string, len(by))
	for i, id := range by {
		m[i] = mrkdwn.Mention(id)
	}
	all := m[0]
	if len(m) > 1 {
		all = strings.Join(m[:len(m)-1], ", ") + " and " + m[len(m)-1]
	}
	return fmt.Sprintf("%d of %d: approved by %s.", len(by), need, all)
}

// TooFewApprovers refuses a request that needs need distinct approvals
// when only approvers (who may be none) could give them.
func TooFewApprovers(what string, need int, approvers []string) string {
	who := "nobody"
	if len(approvers) > 0 {
		who = fmt.Sprintf("only %d (%s)", len(approvers), mrkdwn.Mentions(approvers))
	}
	return fmt.Sprintf("I can't ask to %s: it needs %d different approvers, and %s can approve it (the requester and anyone who gains access never count). Nothing was requested; ask an admin to add approvers (MAILBOXBOT_APPROVERS) or to lower the number required (MAILBOXBOT_APPROVALS_REQUIRED_*).",
		what, need, who)
}

// EscalatedReason says, on every approval message of a request, who
// was asked first and who too: first the approvers the policy found,
// escalated the configured approvers added; count: they were added at
// once, need different approvers being required, else because first had
// not decided by the reminder. The first decision counts.
func EscalatedReason(first, escalated []string, need int, count bool) string {
	if count {
		return fmt.Sprintf("%s %s asked, and the configured approvers %s too, because %d different approvers must approve this.",
			mrkdwn.Mentions(first), wasWere(len(first)), mrkdwn.Mentions(escalated), need)
	}
	return fmt.Sprintf("%s %s asked first and had not decided by the reminder, so the configured approvers %s are asked too; the first decision counts.",
		mrkdwn.Mentions(first), wasWere(len(first)), mrkdwn.Mentions(escalated))
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// EscalatedTo tells the reminded approver that others were asked too.
func EscalatedTo(others []string) string {
	return fmt.Sprintf("%s %s asked too; the first decision counts.", mrkdwn.Mentions(others), isAre(len(others)))
}

// NotEscalated tells the reminded approver that nobody else can decide:
// no configured approver may be asked.
const NotEscalated = "No configured approver can be asked instead, so only you can decide it."

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
