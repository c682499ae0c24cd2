// The leaver's mailbox settings: the automatic reply, forwarding and
// hiding from the address lists (mailbox.SettingsExchange).

package sandbox

import (
	"context"
	"strconv"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

var _ mailbox.SettingsExchange = (*Tenant)(nil)

// More kinds of change.
const (
	// ChangeAutoReply: the automatic reply's state or text changed (From,
	// To: the state, with the text after a colon when enabled).
	ChangeAutoReply ChangeKind = "auto_reply"
	// ChangeForwarding: ForwardingAddress changed (From, To: the recipient
	// as Get-Mailbox shows it, "+copy" when a copy is kept).
	ChangeForwarding ChangeKind = "forwarding"
	// ChangeHidden: HiddenFromAddressListsEnabled changed ("false" -> "true").
	ChangeHidden ChangeKind = "hidden"
)

// exchangeHTML wraps a message as Exchange keeps it: a text without an
// <html> element is put in one, with Exchange's line breaks.
func exchangeHTML(m string) string {
	if m == "" || strings.HasPrefix(strings.ToLower(strings.TrimSpace(m)), "<html") {
		return m
	}
	return "<html>\n<body>\n" + m + "\n</body>\n</html>\n"
}

func autoReplyText(a mailbox.AutoReply) string {
	if a.State == mailbox.AutoReplyDisabled || a.State == "" {
		return mailbox.AutoReplyDisabled
	}
	return a.State + ":" + mailbox.AutoReplyText(a.InternalMessage)
}

// AutoReply answers Get-MailboxAutoReplyConfiguration: Disabled, for all
// external senders, until set.
func (t *Tenant) AutoReply(ctx context.Context, identity string) (mailbox.AutoReply, error) {
	const op = "Get-MailboxAutoReplyConfiguration"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadAutoReply]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.AutoReply{}, err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return mailbox.AutoReply{}, exchangeNotFound(op, identity)
	}
	a := u.mbx.autoReply
	if a.State == "" {
		a.State = mailbox.AutoReplyDisabled
	}
	if a.ExternalAudience == "" {
		a.ExternalAudience = "All"
	}
	return a, nil
}

// change runs fn on the mailbox identity for the cmdlet op, with t.mu
// held; Exchange's not found when there is no such mailbox.
func (t *Tenant) change(ctx context.Context, op, identity string, fn func(u *user) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return exchangeNotFound(op, identity)
	}
	return fn(u)
}

// SetAutoReply runs Set-MailboxAutoReplyConfiguration. Turning it off
// keeps the messages, as Exchange does.
func (t *Tenant) SetAutoReply(ctx context.Context, identity string, a mailbox.AutoReply) error {
	return t.change(ctx, "Set-MailboxAutoReplyConfiguration", identity, func(u *user) error {
		t.setAutoReply(u, a)
		return nil
	})
}

func (t *Tenant) setAutoReply(u *user, a mailbox.AutoReply) {
	was := u.mbx.autoReply
	now := was
	now.State = a.State
	if a.State != mailbox.AutoReplyDisabled {
		now.InternalMessage, now.ExternalMessage = exchangeHTML(a.InternalMessage), exchangeHTML(a.ExternalMessage)
		now.ExternalAudience = firstNonEmpty(a.ExternalAudience, "All")
		now.StartTime, now.EndTime = a.StartTime, a.EndTime
	}
	if autoReplyText(was) != autoReplyText(now) || was.ExternalAudience != now.ExternalAudience {
		t.record(ChangeAutoReply, u, autoReplyText(was), autoReplyText(now))
	}
	u.mbx.autoReply = now
}

// SetForwarding runs Set-Mailbox -ForwardingAddress
// -DeliverToMailboxAndForward: the recipient must exist (a user with a
// mailbox or a group), and is shown as Exchange resolves it; "" clears it.
func (t *Tenant) SetForwarding(ctx context.Context, identity, address string, keepCopy bool) error {
	return t.change(ctx, "Set-Mailbox", identity, func(u *user) error {
		shown, ok := "", true
		if address != "" {
			if shown, ok = t.trustee(address); !ok {
				return exchangeNotFound("Set-Mailbox", address)
			}
		}
		was := forwardingText(u.mbx.forwardTo, u.mbx.forwardCopy)
		u.mbx.forwardTo, u.mbx.forwardCopy = shown, keepCopy && shown != ""
		if now := forwardingText(u.mbx.forwardTo, u.mbx.forwardCopy); now != was {
			t.record(ChangeForwarding, u, was, now)
		}
		return nil
	})
}

func forwardingText(to string, keepCopy bool) string {
	if keepCopy {
		return to + "+copy"
	}
	return to
}

// SetHidden runs Set-Mailbox -HiddenFromAddressListsEnabled.
func (t *Tenant) SetHidden(ctx context.Context, identity string, hidden bool) error {
	return t.change(ctx, "Set-Mailbox", identity, func(u *user) error {
		if u.mbx.hidden != hidden {
			t.record(ChangeHidden, u, strconv.FormatBool(u.mbx.hidden), strconv.FormatBool(hidden))
			u.mbx.hidden = hidden
		}
		return nil
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
