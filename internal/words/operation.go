// Package words is where the sentences people read are written: what an
// operation is called and what it does ("convert *a@b* to a shared
// mailbox"), and what the bot answers, tells and asks. The bot and the
// handlers call it with the facts; the Block Kit layout around the
// sentences is handlers/notify's. Primitives (escaping, dates, sizes) come
// from internal/mrkdwn. Text from people or from Microsoft is escaped here.
package words

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// MailboxOf is the mailbox an operation is about: its address, else the
// target found.
func MailboxOf(op mailbox.Operation, t mailbox.Target) string {
	if op.Mailbox != "" {
		return op.Mailbox
	}
	return t.UserPrincipalName
}

// OperationTitle names an operation for people: "Convert to a shared mailbox".
func OperationTitle(k mailbox.Kind) string {
	switch k {
	case mailbox.KindConvertToShared:
		return "Convert to a shared mailbox"
	case mailbox.KindConvertToRegular:
		return "Convert back to a user mailbox"
	case mailbox.KindCreateShared:
		return "Create a shared mailbox"
	case mailbox.KindGrant:
		return "Grant a right on a mailbox"
	case mailbox.KindRevoke:
		return "Revoke a right on a mailbox"
	case mailbox.KindMembers:
		return "List who may use a mailbox"
	case mailbox.KindAutoReplyOff:
		return "Turn a shared mailbox's automatic reply off"
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

// RightName is a mailbox right as people read it: "Full Access", "Send
// As", "Send on Behalf".
func RightName(r mailbox.Right) string { return r.Title() }

// mentionPattern is a Slack user mention as the handlers keep it in an
// operation until the bot resolves it: <@U123>.
var mentionPattern = regexp.MustCompile(`^<@[UW][A-Z0-9]{2,20}>$`)

// Person renders a person or group named in an operation: a Slack mention
// "<@U123>" stays a mention; anything else (an address) is escaped.
func Person(s string) string {
	if mentionPattern.MatchString(s) {
		return s
	}
	return mrkdwn.Escape(s)
}

// PlainPerson is Person for plain text, where a mention does not render:
// "@U123".
func PlainPerson(s string) string {
	if mentionPattern.MatchString(s) {
		return "@" + s[2:len(s)-1]
	}
	return mrkdwn.Escape(s)
}

// People renders a list of persons: "a@b, <@U1>".
func People(l []string) string {
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = Person(p)
	}
	return strings.Join(out, ", ")
}

// MembersCount is "with 2 members", "with 1 member" or "with no members
// yet".
func MembersCount(n int) string {
	switch n {
	case 0:
		return "with no members yet"
	case 1:
		return "with 1 member"
	}
	return fmt.Sprintf("with %d members", n)
}

// AutomapText is what a grant of Full Access does about automapping.
func AutomapText(o mailbox.Options) string {
	if o.NoAutoMapping {
		return "automapping off"
	}
	return "automapping on"
}

// SharedPhrase is what a /shared-mailbox operation does, after "asks
// to": "create the shared mailbox …", "give … Full Access to …"; "" for
// other kinds. bold marks the mailbox (or the new display name) up; the
// display name of an existing mailbox found (t) follows its address.
func SharedPhrase(op mailbox.Operation, t mailbox.Target, bold bool) string {
	b := func(s string) string {
		if bold {
			s = "*" + s + "*"
		}
		if t.DisplayName != "" && op.Kind != mailbox.KindCreateShared && !strings.EqualFold(t.DisplayName, op.Mailbox) {
			s += " (" + mrkdwn.Escape(t.DisplayName) + ")"
		}
		return s
	}
	mb := mrkdwn.Escape(op.Mailbox)
	switch op.Kind {
	case mailbox.KindCreateShared:
		name := op.DisplayName
		if name == "" {
			name = op.Mailbox
		}
		if bold {
			name = "*" + mrkdwn.Escape(name) + "*"
		} else {
			name = mrkdwn.Escape(name)
		}
		return "create the shared mailbox " + name + " &lt;" + mb + "&gt; " + MembersCount(len(op.Members))
	case mailbox.KindGrant:
		who := Person(op.Trustee)
		var p string
		if op.Right == mailbox.FullAccess {
			p = "give " + who + " Full Access to " + b(mb) + " (" + AutomapText(op.Options)
			if op.Options.EachMember {
				p += ", to each member of the group"
			}
			return p + ")"
		}
		p = "give " + who + " " + mrkdwn.Escape(RightName(op.Right)) + " on " + b(mb)
		if op.Options.EachMember {
			p += " (to each member of the group)"
		}
		return p
	case mailbox.KindRevoke:
		return "take " + mrkdwn.Escape(RightName(op.Right)) + " on " + b(mb) + " away from " + Person(op.Trustee)
	case mailbox.KindMembers:
		return "list who may use " + b(mb)
	case mailbox.KindAutoReplyOff:
		return "turn the automatic reply of " + b(mb) + " off"
	}
	return ""
}

// IsShared reports whether k is a /shared-mailbox operation.
func IsShared(k mailbox.Kind) bool {
	switch k {
	case mailbox.KindCreateShared, mailbox.KindGrant, mailbox.KindRevoke, mailbox.KindMembers, mailbox.KindAutoReplyOff:
		return true
	}
	return false
}

// Title is OperationTitle, told apart for a deleted user (rule
// 10), naming the right of a grant or revoke, and marked for a dry run.
func Title(op mailbox.Operation, t mailbox.Target) string {
	title := OperationTitle(op.Kind)
	switch {
	case op.Kind == mailbox.KindConvertToShared && t.Deleted:
		title = "Recover a deleted user and convert to a shared mailbox"
	case op.Kind == mailbox.KindGrant && op.Right != "":
		title = "Grant " + RightName(op.Right)
	case op.Kind == mailbox.KindRevoke && op.Right != "":
		title = "Revoke " + RightName(op.Right)
	}
	if op.Options.DryRun {
		title += " (dry run)"
	}
	return title
}

// Phrase is what is asked, after "asks to": "convert *a@b*
// (Alice, UserMailbox, 14.6 GB) to a shared mailbox". bold marks the
// mailbox up.
func Phrase(op mailbox.Operation, t mailbox.Target, bold bool) string {
	if op.Undo != nil {
		return UndoPhrase(op, t, bold)
	}
	if p := SharedPhrase(op, t, bold); p != "" {
		return p
	}
	mb := mrkdwn.Escape(MailboxOf(op, t))
	if bold {
		mb = "*" + mb + "*"
	}
	var about []string
	if t.DisplayName != "" {
		about = append(about, mrkdwn.Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, mrkdwn.Escape(t.RecipientTypeDetails))
	}
	if t.SizeBytes > 0 {
		about = append(about, mrkdwn.Size(t.SizeBytes))
	}
	if len(about) > 0 {
		mb += " (" + strings.Join(about, ", ") + ")"
	}
	switch {
	case op.Kind == mailbox.KindConvertToShared && t.Deleted:
		return "recover the deleted user " + mb + " and convert its mailbox to shared"
	case op.Kind == mailbox.KindConvertToShared:
		return "convert " + mb + " to a shared mailbox"
	case op.Kind == mailbox.KindConvertToRegular:
		return "convert " + mb + " back to a user mailbox"
	}
	return mrkdwn.Escape(OperationTitle(op.Kind)) + " on " + mb
}
