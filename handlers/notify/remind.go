package notify

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Remind sends an approver a reminder that r waits for their decision: the
// request again, with its buttons, under a line saying when it expires.
func (s *Slack) Remind(ctx context.Context, r *bot.Request, approver string) (bot.MessageRef, error) {
	head := words.Reminder(r.ID, r.ExpiresAt)
	if note := remindNote(r, approver); note != "" {
		head += " " + note
	}
	blocks := append([]slack.Block{section("", head)}, ApprovalBlocks(r, s.now())...)
	ref, err := s.dm(ctx, approver, words.ReminderText+ApprovalText(r), blocks)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("remind %s of %s: %w", approver, r.ID, err)
	}
	s.log.InfoContext(ctx, "approver reminded", "request", r.ID, "approver", approver)
	return ref, nil
}
