package notify

import (
	"context"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The guidance's direct message to a person who got rights on a mailbox.

// GuidanceBlocks renders the guidance: what the person got, then one
// section per way to use it, then the request that gave it.
func GuidanceBlocks(a words.Access) []slack.Block {
	blocks := []slack.Block{section("guidance_head", words.GuidanceHeadline(a))}
	for i, p := range words.GuidanceParts(a) {
		blocks = append(blocks, section("guidance_"+strconv.Itoa(i), p))
	}
	if a.RequestID != "" {
		blocks = append(blocks, contextBlock("guidance_ref", words.GuidanceRef(a.RequestID)))
	}
	return blocks
}

// Guide sends user the guidance a in a direct message (bot.Guider).
func (s *Slack) Guide(ctx context.Context, user string, a words.Access) error {
	if _, err := s.dm(ctx, user, words.GuidanceFallback(a), GuidanceBlocks(a)); err != nil {
		return fmt.Errorf("guidance on %s to %s: %w", a.Mailbox, user, err)
	}
	return nil
}
