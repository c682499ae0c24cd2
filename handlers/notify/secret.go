package notify

import (
	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// TellSecret's message: a credential for the requester alone.

// SecretText is the plain-text fallback of TellSecret's message. It holds
// no credential: the fallback shows in notifications, on lock screens.
func SecretText(r *bot.Request) string {
	return words.SecretFallback(mailboxOf(r), r.ID)
}

// SecretBlocks renders TellSecret's message: text (the bot's own mrkdwn,
// which holds the credential), then a short line about the request.
func SecretBlocks(r *bot.Request, text string) []slack.Block {
	return []slack.Block{
		section("secret", text),
		contextBlock("request", words.SecretContext(r.ID, words.Title(r.Op, r.Plan.Target), mailboxOf(r))),
	}
}
