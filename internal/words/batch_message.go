package words

import (
	"fmt"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The sentences of a batch's messages: its approval message, its report,
// the confirm dialogs of their buttons.

// BatchHeadline is who asks to convert how many mailboxes, which way, in
// which batch.
func BatchHeadline(requester string, k mailbox.Kind, n int, id string) string {
	verb := "convert user mailboxes to shared mailboxes"
	if k == mailbox.KindConvertToRegular {
		verb = "convert shared mailboxes back to user mailboxes"
	}
	return fmt.Sprintf("%s asks to %s for %d mailboxes (request %s)", mrkdwn.Mention(requester), verb, n, mrkdwn.Escape(id))
}

// BatchFallbackState ends a batch approval message's fallback.
func BatchFallbackState(decided bool) string {
	if decided {
		return " — decided"
	}
	return " — waiting for your decision"
}

// The headers of a batch's parts.
const (
	NotRequested    = "*Not requested:*"
	ForEveryMailbox = "*For every mailbox:*"
)

// BatchNoLongerWaiting: a batch none of whose mailboxes waits any more.
const BatchNoLongerWaiting = "No longer waiting for a decision: expired or cancelled."

// BatchMoreToApprove counts the n mailboxes of batch id not shown to its
// approver.
func BatchMoreToApprove(n int, id string) string {
	return fmt.Sprintf("…and %s: `/convert-mailbox status %s` lists every mailbox, and `status` with a mailbox's own request id shows its full plan.", mrkdwn.Count(n, "more mailbox", "more mailboxes"), mrkdwn.Escape(id))
}

// BatchMoreReported counts the n mailboxes of batch id not shown in its
// report.
func BatchMoreReported(n int, id string) string {
	return fmt.Sprintf("…and %s: `/convert-mailbox status %s` shows how each is doing.", mrkdwn.Count(n, "more mailbox", "more mailboxes"), mrkdwn.Escape(id))
}

// BatchApproveTitle is the title of a batch's Approve all confirm dialog.
func BatchApproveTitle(dry bool) string {
	if dry {
		return ApproveTitle(true)
	}
	return "Approve these changes?"
}

// BatchConfirmHead is what approving a batch of n mailboxes of kind k
// changes, and when.
func BatchConfirmHead(k mailbox.Kind, o mailbox.Options, n int) string {
	if o.DryRun {
		return fmt.Sprintf("Dry run: the bot will report the steps for each of the %d mailboxes %s. Nothing will be changed.", n, ApproveWhen(o))
	}
	becomes := "a shared mailbox"
	if k == mailbox.KindConvertToRegular {
		becomes = "a user mailbox again"
	}
	return fmt.Sprintf("Each of the %d mailboxes becomes %s %s; each is reported.", n, becomes, ApproveWhen(o))
}

// The buttons of a batch.
const (
	ApproveAll        = "Approve all"
	RejectAll         = "Reject all"
	RetryFailed       = "Retry the failed ones"
	RetryFailedTitle  = "Retry the failed mailboxes?"
	RetryFailedDetail = "Each failed mailbox runs again from its failed step, without a new approval."
)

// The reasons an approver of a batch is asked.
const (
	BatchAskedAsApprover = "You are asked as an approver of these mailboxes."
	BatchAskedAsManager  = "You are asked because you are the manager of the owners of these mailboxes in Microsoft Entra."
	BatchAskedAsOwner    = "You are asked because you already have Full Access on these mailboxes."
)

// BatchAskedConfigured: the approver is a configured one; note, when set,
// says more.
func BatchAskedConfigured(note string) string {
	why := "You are asked because you are a configured approver for mailbox changes"
	if note != "" {
		why += " (" + mrkdwn.Escape(note) + ")"
	}
	return why + "."
}

// StepsForEach heads the steps every mailbox of a batch shares.
const StepsForEach = "*Steps for each mailbox*"

// StepsFor heads the steps of mb and of others more mailboxes like it.
func StepsFor(mb string, others int) string {
	if others > 0 {
		return fmt.Sprintf("*Steps for %s and %s like it*", mrkdwn.Escape(mb), mrkdwn.Count(others, "other mailbox", "other mailboxes"))
	}
	return "*Steps for " + mrkdwn.Escape(mb) + "*"
}

// StepsOfTheirOwn counts the mailboxes whose steps are not shown.
func StepsOfTheirOwn(n int) string {
	return fmt.Sprintf("%s have steps of their own: `/convert-mailbox status` with the request id of a mailbox shows its steps.",
		mrkdwn.Capitalize(mrkdwn.Count(n, "other mailbox", "other mailboxes")))
}

// LicensesKeptBecause: a mailbox's licenses stay, and why.
func LicensesKeptBecause(why string) string { return " · licenses kept — " + mrkdwn.Escape(why) }

// AndMore counts the lines left out of a list.
func AndMore(n int) string { return fmt.Sprintf("… and %d more", n) }

// ExpiresRef is a batch's expiry and id, as a sentence.
func ExpiresRef(expires, id string) string {
	return mrkdwn.Capitalize(expires) + ". " + RequestRef(id) + "."
}
