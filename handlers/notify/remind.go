package notify

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// Remind sends an approver a reminder that r waits for their decision: the
// request again, with its buttons, under a line saying when it expires.
func (s *Slack) Remind(ctx context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	head := fmt.Sprintf("⏰ Reminder: request `%s` still waits for your decision; it expires %s.", r.ID, mrkdwn.Date(r.ExpiresAt))
	blocks := append([]slack.Block{section("", head)}, ApprovalBlocks(r, s.now())...)
	ref, err := s.dm(ctx, approver, "Reminder: "+ApprovalText(r), blocks)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("remind %s of %s: %w", approver, r.ID, err)
	}
	s.log.InfoContext(ctx, "approver reminded", "request", r.ID, "approver", approver)
	return ref, nil
}
