package notify

import (
	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The private answer to a command or a click: the bot's text, then the
// plan of the request or of the operation asked about.

// AnswerText is the plain-text fallback of an answer.
func AnswerText(a bot.Answer) string {
	if a.Text != "" {
		tag := ""
		switch {
		case a.Request != nil:
			tag = dryTag(a.Request.Op)
		case a.Plan != nil:
			tag = dryTag(a.Plan.Op)
		}
		return truncate(tag+a.Text, maxFallback)
	}
	switch {
	case a.Request != nil:
		return AuditText(a.Request) // tagged already
	case a.Plan != nil:
		return dryTag(a.Plan.Op) + mrkdwn.Escape(words.Title(a.Plan.Op, a.Plan.Target)+": "+words.MailboxOf(a.Plan.Op, a.Plan.Target))
	}
	return words.NoText
}

// AnswerBlocks renders a private answer: the text (split into several
// sections when it is longer than one holds, see SplitText), then a compact plan
// (mailbox found with display name and current type, who approves,
// findings, steps) of a.Request or, failing that, a.Plan.
func AnswerBlocks(a bot.Answer) []slack.Block {
	var blocks []slack.Block
	if a.Text != "" {
		blocks = append(blocks, textBlocks(a.Text)...)
	}
	switch {
	case a.Request != nil:
		r := a.Request
		blocks = append(blocks, section("plan", planText(r.Plan, r)))
		blocks = append(blocks, requestPlanBlocks(r, withFindings|withProgress)...)
		ctx := words.RequestRef(r.ID) + " · " + stateText(r.State) + undoRefs(r)
		if r.State == bot.StatePending && !r.ExpiresAt.IsZero() {
			ctx += " · " + words.Expires(r.ExpiresAt)
		}
		blocks = append(blocks, contextBlock("request", ctx))
	case a.Plan != nil:
		blocks = append(blocks, section("plan", planText(*a.Plan, nil)))
		blocks = append(blocks, planBlocks(a.Plan.Op, *a.Plan, "", withFindings)...)
	case a.Batch != nil:
		blocks = append(blocks, batchCommonBlocks(a.Batch)...)
	}
	if len(blocks) == 0 {
		blocks = append(blocks, section("text", AnswerText(a)))
	}
	return blocks
}
