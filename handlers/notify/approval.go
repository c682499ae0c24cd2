package notify

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
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
	mb := mailboxOf(r)
	n, o := len(r.Plan.Steps), r.Op.Options
	when := whenText(o)
	if o.DryRun {
		return fmt.Sprintf("Dry run: the bot will report the %d steps for %s %s. Nothing will be changed.", n, mb, when)
	}
	switch {
	case r.Op.Kind == mailbox.KindCreateShared:
		name := r.Op.DisplayName
		if name == "" {
			name = r.Op.Mailbox
		}
		return fmt.Sprintf("The shared mailbox “%s” (%s) will be created %s %s.", mrkdwn.Escape(name), mb, words.MembersCount(len(r.Op.Members)), when)
	case r.Op.Kind == mailbox.KindGrant && r.Op.Right == mailbox.FullAccess:
		return fmt.Sprintf("%s will get Full Access to %s %s.", words.PlainPerson(r.Op.Trustee), mb, when)
	case r.Op.Kind == mailbox.KindGrant:
		return fmt.Sprintf("%s will get %s on %s %s.", words.PlainPerson(r.Op.Trustee), words.RightName(r.Op.Right), mb, when)
	case r.Op.Kind == mailbox.KindRevoke:
		return fmt.Sprintf("%s on %s will be taken away from %s %s.", words.RightName(r.Op.Right), mb, words.PlainPerson(r.Op.Trustee), when)
	case r.Op.Kind == mailbox.KindConvertToShared && r.Plan.Target.Deleted:
		return fmt.Sprintf("The deleted user %s is restored and its mailbox becomes a shared mailbox %s (%d steps; the account is kept).", mb, when, n)
	case r.Op.Kind == mailbox.KindConvertToShared:
		return fmt.Sprintf("%s becomes a shared mailbox %s (%d steps; the account is kept).", mb, when, n)
	case r.Op.Kind == mailbox.KindConvertToRegular:
		return fmt.Sprintf("%s becomes a user mailbox again %s (%d steps).", mb, when, n)
	}
	return fmt.Sprintf("The bot will run %d steps on %s %s.", n, mb, when)
}

// whenText is when an approved change runs, in plain text.
func whenText(o mailbox.Options) string {
	if !o.At.IsZero() {
		return "at " + mrkdwn.UTC(o.At)
	}
	return "once you approve"
}

// ApprovalBlocks renders the approver's direct message: what is asked (the
// mailbox with its size), DRY RUN when it is one, the options, the
// findings with their rules, the steps, why the reader is the approver,
// when the request expires, and the Approve (with a confirm dialog) and
// Reject buttons.
func ApprovalBlocks(r *bot.Request, now time.Time) []slack.Block {
	blocks := []slack.Block{section("summary", summary(r, true))}
	blocks = append(blocks, requestPlanBlocks(r, withFindings)...)
	expiry := "No expiry."
	if e := expiryText(r, now); e != "" {
		expiry = mrkdwn.Capitalize(e) + "."
	}
	blocks = append(blocks, contextBlock("why",
		approverReason(r),
		expiry+" Request `"+mrkdwn.Escape(r.ID)+"`."))
	return append(blocks, decisionButtons(r))
}

// expiryText says when r expires ("expires <date>") or expired, as of
// now; "" when it does not expire.
func expiryText(r *bot.Request, now time.Time) string {
	return expiresAt(r.ExpiresAt, now)
}

// expiresAt says when something expiring at at expires ("expires <date>")
// or expired, as of now; "" when at is zero.
func expiresAt(at, now time.Time) string {
	switch {
	case at.IsZero():
		return ""
	case at.After(now):
		return "expires " + mrkdwn.Date(at)
	}
	return "expired " + mrkdwn.Date(at)
}

// decisionButtons is the Approve (with its confirm dialog: what will
// happen, approveConfirm) and Reject buttons of r, wherever they are
// shown: the approval message, its reminder, the Home tab.
func decisionButtons(r *bot.Request) *slack.ActionBlock {
	title := "Approve this change?"
	if r.Op.Options.DryRun {
		title = "Approve this dry run?"
	}
	approve := slack.NewButtonBlockElement(ActionApprove, bot.ButtonValue(r.ID, r.Fingerprint), plain("Approve", 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain(title, maxTitleText),
			plain(approveConfirm(r), maxConfirmText),
			plain("Approve", 30),
			plain("Cancel", 30)))
	reject := slack.NewButtonBlockElement(ActionReject, r.ID, plain("Reject", 75)).WithStyle(slack.StyleDanger)
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
		return "No approval needed"
	}
	switch r.State {
	case bot.StateExpired:
		at := r.ExpiresAt
		if at.IsZero() {
			at, _ = eventAt(r, bot.StateExpired)
		}
		return "Expired on " + mrkdwn.Date(at) + " without a decision"
	case bot.StateCancelled:
		at, by := eventAt(r, bot.StateCancelled)
		if by != "" && by != "bot" {
			return "Cancelled by " + mrkdwn.Mention(by) + " on " + mrkdwn.Date(at) + " before a decision"
		}
		return "Cancelled on " + mrkdwn.Date(at) + " before a decision"
	}
	return "Waiting for a decision"
}

// decidedBy says who decided d and when: "Approved by <@U> on <date>",
// "Rejected by …". A batch's decision reads the same.
func decidedBy(d *bot.Decision) string {
	verb := "Rejected"
	if d.Approved {
		verb = "Approved"
	}
	return verb + " by " + mrkdwn.Mention(d.By) + " on " + mrkdwn.Date(d.At)
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
		contextBlock("request", "Request `"+mrkdwn.Escape(r.ID)+"`"))
	return blocks
}
