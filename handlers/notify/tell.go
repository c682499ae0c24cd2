package notify

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Tell's direct message: a headline, the steps, and the Retry button of
// a failed request.

// TellText is the plain-text fallback of Tell's direct message.
func TellText(r *bot.Request, headline string) string {
	return truncate(dryTag(r.Op)+headline+" — "+stepsText(r), maxFallback)
}

// CanRetry reports whether r failed and may still be retried at now.
func CanRetry(r *bot.Request, now time.Time) bool {
	return r.State == bot.StateFailed && now.Before(r.RetryUntil)
}

// TellBlocks renders Tell's direct message: the headline (the bot's own
// mrkdwn), DRY RUN when it is one, the options and the findings, then
// every step with its status; when
// r failed and may still be retried at now (CanRetry), the Retry button;
// when it succeeded and may still be undone (CanUndo), the Undo button.
func TellBlocks(r *bot.Request, headline string, now time.Time) []slack.Block {
	return tellBlocks(r, headline, CanRetry(r, now), CanUndo(r, now))
}

func tellBlocks(r *bot.Request, headline string, retry, undo bool) []slack.Block {
	blocks := []slack.Block{section("headline", headline)}
	blocks = append(blocks, requestPlanBlocks(r, withFindings|withProgress)...)
	if retry {
		blocks = append(blocks, retryBlocks(r)...)
	}
	if undo {
		blocks = append(blocks, undoBlocks(r)...)
	}
	blocks = append(blocks, contextBlock("request",
		words.RequestRef(r.ID)+" · "+mailboxOf(r)+" · "+stateText(r.State)+undoRefs(r)))
	return blocks
}

// retryBlocks offers to run a failed request again from its failed step:
// until when, and the Retry button with a confirm dialog.
func retryBlocks(r *bot.Request) []slack.Block {
	from, plainFrom := words.RetryFromStart, words.RetryFromStart
	for i, s := range r.Steps {
		if s.Status == bot.StepFailed {
			from = words.RetryAt(i+1, s.Title)
			plainFrom = words.RetryFrom(i+1, s.Title)
			break
		}
	}
	text := words.RetryOffer(r.RetryUntil, from)
	confirm := words.RetryConfirm(mailboxOf(r), plainFrom)
	button := slack.NewButtonBlockElement(ActionRetry, r.ID, plain(words.RetryButton, 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain(words.RetryTitle, maxTitleText),
			plain(confirm, maxConfirmText),
			plain(words.RetryOK, 30),
			plain(words.CancelButton, 30)))
	return []slack.Block{section("retry", text), slack.NewActionBlock(RetryBlockID+r.ID, button)}
}
