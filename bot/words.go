package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What people are told about an operation, in one place.

// opPhrase says what r does: "convert *a@b* to a shared mailbox".
func opPhrase(r *Request) string {
	return phrase(r.Op, r.Plan.Target.Deleted)
}

func phrase(op mailbox.Operation, deleted bool) string {
	switch {
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
	if r.Op.Kind == mailbox.KindConvertToRegular {
		return fmt.Sprintf("*%s* is a user mailbox again, with sign-in enabled; the way in was sent to you privately.", r.Op.Mailbox)
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
	secret = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(secret)
	if step.Arg == "password" {
		return fmt.Sprintf("🔑 New password for *%s*: `%s`\nIt must be changed at the first sign-in. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel. I show it only here, once.",
			r.Op.Mailbox, secret)
	}
	return fmt.Sprintf("🔑 Temporary Access Pass for *%s*: `%s`\nValid for %s from %s. Give it to the person who will use the mailbox in person or by phone, never by e-mail or in a channel; with it they sign in and set up their own way in. I show it only here, once.",
		r.Op.Mailbox, secret, mailbox.Hours(mailbox.DefaultCredentialTTL), now.UTC().Format("2006-01-02 15:04 UTC"))
}
