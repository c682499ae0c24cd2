package notify

import (
	"slices"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Two-person approval and escalation on the approval messages (issue 16):
// the approvals so far ("1 of 2: approved by …") on every message of a
// request that needs more than one, and who was asked too.

// approvalsBlock is the count of r's approvals, nil when r needs one.
func approvalsBlock(r *bot.Request) slack.Block {
	if r.Needed() < 2 {
		return nil
	}
	return votesBlock(r.Counted(), r.Needed())
}

// batchApprovalsBlock is approvalsBlock for a batch.
func batchApprovalsBlock(b *bot.Batch) slack.Block {
	if b.Needed() < 2 {
		return nil
	}
	return votesBlock(b.Counted(), b.Needed())
}

func votesBlock(votes []bot.Decision, need int) slack.Block {
	by := make([]string, len(votes))
	for i, v := range votes {
		by[i] = v.By
	}
	return section("approvals", "👥 "+words.ApprovalCount(by, need))
}

// withApprovals inserts approvalsBlock(r) before the last block of
// blocks (the buttons, or the request line), when there is one.
func withApprovals(blocks []slack.Block, r *bot.Request) []slack.Block {
	b := approvalsBlock(r)
	if b == nil || len(blocks) == 0 {
		return blocks
	}
	return slices.Insert(blocks, len(blocks)-1, b)
}

// escalatedReason is why the approvers of an escalated request are asked,
// said to all of them (a message updated later does not know its
// reader); "" when r was not escalated.
func escalatedReason(r *bot.Request) string {
	if len(r.Escalated) == 0 {
		return ""
	}
	var first []string
	for _, a := range r.Approvers {
		if !slices.Contains(r.Escalated, a) {
			first = append(first, a)
		}
	}
	return words.EscalatedReason(first, r.Escalated, r.Needed(), len(first) < r.Needed())
}

// remindNote is the line a reminder adds about escalation: who was asked
// too, or that nobody could be; "" when neither happened.
func remindNote(r *bot.Request, approver string) string {
	for i := len(r.History) - 1; i >= 0; i-- {
		switch r.History[i].Type {
		case bot.EventEscalated:
			if slices.Contains(r.Escalated, approver) {
				return ""
			}
			return words.EscalatedTo(r.Escalated)
		case bot.EventNotEscalated:
			return words.NotEscalated
		}
	}
	return ""
}
