package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The sentences and labels of a plan as the messages show it: the options
// line's facts, a confirm dialog's sentences, the findings, the steps, the
// mailbox found and who approves.

// The facts of the options line of a conversion to shared.
const (
	SignInStays           = "sign-in stays allowed"
	SignInBlocked         = "sign-in blocked"
	SessionsStay          = "sessions stay signed in"
	SessionsRevoked       = "sessions revoked"
	LicenseAddedFirst     = "a license is added first if there is none"
	LicensesStay          = "licenses stay after the conversion"
	LicensesRemovedEach   = "licenses removed after verification, except where a mailbox's own line says why they stay"
	LicensesRemovedUnless = "licenses removed unless a mailbox's line says why not"
	LicensesKept          = "licenses kept"
	LicensesRemoved       = "licenses removed after verification"
)

// LicensesKeptWhy: the licenses stay, and why (mrkdwn).
func LicensesKeptWhy(why string) string { return "licenses kept — " + mrkdwn.Escape(why) }

// Weakened marks an option that weakens a default: "⚠️ what (option)".
func Weakened(what, option string) string { return "⚠️ " + what + " (" + option + ")" }

// The rights a fact names.
const (
	FullAccess    = "Full Access"
	SendAs        = "Send As"
	MembersRights = "Full Access (automapping on) and Send As"
)

// FullAccessAndSendAs: both rights, with automap (AutomapText).
func FullAccessAndSendAs(automap string) string { return "Full Access (" + automap + ") and Send As" }

// RightTo is people (mrkdwn) getting right, with note when set.
func RightTo(right, people, note string) string { return right + ": " + people + Note(note) }

// RightFor is people (plain) getting right, with note when set.
func RightFor(right, people, note string) string { return right + " for " + people + Note(note) }

// RightForCount is n people getting right, with note when set.
func RightForCount(right string, n int, note string) string {
	return fmt.Sprintf("%s for %d people%s", right, n, Note(note))
}

