package notify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What will happen for a request or a plan, described once for every
// message that shows it: what is asked, the options, the findings, the
// steps as planned, and who approves.

// DryRunNote marks every message about a dry run (words.DryRunNote).
const DryRunNote = words.DryRunNote

// mailboxOf is the mailbox r is about, escaped.
func mailboxOf(r *bot.Request) string {
	return mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))
}

// summary is who asks for what: "<@U> asks to convert *a@b* (…) to a
// shared mailbox"; bold marks the mailbox up.
func summary(r *bot.Request, bold bool) string {
	return words.AsksTo(r.Requester, words.Phrase(r.Op, r.Plan.Target, bold))
}

// fact is one thing a request does besides its operation's own change:
// a right someone gets, an option (marked when it weakens a default), a
// license change, the way in, the schedule. planFacts lists them once for
// every message that shows a request: the options line (OptionsText), the
// common part of a batch, and the confirm dialogs (confirmText).
type fact struct {
	text   string // mrkdwn, for the options line
	plain  string // plain text, for a confirm dialog
	short  string // plain text naming a count instead of people; "" when plain is short
	weak   bool   // an option that weakens a default
	option string // that option, as it is typed: "keep-signin"
	right  bool   // someone gets a right or a way in
}

// weakened is a fact about an option that weakens a default: marked ⚠️,
// with the option as it is typed.
func weakened(what, option string) fact {
	t := words.Weakened(what, option)
	return fact{text: t, plain: t, weak: true, option: option}
}

// rightFact is people getting a right: "Full Access: a@b, c@d (automapping
// off)"; short, when they are many, counts them.
func rightFact(right string, people []string, note string) fact {
	f := fact{text: words.RightTo(right, words.People(people), note), plain: words.RightFor(right, plainPeople(people), note), right: true}
	if len(people) > 2 {
		f.short = words.RightForCount(right, len(people), note)
	}
	return f
}

func plainPeople(l []string) string {
	out := make([]string, len(l))
	for i, p := range l {
		out[i] = words.PlainPerson(p)
	}
	return strings.Join(out, ", ")
}

// planFacts is what op does besides its own change, in the order the
// options line shows it: for a conversion to shared, sign-in, sessions,
// licenses (with the reason they stay, t.LicensesKept; t nil for what is
// common to several mailboxes, each of which says why its licenses stay),
// Full Access (with automapping) and Send As; for a conversion back, the
// license, sign-in and the way in, sent to requester ("" says "the
// requester"); for a new shared mailbox its members; for a grant,
// automapping and the group's members; for an undo, undoFacts; for all,
// the schedule. ok is false
// for an operation it does not know.
func planFacts(op mailbox.Operation, t *mailbox.Target, requester string) (fs []fact, ok bool) {
	if op.Undo != nil {
		return undoFacts(op.Undo), true
	}
	o := op.Options
	add := func(text string) { fs = append(fs, fact{text: text, plain: text}) }
	switch op.Kind {
	case mailbox.KindConvertToShared:
		if o.KeepSignIn {
			fs = append(fs, weakened(words.SignInStays, "keep-signin"))
		} else {
			add(words.SignInBlocked)
		}
		if o.KeepSessions {
			fs = append(fs, weakened(words.SessionsStay, "keep-sessions"))
		} else {
			add(words.SessionsRevoked)
		}
		if o.AddLicense {
			fs = append(fs, weakened(words.LicenseAddedFirst, "add-license"))
		}
		switch {
		case o.KeepLicenses:
			fs = append(fs, weakened(words.LicensesStay, "keep-license"))
		case t == nil:
			fs = append(fs, fact{text: words.LicensesRemovedEach, plain: words.LicensesRemovedUnless})
		case t.LicensesKept != "":
			fs = append(fs, fact{text: words.LicensesKeptWhy(t.LicensesKept), plain: words.LicensesKept})
		default:
			add(words.LicensesRemoved)
		}
		switch {
		case len(o.FullAccess) > 0 && slices.Equal(o.FullAccess, o.SendAs):
			fs = append(fs, rightFact(words.FullAccessAndSendAs(words.AutomapText(o)), o.FullAccess, ""))
		default:
			if len(o.FullAccess) > 0 {
				fs = append(fs, rightFact(words.FullAccess, o.FullAccess, words.AutomapText(o)))
			}
			if len(o.SendAs) > 0 {
				fs = append(fs, rightFact(words.SendAs, o.SendAs, ""))
			}
		}
		fs = append(fs, settingFacts(o)...)
		fs = append(fs, leaverFacts(o, t)...)
	case mailbox.KindConvertToRegular:
		if o.License != "" {
			add(words.LicenseChosen(o.License))
		} else {
			add(words.LicenseAuto)
		}
		add(words.SignInEnabled)
		way := words.WayInPass
		if o.Password {
			way = words.WayInPassword
		}
		to, plainTo := words.TheRequester, words.TheRequester
		if requester != "" {
			to, plainTo = mrkdwn.Mention(requester), "@"+requester
		}
		fs = append(fs, fact{text: words.WayIn(way, to), plain: words.SentPrivately(way, plainTo), right: true})
	case mailbox.KindCreateShared:
		if len(op.Members) > 0 {
			f := rightFact(words.MembersRights, op.Members, "")
			f.text = words.MembersGet(words.People(op.Members))
			fs = append(fs, f)
		} else {
			add(words.NoMembersYet)
		}
		add(words.OwnSignInBlocked)
	case mailbox.KindGrant:
		if op.Right == mailbox.FullAccess {
			add(words.AutomapText(o))
		}
		if o.EachMember {
			add(words.EachMemberGranted)
		}
	case mailbox.KindRevoke, mailbox.KindMembers, mailbox.KindAutoReplyOff:
	default:
		return nil, false
	}
	if !o.At.IsZero() {
		fs = append(fs, fact{text: words.Scheduled(mrkdwn.Date(o.At))}) // a confirm dialog's head says when
	}
	return fs, true
}

