package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What people are told about an operation, in one place.

// opPhrase says what r does: "convert *a@b* to a shared mailbox".
func opPhrase(r *Request) string {
	return phrase(r.Op, r.Plan.Target.Deleted)
}

func phrase(op mailbox.Operation, deleted bool) string {
	switch {
	case op.Kind == mailbox.KindCreateShared:
		return fmt.Sprintf("create the shared mailbox *%s* &lt;%s&gt;%s", mrkdwn.Escape(op.DisplayName), op.Mailbox, membersPhrase(len(op.Members)))
	case op.Kind == mailbox.KindGrant:
		return fmt.Sprintf("give *%s* %s on *%s*", op.Trustee, op.Right.Title(), op.Mailbox)
	case op.Kind == mailbox.KindRevoke:
		return fmt.Sprintf("take %s on *%s* away from *%s*", op.Right.Title(), op.Mailbox, op.Trustee)
	case op.Kind == mailbox.KindConvertToRegular:
		return fmt.Sprintf("convert *%s* back to a user mailbox", op.Mailbox)
	case deleted:
		return fmt.Sprintf("recover the deleted account *%s* and convert its mailbox to a shared mailbox", op.Mailbox)
	}
	return fmt.Sprintf("convert *%s* to a shared mailbox", op.Mailbox)
}

// doneText says what is true once r succeeded.
func doneText(r *Request) string {
	if r.Op.Options.DryRun {
		return "this was a dry run: nothing was changed. Each step shows what it would have sent."
	}
	switch r.Op.Kind {
	case mailbox.KindConvertToRegular:
		return fmt.Sprintf("*%s* is a user mailbox again, with sign-in enabled; the way in was sent to you privately.", r.Op.Mailbox)
	case mailbox.KindCreateShared:
		return fmt.Sprintf("the shared mailbox *%s* &lt;%s&gt; exists and its own sign-in is blocked%s.", mrkdwn.Escape(r.Op.DisplayName), r.Op.Mailbox,
			map[bool]string{true: "; its members have Full Access and Send As", false: ""}[len(r.Op.Members) > 0])
	case mailbox.KindGrant:
		return fmt.Sprintf("*%s* has %s on *%s*.", r.Op.Trustee, r.Op.Right.Title(), r.Op.Mailbox)
	case mailbox.KindRevoke:
		return fmt.Sprintf("*%s* no longer has %s on *%s*.", r.Op.Trustee, r.Op.Right.Title(), r.Op.Mailbox)
	}
	return fmt.Sprintf("*%s* is now a shared mailbox.", r.Op.Mailbox)
}

// dryTag marks the texts of a dry run.
func dryTag(r *Request) string {
	if r.Op.Options.DryRun {
		return " (dry run: nothing will be changed)"
	}
	return ""
}

// secretText carries a credential to the requester, alone. The secret is
// escaped for Slack's mrkdwn (&, <, >).
func secretText(r *Request, step mailbox.Step, secret string, now time.Time) string {
	secret = mrkdwn.Escape(secret)
	if step.Arg == "password" {
		return fmt.Sprintf("🔑 New password for *%s*: `%s`\nIt must be changed at the first sign-in. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel. I show it only here, once.",
			r.Op.Mailbox, secret)
	}
	return fmt.Sprintf("🔑 Temporary Access Pass for *%s*: `%s`\nValid for %s from %s. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel; with it they sign in and set up their own way in. I show it only here, once.",
		r.Op.Mailbox, secret, mrkdwn.Hours(mailbox.DefaultCredentialTTL), now.UTC().Format("2006-01-02 15:04 UTC"))
}

func membersPhrase(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " with 1 member"
	}
	return fmt.Sprintf(" with %d members", n)
}

// membersAnswer lists who may use a mailbox, as one table.
func (s *Service) membersAnswer(ctx context.Context, mbx string) Answer {
	if s.cfg.Members == nil {
		return Answer{Text: "Listing members is not available in this bot."}
	}
	mb, rows, err := s.cfg.Members(ctx, mbx)
	if err != nil {
		return Answer{Text: planProblem(mbx, err)}
	}
	if len(rows) == 0 {
		return Answer{Text: fmt.Sprintf("Nobody has Full Access, Send As or Send on Behalf on *%s* (%s).", mbx, mb.RecipientTypeDetails)}
	}
	width := len("Who")
	for _, r := range rows {
		width = max(width, len(r.Who))
	}
	mark := func(b bool) string {
		if b {
			return "yes"
		}
		return "-"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%-*s  %-11s  %-7s  %s\n", width, "Who", "Full Access", "Send As", "Send on Behalf")
	for _, r := range rows {
		fmt.Fprintf(&t, "%-*s  %-11s  %-7s  %s\n", width, mrkdwn.Escape(r.Who), mark(r.FullAccess), mark(r.SendAs), mark(r.OnBehalfOf))
	}
	text := fmt.Sprintf("*Who may use %s* (%s, %d):\n```\n%s```", mbx, mb.RecipientTypeDetails, len(rows), t.String())
	if mb.HiddenFromAddressListsEnabled {
		text += "\n⚠️ The mailbox is hidden from the address lists: Send As and Send on Behalf do not work from classic Outlook for Windows (rule 13)."
	}
	return Answer{Text: text}
}