// Note is a fact's note in brackets, "" without one.
func Note(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

// The facts of a conversion back to a user mailbox.
const (
	LicenseAuto   = "license: chosen automatically (free units, includes Exchange Online)"
	SignInEnabled = "sign-in enabled"
	WayInPass     = "a Temporary Access Pass"
	WayInPassword = "a reset password, changed at next sign-in,"
	TheRequester  = "the requester"
)

// LicenseChosen: the license a conversion back assigns.
func LicenseChosen(sku string) string { return "license: " + mrkdwn.Escape(sku) }

// SentPrivately: the way in, sent to to.
func SentPrivately(way, to string) string { return way + " sent privately to " + to }

// WayIn: the way in, sent to to (mrkdwn).
func WayIn(way, to string) string { return "way in: " + SentPrivately(way, to) }

// The facts of a new shared mailbox and of a grant.
const (
	NoMembersYet      = "members: none yet"
	OwnSignInBlocked  = "sign-in of the mailbox's own account blocked (rule 11)"
	EachMemberGranted = "each member of the group is granted directly (rule 14)"
)

// MembersGet: the members of a new shared mailbox (mrkdwn) and what they get.
func MembersGet(people string) string {
	return "members: " + people + " (each gets Full Access with automapping, and Send As)"
}

// Scheduled: when a change is scheduled (mrkdwn).
func Scheduled(at string) string { return "scheduled: " + at }

// OptionsLabel heads the options line.
const OptionsLabel = "*Options:* "

// The sentences of a confirm dialog that cannot name everything.
const (
	SeeAbove         = "see the full plan above."
	WhoSeeAbove      = " Who: " + SeeAbove
	OtherSeeAbove    = " Other options: " + SeeAbove
	OtherWhoSeeAbove = " Other options and who: " + SeeAbove
	AllSeeAbove      = " Rights given and other options: " + SeeAbove
)

// WeakenedDefaults names the options that weaken a default.
func WeakenedDefaults(options string) string { return " ⚠️ Weakened defaults: " + options + "." }

// The headers of a plan's parts.
const (
	FindingsHeader       = "*Findings*"
	StepsHeader          = "*Steps*"
	StepsOnceFixedHeader = "*Steps, once the blockers are fixed*"
)

// Rule names a finding's rule.
func Rule(n int) string { return fmt.Sprintf(" _(rule %d)_", n) }

// WhatToDo is a finding's fix, on a line of its own.
func WhatToDo(fix string) string { return "\n      _What to do:_ " + mrkdwn.Escape(fix) }

// The labels of an answer's compact plan.
const (
	OperationLabel   = "*Operation:* "
	MailboxLabel     = "*Mailbox:* "
	NewSharedLabel   = "*New shared mailbox:* "
	RightLabel       = "*Right:* "
	ApproverLabel    = "*Approver:* "
	DeletedToRecover = "a deleted user, to be recovered first"
)

// Currently is a mailbox's current type.
func Currently(typ string) string { return "currently " + mrkdwn.Escape(typ) }

// The approver lines of a plan not yet asked for.
const (
	ApproverBlocked    = "*Approver:* none — this cannot go ahead until the blockers below are fixed"
	ApproverConfigured = "*Approver:* a configured approver (the owner has no manager in Microsoft Entra)"
)

// ApproverManager: the owner's manager approves; who is mrkdwn.
func ApproverManager(who string) string { return "*Approver:* the owner's manager, " + who }

// The reasons an approver is asked.
const (
	AskedAsConfigured = "You are asked because you are a configured approver for mailbox changes."
	AskedAsApprover   = "You are asked as an approver of this request."
)

// AskedAsManager: the approver manages who (mrkdwn).
func AskedAsManager(who string) string {
	return "You are asked because you are the manager of " + who + " in Microsoft Entra."
}

// AskedAsOwner: the approver has Full Access on mb.
func AskedAsOwner(mb string) string {
	return "You are asked because you already have Full Access on " + mrkdwn.Escape(mb) + "."
}

// Who approves, and why, in an approvers list.
const (
	NoneNeeded    = "none needed"
	NoApprovers   = "none"
	ViaManager    = " (manager of the owner)"
	ViaConfigured = " (configured approver)"
	ViaOwners     = " (has Full Access on the mailbox)"
)

// AsksTo is who asks for what (phrase): "<@U> asks to …".
func AsksTo(requester, phrase string) string { return mrkdwn.Mention(requester) + " asks to " + phrase }

// RightGiven is the right line of a grant: the right and who gets it.
func RightGiven(right, trustee string) string {
	return RightLabel + mrkdwn.Escape(right) + " · *to* " + Person(trustee)
}

// RightTaken is the right line of a revoke: the right and who loses it.
func RightTaken(right, trustee string) string {
	return RightLabel + mrkdwn.Escape(right) + " · *from* " + Person(trustee)
}

// The facts of the leaver's mailbox settings (auto-reply, forward-to, hide).

// AutoReplyFact is the automatic reply, its text (escaped for mrkdwn)
// shown verbatim in a code block, where Slack formats nothing; a run of
// three backticks in it is broken by a zero width space so that it cannot
// end the block.
func AutoReplyFact(escaped string) string {
	return "automatic reply to every sender until turned off:\n```" + strings.ReplaceAll(escaped, "```", "`\u200b``") + "```"
}

// AutoReplyPlain is the automatic reply in a confirm dialog (plain text).
func AutoReplyPlain(text string) string { return "automatic reply: “" + text + "”" }

// ForwardFact: mail forwarded to addr, a copy kept.
func ForwardFact(addr string) string { return "mail forwarded to " + addr + ", a copy kept" }

// HiddenFact: the mailbox is hidden from the address lists.
const HiddenFact = "hidden from the address lists (rule 13)"