// OptionsText is an operation's options in one compact line (planFacts):
// every right given, every option that weakens a default marked ⚠️, the
// license changes, the schedule. It is "" for an operation it does not
// know.
func OptionsText(op mailbox.Operation, t mailbox.Target) string {
	return optionsText(op, &t, "")
}

func optionsText(op mailbox.Operation, t *mailbox.Target, requester string) string {
	fs, _ := planFacts(op, t, requester)
	texts := make([]string, len(fs))
	for i, f := range fs {
		texts[i] = f.text
	}
	return strings.Join(texts, " · ")
}

// optionsBlocks is the DRY RUN mark and the options line of op, never cut:
// a line longer than a block holds goes into several sections.
func optionsBlocks(op mailbox.Operation, t mailbox.Target, requester string) []slack.Block {
	var blocks []slack.Block
	if op.Options.DryRun {
		blocks = append(blocks, section("dry_run", DryRunNote))
	}
	o := optionsText(op, &t, requester)
	switch {
	case o == "":
	case utf8.RuneCountInString(o) < maxSectionText-20:
		blocks = append(blocks, contextBlock("options", words.OptionsLabel+o))
	default:
		for i, part := range SplitText(words.OptionsLabel+o, maxSectionText) {
			blocks = append(blocks, section(fmt.Sprintf("options-%d", i), part))
		}
	}
	return blocks
}

// confirmText is a confirm dialog's text (plain, at most maxConfirmText):
// head, the options that weaken a default by name, the rights given, then
// the other facts. When they do not fit, people are counted rather than
// named, then the other facts, then the rights, give way to "see the full
// plan above"; the weakened defaults are always named. Nothing is dropped
// silently.
func confirmText(head string, fs []fact) string {
	var weak, rights, rightsShort, rest []string
	for _, f := range fs {
		switch {
		case f.weak:
			weak = append(weak, f.option)
		case f.right:
			rights = append(rights, f.plain)
			rightsShort = append(rightsShort, cmp.Or(f.short, f.plain))
		case f.plain != "":
			rest = append(rest, f.plain)
		}
	}
	sentence := func(l []string, sep string) string {
		if len(l) == 0 {
			return ""
		}
		return " " + mrkdwn.Capitalize(strings.Join(l, sep)) + "."
	}
	start := head
	if len(weak) > 0 {
		start += words.WeakenedDefaults(strings.Join(weak, ", "))
	}
	r, rs, o := sentence(rights, "; "), sentence(rightsShort, "; "), sentence(rest, "; ")
	named := words.WhoSeeAbove
	if r == rs {
		named = ""
	}
	for _, c := range []string{
		start + r + o,
		start + rs + o + named,
		start + r + words.OtherSeeAbove,
		start + rs + words.OtherWhoSeeAbove,
		start + words.AllSeeAbove,
	} {
		if utf8.RuneCountInString(c) <= maxConfirmText {
			return c
		}
	}
	return truncate(start, maxConfirmText-len(words.SeeAbove)-1) + " " + words.SeeAbove
}

// SeverityIcon is the icon of a finding's severity.
func SeverityIcon(s mailbox.Severity) string {
	switch s {
	case mailbox.Blocker:
		return "⛔"
	case mailbox.Warning:
		return "⚠️"
	case mailbox.Info:
		return "ℹ️"
	}
	return "•"
}

