// The leaver's mailbox settings: an automatic reply, forwarding to an
// internal recipient, hiding from the address lists (issue 16), and the
// Exchange cmdlets that read and change them.

package mailbox

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SettingsExchange reads and changes a mailbox's automatic reply,
// forwarding and visibility in the address lists. The Exchange Online
// client and the sandbox implement it beside Exchange; the planner and the
// executor find it on their Exchange (ErrNoSettings when it lacks it).
type SettingsExchange interface {
	// AutoReply runs Get-MailboxAutoReplyConfiguration -Identity.
	AutoReply(ctx context.Context, identity string) (AutoReply, error)
	// SetAutoReply runs Set-MailboxAutoReplyConfiguration -Identity
	// -AutoReplyState, with the messages and the external audience when
	// the state is Enabled (and the times when Scheduled).
	SetAutoReply(ctx context.Context, identity string, a AutoReply) error
	// SetForwarding runs Set-Mailbox -Identity -ForwardingAddress
	// -DeliverToMailboxAndForward; an empty address clears the forwarding
	// (-ForwardingAddress $null).
	SetForwarding(ctx context.Context, identity, address string, keepCopy bool) error
	// SetHidden runs Set-Mailbox -Identity -HiddenFromAddressListsEnabled.
	SetHidden(ctx context.Context, identity string, hidden bool) error
}

// ErrNoSettings: the Exchange in use cannot read or change these settings.
var ErrNoSettings = errors.New("this Exchange cannot change automatic replies, forwarding or address list visibility")

// settingsOf is x's SettingsExchange, or ErrNoSettings.
func settingsOf(x Exchange) (SettingsExchange, error) {
	if s, ok := x.(SettingsExchange); ok {
		return s, nil
	}
	return nil, ErrNoSettings
}

// Automatic reply states, as Exchange names them.
const (
	AutoReplyEnabled   = "Enabled"
	AutoReplyDisabled  = "Disabled"
	AutoReplyScheduled = "Scheduled"
)

// AutoReply is a mailbox's automatic reply configuration. The messages are
// HTML, as Exchange keeps them.
type AutoReply struct {
	State            string    `json:"state"`
	InternalMessage  string    `json:"internal_message,omitempty"`
	ExternalMessage  string    `json:"external_message,omitempty"`
	ExternalAudience string    `json:"external_audience,omitempty"` // None, Known or All
	StartTime        time.Time `json:"start_time,omitzero"`         // when Scheduled
	EndTime          time.Time `json:"end_time,omitzero"`
}

// Settings is what a settings step changed, as it was before (Outcome.Before):
// the automatic reply (StepSetAutoReply, StepAutoReplyOff), the forwarding
// (StepForward) or the hidden flag (StepHide). A reverse step puts it back.
type Settings struct {
	AutoReply *AutoReply `json:"auto_reply,omitempty"`
	// Forwarding: ForwardingAddress (as Exchange named it),
	// ForwardingSmtpAddress and DeliverToMailboxAndForward before.
	ForwardingAddress          string `json:"forwarding_address,omitempty"`
	ForwardingSMTPAddress      string `json:"forwarding_smtp_address,omitempty"`
	DeliverToMailboxAndForward bool   `json:"deliver_and_forward,omitempty"`
	Hidden                     bool   `json:"hidden,omitempty"`
}

// MaxAutoReply is the longest automatic reply, in characters: a few
// paragraphs, well inside what Exchange and a Slack command take.
const MaxAutoReply = 2000

// ErrAutoReplyText: an automatic reply's text is empty, too long or holds
// what a person cannot see.
var ErrAutoReplyText = errors.New("not a usable automatic reply")

// CheckAutoReply validates an automatic reply's plain text: 1 to
// MaxAutoReply characters, valid UTF-8, no control or invisible format
// characters but line breaks and tabs (what the approver reads is what is
// sent).
func CheckAutoReply(text string) error {
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: it is not valid text", ErrAutoReplyText)
	case strings.TrimSpace(text) == "":
		return fmt.Errorf("%w: it is empty", ErrAutoReplyText)
	case n > MaxAutoReply:
		return fmt.Errorf("%w: it has %d characters, at most %d are taken", ErrAutoReplyText, n, MaxAutoReply)
	}
	for _, r := range text {
		if r == '\n' || r == '\t' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return fmt.Errorf("%w: it holds an invisible character (%U)", ErrAutoReplyText, r)
		}
	}
	return nil
}

// AutoReplyHTML is the HTML Exchange is given for a plain text reply:
// every character escaped (no markup of the requester's reaches a
// sender), line breaks as <br>.
func AutoReplyHTML(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return "<html><body>" + strings.Join(lines, "<br>") + "</body></html>"
}

// AutoReplyText is the text of an automatic reply's HTML as Exchange
// keeps it (its own wrapping added): tags dropped, entities decoded,
// white space collapsed. Two replies say the same when their texts are
// equal.
func AutoReplyText(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// Says reports whether a is enabled (not scheduled) with text for
// internal and external senders, all of them.
func (a AutoReply) Says(text string) bool {
	want := AutoReplyText(AutoReplyHTML(text))
	return strings.EqualFold(a.State, AutoReplyEnabled) && strings.EqualFold(a.ExternalAudience, "All") &&
		AutoReplyText(a.InternalMessage) == want && AutoReplyText(a.ExternalMessage) == want
}
