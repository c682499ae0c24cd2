package notify

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The approver's direct message: the request with the Approve and Reject
// buttons, then, once decided, expired or cancelled, the decision.

// Action ids and the block id prefixes of the buttons. The handlers read
// them back from block_actions payloads.
const (
	ActionApprove   = bot.ActionApprove
	ActionReject    = bot.ActionReject
	ActionRetry     = bot.ActionRetry
	DecisionBlockID = "decision:" // + request id
	RetryBlockID    = "retry:"    // + request id
)

// ApprovalText is the plain-text fallback of the approval message.
func ApprovalText(r *bot.Request) string {
	return dryTag(r.Op) + summary(r, false)
}

// approveConfirm is the text of the Approve button's confirm dialog
// (plain text: no Slack dates): what changes and when, then the facts of
// the options line (planFacts), compactly (confirmText).
func approveConfirm(r *bot.Request) string {
	fs, _ := planFacts(r.Op, &r.Plan.Target, r.Requester)
	return confirmText(confirmHead(r), fs)
}

// confirmHead is what approving r changes, and when, in one sentence.
func confirmHead(r *bot.Request) string {
	return words.ConfirmHead(r.Op, mailboxOf(r), len(r.Plan.Steps), r.Plan.Target.Deleted)
}

// ApprovalBlocks renders the approver's direct message: what is asked (the
// mailbox with its size), DRY RUN when it is one, the options, the
// findings with their rules, the steps, why the reader is the approver,
// when the request expires, and the Approve (with a confirm dialog) and
// Reject buttons.
func ApprovalBlocks(r *bot.Request, now time.Time) []slack.Block {
	blocks := []slack.Block{section("summary", summary(r, true))}
	blocks = append(blocks, requestPlanBlocks(r, withFindings)...)
	expiry := words.NoExpiry
	if e := expiryText(r, now); e != "" {
		expiry = mrkdwn.Capitalize(e) + "."
	}
	reason := approverReason(r)
	if e := escalatedReason(r); e != "" {
		reason = e
	}
	blocks = append(blocks, contextBlock("why",
		reason,
		expiry+" "+words.RequestRef(r.ID)+"."))
	return withApprovals(append(blocks, decisionButtons(r)), r)
}

// expiryText says when r expires ("expires <date>") or expired, as of
// now; "" when it does not expire.
func expiryText(r *bot.Request, now time.Time) string {
	return words.ExpiresAt(r.ExpiresAt, now)
}

// decisionButtons is the Approve (with its confirm dialog: what will
// happen, approveConfirm) and Reject buttons of r, wherever they are
// shown: the approval message, its reminder, the Home tab.
func decisionButtons(r *bot.Request) *slack.ActionBlock {
	approve := slack.NewButtonBlockElement(ActionApprove, bot.ButtonValue(r.ID, r.Fingerprint), plain(words.ApproveButton, 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain(words.ApproveTitle(r.Op.Options.DryRun), maxTitleText),
			plain(approveConfirm(r), maxConfirmText),
			plain(words.ApproveButton, 30),
			plain(words.CancelButton, 30)))
	reject := slack.NewButtonBlockElement(ActionReject, r.ID, plain(words.RejectButton, 75)).WithStyle(slack.StyleDanger)
	return slack.NewActionBlock(DecisionBlockID+r.ID, approve, reject)
}

// eventAt returns the time and actor of the last event that moved r to s.
func eventAt(r *bot.Request, s bot.State) (time.Time, string) {
	for i := len(r.History) - 1; i >= 0; i-- {
		if e := r.History[i]; e.To == s {
			return e.At, e.Actor
		}
	}
	return r.UpdatedAt, ""
}

// DecisionText says how a request was decided: "Approved by <@U> on
// <date>", "Rejected by …", "Expired on … without a decision",
// "Cancelled …", or "Waiting for a decision" while pending.
func DecisionText(r *bot.Request) string {
	if d := r.Decision; d != nil {
		return decidedBy(d)
	}
	if len(r.Approvers) == 0 && words.IsShared(r.Op.Kind) && r.State != bot.StatePending && r.State != bot.StateExpired && r.State != bot.StateCancelled {
		return words.NoApprovalNeededState
	}
	switch r.State {
	case bot.StateExpired:
		at := r.ExpiresAt
		if at.IsZero() {
			at, _ = eventAt(r, bot.StateExpired)
		}
		return words.ExpiredWithoutDecision(at)
	case bot.StateCancelled:
		at, by := eventAt(r, bot.StateCancelled)
		if by == "bot" {
			by = ""
		}
		return words.CancelledBeforeDecision(by, at)
	}
	return words.WaitingForDecision
}

// decidedBy says who decided d and when: "Approved by <@U> on <date>",
// "Rejected by …". A batch's decision reads the same.
func decidedBy(d *bot.Decision) string {
	return words.DecidedBy(d.Approved, d.By, d.At)
}

// decidedIcon is the icon of decision d: ✅ approved, ❌ rejected.
func decidedIcon(d *bot.Decision) string {
	if d.Approved {
		return "✅"
	}
	return "❌"
}

func decisionIcon(r *bot.Request) string {
	if d := r.Decision; d != nil {
		return decidedIcon(d)
	}
	switch r.State {
	case bot.StateExpired:
		return "⌛"
	case bot.StateCancelled:
		return "🚫"
	}
	return "⏳"
}

// DecidedText is the plain-text fallback of a decided approval message.
func DecidedText(r *bot.Request) string {
	return dryTag(r.Op) + summary(r, false) + ": " + DecisionText(r)
}

// DecidedBlocks renders the approval message once it is decided, expired or
// cancelled: the summary of what was asked with its options, the
// findings, the steps, and who decided and when. It has no buttons.
func DecidedBlocks(r *bot.Request) []slack.Block {
	blocks := []slack.Block{section("summary", summary(r, true))}
	blocks = append(blocks, requestPlanBlocks(r, withFindings)...)
	blocks = append(blocks,
		section("decision", decisionIcon(r)+" *"+DecisionText(r)+"*"),
		contextBlock("request", words.RequestRef(r.ID)))
	return withApprovals(blocks, r)
}