// findingsText is the findings of a plan, each with its severity, its
// rule and what to do; "" without findings.
func findingsText(fs []mailbox.Finding) string {
	if len(fs) == 0 {
		return ""
	}
	return words.FindingsHeader + "\n" + strings.Join(findingLines(fs), "\n")
}

// findingLines is each finding with its severity's icon, its rule and,
// on a line of its own, what to do.
func findingLines(fs []mailbox.Finding) []string {
	lines := make([]string, len(fs))
	for i, f := range fs {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", SeverityIcon(f.Severity), mrkdwn.Escape(f.Text))
		if f.Rule != 0 {
			b.WriteString(words.Rule(f.Rule))
		}
		if f.Fix != "" {
			b.WriteString(words.WhatToDo(f.Fix))
		}
		lines[i] = b.String()
	}
	return lines
}

// planStepsText is the steps of a plan not yet run, numbered under
// header; "" without steps.
func planStepsText(steps []mailbox.Step, header string) string {
	if len(steps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(header)
	for i, s := range steps {
		fmt.Fprintf(&b, "\n%d. %s", i+1, mrkdwn.Escape(s.Title))
	}
	return b.String()
}

// planPart chooses what planBlocks shows besides the DRY RUN mark and the
// options, which every message about a request or a plan shows.
type planPart uint8

const (
	withFindings planPart = 1 << iota // the findings, with their rules and what to do
	withProgress                      // a request's steps with their status (StepsBlocks), not as planned
)

// planBlocks is what will happen, as every message about a plan or a
// request shows it: the DRY RUN mark and the options of op, the findings
// of p (withFindings), then the steps of p as planned, numbered, "once
// the blockers are fixed" when p has blockers; withProgress leaves the
// steps out, for requestPlanBlocks to show them with their status.
func planBlocks(op mailbox.Operation, p mailbox.Plan, requester string, parts planPart) []slack.Block {
	blocks := optionsBlocks(op, p.Target, requester)
	if t := findingsText(p.Findings); parts&withFindings != 0 && t != "" {
		blocks = append(blocks, section("findings", t))
	}
	if parts&withProgress != 0 {
		return blocks
	}
	header := words.StepsHeader
	if len(p.Blockers()) > 0 {
		header = words.StepsOnceFixedHeader
	}
	if t := planStepsText(p.Steps, header); t != "" {
		blocks = append(blocks, section("steps", t))
	}
	return blocks
}

// requestPlanBlocks is planBlocks of r's own operation and plan; with
// withProgress, r's steps come with their status.
func requestPlanBlocks(r *bot.Request, parts planPart) []slack.Block {
	blocks := planBlocks(r.Op, r.Plan, r.Requester, parts)
	if parts&withProgress != 0 {
		blocks = append(blocks, StepsBlocks(r)...)
	}
	return blocks
}

// planText is the compact plan of an answer: the mailbox found (or, for
// /shared-mailbox, the new mailbox, or the right and who gets or loses
// it), the operation, and who approves (approvers of a request, or the
// one the plan points at).
func planText(p mailbox.Plan, r *bot.Request) string {
	op, t := p.Op, p.Target
	if r != nil {
		op = r.Op
	}
	shared := words.IsShared(p.Op.Kind) || words.IsShared(op.Kind)
	var lines []string
	if shared {
		lines = sharedTargetLines(op, t)
	} else {
		lines = []string{convertTargetLine(p.Op, t)}
	}
	lines = append(lines, words.OperationLabel+mrkdwn.Escape(words.Title(op, t)))
	if a := approverLine(p, r, shared); a != "" {
		lines = append(lines, a)
	}
	return strings.Join(lines, "\n")
}

// convertTargetLine is the mailbox a conversion found: its address, display
// name, current type, whether it is a deleted user's, and its size.
func convertTargetLine(op mailbox.Operation, t mailbox.Target) string {
	return words.MailboxLabel + targetText(op, t)
}

// targetText is a conversion's mailbox: "a@b — Alice, currently
// UserMailbox, a deleted user, to be recovered first, 63.2 GB".
func targetText(op mailbox.Operation, t mailbox.Target) string {
	line := mrkdwn.Escape(words.MailboxOf(op, t))
	var about []string
	if t.DisplayName != "" {
		about = append(about, mrkdwn.Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, words.Currently(t.RecipientTypeDetails))
	}
	if t.Deleted {
		about = append(about, words.DeletedToRecover)
	}
	if t.SizeBytes > 0 {
		about = append(about, mrkdwn.Size(t.SizeBytes))
	}
	if len(about) > 0 {
		line += " — " + strings.Join(about, ", ")
	}
	return line
}

// sharedTargetLines is what a /shared-mailbox operation is about: the new
// mailbox and its members, or the mailbox found, the right and who gets or
// loses it.
func sharedTargetLines(op mailbox.Operation, t mailbox.Target) []string {
	if op.Kind == mailbox.KindCreateShared {
		name := op.DisplayName
		if name == "" {
			name = t.DisplayName
		}
		return []string{words.NewSharedLabel + "*" + mrkdwn.Escape(name) + "* &lt;" + mrkdwn.Escape(op.Mailbox) + "&gt; " + words.MembersCount(len(op.Members))}
	}
	line := words.MailboxLabel + mrkdwn.Escape(words.MailboxOf(op, t))
	var about []string
	if t.DisplayName != "" {
		about = append(about, mrkdwn.Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, mrkdwn.Escape(t.RecipientTypeDetails))
	}
	if len(about) > 0 {
		line += " — " + strings.Join(about, ", ")
	}
	lines := []string{line}
	switch op.Kind {
	case mailbox.KindGrant:
		lines = append(lines, words.RightGiven(words.RightName(op.Right), op.Trustee))
	case mailbox.KindRevoke:
		lines = append(lines, words.RightTaken(words.RightName(op.Right), op.Trustee))
	}
	return lines
}

// approverLine says who approves: a request's approvers; for a plan not
// yet asked for, nobody while it has blockers, else, for a conversion,
// the owner's manager or a configured approver ("" for /shared-mailbox,
// whose approval is the bot's policy and is not repeated here).
func approverLine(p mailbox.Plan, r *bot.Request, shared bool) string {
	t := p.Target
	switch {
	case r != nil:
		return words.ApproverLabel + approversText(r)
	case len(p.Blockers()) > 0:
		return words.ApproverBlocked
	case shared || p.Op.Kind == mailbox.KindConvertToRegular:
		// Who approves these is the bot's policy (for converting back never
		// the owner's manager, rule 15), told once the request is made.
		return ""
	case t.ManagerEmail != "" || t.ManagerName != "":
		who := mrkdwn.Escape(t.ManagerName)
		if who == "" {
			who = mrkdwn.Escape(t.ManagerEmail)
		} else if t.ManagerEmail != "" {
			who += " (" + mrkdwn.Escape(t.ManagerEmail) + ")"
		}
		return words.ApproverManager(who)
	}
	return words.ApproverConfigured
}

// approverReason tells the approver why they are asked.
func approverReason(r *bot.Request) string {
	switch {
	case r.ApproverSource == bot.SourceManager && words.IsShared(r.Op.Kind):
		return words.AskedAsManager(mrkdwn.Mention(r.Requester))
	}
	switch r.ApproverSource {
	case bot.SourceManager:
		owner := r.Plan.Target.DisplayName
		if owner == "" {
			owner = words.MailboxOf(r.Op, r.Plan.Target)
		}
		return words.AskedAsManager(mrkdwn.Escape(owner))
	case bot.SourceConfigured:
		return words.AskedAsConfigured
	case bot.SourceOwners:
		return words.AskedAsOwner(words.MailboxOf(r.Op, r.Plan.Target))
	}
	return words.AskedAsApprover
}

// approversText is who approves r and why: "<@A>, <@B> (configured
// approver)"; "none needed" for a /shared-mailbox request the policy lets
// through.
func approversText(r *bot.Request) string {
	if len(r.Approvers) == 0 && words.IsShared(r.Op.Kind) {
		return words.NoneNeeded
	}
	if len(r.Approvers) == 0 {
		return words.NoApprovers
	}
	ms := make([]string, len(r.Approvers))
	for i, a := range r.Approvers {
		ms[i] = mrkdwn.Mention(a)
	}
	t := strings.Join(ms, ", ")
	switch r.ApproverSource {
	case bot.SourceManager:
		t += words.ViaManager
	case bot.SourceConfigured:
		t += words.ViaConfigured
	case bot.SourceOwners:
		t += words.ViaOwners
	}
	return t
}

// leaverFacts are a leaver's options (issue 16): the owner's rights on
// other mailboxes taken away, or kept (a weakened default, rule 18); the
// manager's access, with why the approvers decide.
func leaverFacts(o mailbox.Options, t *mailbox.Target) []fact {
	var fs []fact
	switch {
	case o.KeepAccess:
		fs = append(fs, weakened(words.AccessKept, "keep-access"))
	case o.RemoveAccess:
		fs = append(fs, fact{text: words.AccessRemoved, plain: words.AccessRemoved})
	}
	if o.ManagerAccess {
		manager := words.TheManager("")
		if t != nil {
			manager = words.TheManager(t.ManagerEmail)
		}
		fs = append(fs, rightFact(words.ManagerRights, []string{manager}, words.ManagerDecidesNot))
	}
	return fs
}
