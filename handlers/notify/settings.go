package notify

import (
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// settingFacts are the facts of a conversion's auto-reply, forward-to and
// hide options: the reply's text verbatim (escaped), the forward target
// (who gains access to the mail), the hiding.
func settingFacts(o mailbox.Options) []fact {
	var fs []fact
	if o.AutoReply != "" {
		fs = append(fs, fact{text: words.AutoReplyFact(mrkdwn.Escape(o.AutoReply)), plain: words.AutoReplyPlain(o.AutoReply), short: words.AutoReplyPlain("…")})
	}
	if o.ForwardTo != "" {
		fs = append(fs, fact{text: words.ForwardFact(mrkdwn.Escape(o.ForwardTo)), plain: words.ForwardFact(o.ForwardTo), right: true})
	}
	if o.Hide {
		fs = append(fs, fact{text: words.HiddenFact, plain: words.HiddenFact})
	}
	return fs
}
