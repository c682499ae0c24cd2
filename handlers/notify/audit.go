package notify

import (
	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The audit channel's one message per request.

// AuditText is the plain-text fallback of the audit message.
func AuditText(r *bot.Request) string {
	return dryTag(r.Op) + words.RequestedBy(r.ID, words.Title(r.Op, r.Plan.Target), mailboxOf(r), r.Requester, stateName(r.State))
}

// AuditBlocks renders the audit channel's one message per request: id,
// mailbox, operation, requester, approvers, state, decision, then the
// options, the findings and the steps with their status.
func AuditBlocks(r *bot.Request) []slack.Block {
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, truncate("*"+name+"*\n"+value, maxFieldText), false, false)
	}
	fields := []*slack.TextBlockObject{
		field(words.AuditRequest, "`"+mrkdwn.Escape(r.ID)+"`"),
		field(words.AuditMailbox, mailboxOf(r)),
		field(words.AuditOperation, mrkdwn.Escape(words.Title(r.Op, r.Plan.Target))),
		field(words.AuditState, stateText(r.State)),
		field(words.AuditRequester, mrkdwn.Mention(r.Requester)),
		field(words.AuditApprovers, approversText(r)),
		field(words.AuditDecision, DecisionText(r)),
	}
	if !r.CreatedAt.IsZero() {
		fields = append(fields, field(words.AuditCreated, mrkdwn.Date(r.CreatedAt)))
	}
	blocks := []slack.Block{
		&slack.SectionBlock{Type: slack.MBTSection, BlockID: "audit", Text: mdText(words.AuditHead + summary(r, true)), Fields: fields},
	}
	if v := approvalsBlock(r); v != nil {
		blocks = append(blocks, v) // each approval, when more than one is needed
	}
	blocks = append(blocks, requestPlanBlocks(r, withFindings|withProgress)...)
	if r.Failure != "" && len(r.Steps) == 0 { // no steps to carry it (a request lost from the store)
		blocks = append(blocks, section("failure", words.WhyItStopped+mrkdwn.Escape(truncate(r.Failure, maxErrorText))))
	}
	if !r.UpdatedAt.IsZero() {
		blocks = append(blocks, contextBlock("updated", words.LastChangePrefix+mrkdwn.Date(r.UpdatedAt)))
	}
	return blocks
}
