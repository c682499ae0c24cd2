package words

import (
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Facts of the undo of a leaver's conversion (issue 16): the settings put
// back as the request recorded them, and the rights given back on other
// mailboxes.

// RightOn notes the other mailbox a right is given back on.
func RightOn(mbx string) string { return "on " + mrkdwn.Escape(mbx) }

// AutoReplyBack is the automatic reply put back as it was, a (nil: not
// recorded, turned off); plain for a confirm dialog.
func AutoReplyBack(a *mailbox.AutoReply, plain bool) string {
	if a == nil || strings.EqualFold(a.State, mailbox.AutoReplyDisabled) {
		return "automatic reply turned off again, as before"
	}
	text := mailbox.AutoReplyText(a.InternalMessage)
	if !plain {
		text = mrkdwn.Escape(text)
	}
	return "automatic reply put back as before: “" + text + "”"
}

// ForwardingBack is the forwarding put back as it was, s (nil: none).
// A forwarding to an outside address (ForwardingSmtpAddress) cannot be
// put back, and is said to be lost.
func ForwardingBack(s *mailbox.Settings, plain bool) string {
	esc := mrkdwn.Escape
	if plain {
		esc = func(s string) string { return s }
	}
	if s == nil || s.ForwardingAddress == "" {
		out := "forwarding stopped, as before"
		if s != nil && s.ForwardingSMTPAddress != "" {
			out = "forwarding stopped: the forwarding to " + esc(s.ForwardingSMTPAddress) + " before cannot be put back"
		}
		return out
	}
	out := "mail forwarded to " + esc(s.ForwardingAddress) + " again, as before"
	if s.ForwardingSMTPAddress != "" {
		out += "; the forwarding to " + esc(s.ForwardingSMTPAddress) + " cannot be put back"
	}
	return out
}

// ShownAgain: the mailbox is shown in the address lists again.
const ShownAgain = "shown in the address lists again, as before"
