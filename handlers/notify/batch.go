package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Messages of a batch (several mailboxes at once): one approval message and
// one report for all of them, each line one mailbox.

var _ bot.BatchNotifier = (*Slack)(nil)

// maxBatchLines keeps a batch message within Slack's 50 blocks.
const maxBatchLines = 400

// BatchApproval posts an approver's message for b (ref nil) or updates it.
func (s *Slack) BatchApproval(ctx context.Context, b *bot.Batch, reqs []*bot.Request, approver string, ref *bot.MessageRef) (bot.MessageRef, error) {
	text, blocks := batchApprovalText(b, len(reqs)), BatchApprovalBlocks(b, reqs)
	if ref == nil {
		return s.dm(ctx, approver, text, blocks)
	}
	return *ref, s.update(ctx, *ref, text, blocks)
}

// BatchReport posts the requester's report of b (channel "") or the audit
// channel's message of b, or updates it (ref set).
func (s *Slack) BatchReport(ctx context.Context, channel string, b *bot.Batch, reqs []*bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	text, blocks := batchHeadline(b, len(reqs)), BatchReportBlocks(b, reqs)
	switch {
	case ref != nil:
		return *ref, s.update(ctx, *ref, text, blocks)
	case channel == "":
		return s.dm(ctx, b.Requester, text, blocks)
	}
	return s.post(ctx, channel, text, blocks)
}

func batchHeadline(b *bot.Batch, n int) string {
	return fmt.Sprintf("%s asks to %s for %d mailboxes (request %s)", mrkdwn.Mention(b.Requester), kindVerb(b.Op.Kind), n, b.ID)
}

func batchApprovalText(b *bot.Batch, n int) string {
	if b.Decision != nil {
		return batchHeadline(b, n) + " — decided"
	}
	return batchHeadline(b, n) + " — waiting for your decision"
}

func kindVerb(k mailbox.Kind) string {
	if k == mailbox.KindConvertToRegular {
		return "convert shared mailboxes back to user mailboxes"
	}
	return "convert user mailboxes to shared mailboxes"
}

// BatchApprovalBlocks shows b to an approver: the mailboxes, then the
// buttons while undecided, else who decided and when.
func BatchApprovalBlocks(b *bot.Batch, reqs []*bot.Request) []slack.Block {
	blocks := []slack.Block{section("batch", fmt.Sprintf("*%s*", mrkdwn.Escape(batchHeadline(b, len(reqs)))))}
	var lines []string
	for _, r := range reqs {
		lines = append(lines, fmt.Sprintf("• %s (%s)", mrkdwn.Escape(r.Op.Mailbox), mrkdwn.Escape(r.Plan.Target.DisplayName)))
	}
	blocks = append(blocks, textSections("mailboxes", lines)...)
	if len(b.Refused) > 0 {
		blocks = append(blocks, textSections("refused", append([]string{"*Not requested:*"}, mrkdwn.EscapeAll(b.Refused)...))...)
	}
	if d := b.Decision; d != nil {
		return append(blocks, section("decision", decidedIcon(d)+" "+decidedBy(d)))
	}
	if !slices.ContainsFunc(reqs, func(r *bot.Request) bool { return r.State == bot.StatePending }) {
		return append(blocks, section("decision", "No longer waiting for a decision: expired or cancelled."))
	}
	approve := slack.NewButtonBlockElement(ActionApprove, b.ID, plain("Approve all", 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(plain("Approve these changes?", maxTitleText),
			plain(fmt.Sprintf("Each of the %d mailboxes is changed as its plan says; each is reported.", len(reqs)), maxConfirmText),
			plain("Approve", 30), plain("Cancel", 30)))
	reject := slack.NewButtonBlockElement(ActionReject, b.ID, plain("Reject all", 75)).WithStyle(slack.StyleDanger)
	blocks = append(blocks, contextBlock("why", fmt.Sprintf("Expires %s. Request `%s`.", mrkdwn.Date(b.ExpiresAt), mrkdwn.Escape(b.ID))))
	return append(blocks, slack.NewActionBlock(DecisionBlockID+b.ID, approve, reject))
}

// BatchReportBlocks shows how each mailbox of b is doing, with counts.
func BatchReportBlocks(b *bot.Batch, reqs []*bot.Request) []slack.Block {
	count := map[bot.State]int{}
	var lines []string
	for _, r := range reqs {
		count[r.State]++
		line := fmt.Sprintf("%s %s — %s", StateIcon(r.State), mrkdwn.Escape(r.Op.Mailbox), stateName(r.State))
		if r.Failure != "" {
			line += ": " + mrkdwn.Escape(r.Failure)
		}
		lines = append(lines, line)
	}
	var sums []string
	for _, st := range []bot.State{bot.StateSucceeded, bot.StateFailed, bot.StateRunning, bot.StateWaiting, bot.StateApproved, bot.StatePending, bot.StateRejected, bot.StateExpired, bot.StateCancelled} {
		if count[st] > 0 {
			sums = append(sums, fmt.Sprintf("%d %s", count[st], stateName(st)))
		}
	}
	blocks := []slack.Block{section("batch", fmt.Sprintf("*%s*\n%s", mrkdwn.Escape(batchHeadline(b, len(reqs))), strings.Join(sums, " · ")))}
	if d := b.Decision; d != nil {
		blocks = append(blocks, contextBlock("decision", decidedBy(d)+"."))
	}
	blocks = append(blocks, textSections("mailboxes", lines)...)
	if len(b.Refused) > 0 {
		blocks = append(blocks, textSections("refused", append([]string{"*Not requested:*"}, mrkdwn.EscapeAll(b.Refused)...))...)
	}
	// Failed mailboxes that may still be retried: one button for them all.
	if slices.ContainsFunc(reqs, func(r *bot.Request) bool { return r.State == bot.StateFailed && time.Now().Before(r.RetryUntil) }) {
		retry := slack.NewButtonBlockElement(ActionRetry, b.ID, plain("Retry the failed ones", 75)).
			WithConfirm(slack.NewConfirmationBlockObject(plain("Retry the failed mailboxes?", maxTitleText),
				plain("Each failed mailbox runs again from its failed step, without a new approval.", maxConfirmText),
				plain("Retry", 30), plain("Cancel", 30)))
		blocks = append(blocks, slack.NewActionBlock(RetryBlockID+b.ID, retry))
	}
	return blocks
}

// textSections puts lines into as few sections as Slack allows.
func textSections(id string, lines []string) []slack.Block {
	if len(lines) > maxBatchLines {
		lines = append(lines[:maxBatchLines], fmt.Sprintf("… and %d more", len(lines)-maxBatchLines))
	}
	var blocks []slack.Block
	for i, part := range SplitText(strings.Join(lines, "\n"), 2900) {
		blocks = append(blocks, section(fmt.Sprintf("%s-%d", id, i), part))
	}
	return blocks
}
