package notify

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What will happen for a request or a plan, described once for every
// message that shows it: what is asked, the options, the findings, the
// steps as planned, and who approves.

// DryRunNote marks every message about a dry run.
const DryRunNote = "🧪 *DRY RUN*: nothing is changed in the tenant; each step reports what it would do and send."

// mailboxOf is the mailbox r is about, escaped.
func mailboxOf(r *bot.Request) string {
	return mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))
}

// summary is who asks for what: "<@U> asks to convert *a@b* (…) to a
// shared mailbox"; bold marks the mailbox up.
func summary(r *bot.Request, bold bool) string {
	return mrkdwn.Mention(r.Requester) + " asks to " + words.Phrase(r.Op, r.Plan.Target, bold)
}

// OptionsText is an operation's options in one compact line: for a
// conversion to shared, sign-in, sessions, licenses (with the reason they
// stay, t.LicensesKept), Full Access (with automapping) and Send As; for
// a conversion back, the license and the way in; for both, the scheduled
// time. It is "" for an operation it does not know.
func OptionsText(op mailbox.Operation, t mailbox.Target) string {
	o := op.Options
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	switch op.Kind {
	case mailbox.KindConvertToShared:
		add("sign-in: %s", map[bool]string{false: "blocked", true: "kept"}[o.KeepSignIn])
		add("sessions: %s", map[bool]string{false: "revoked", true: "kept"}[o.KeepSessions])
		if o.AddLicense {
			add("license: added first if there is none")
		}
		switch {
		case o.KeepLicenses:
			add("licenses: kept, as asked")
		case t.LicensesKept != "":
			add("licenses: kept — %s", mrkdwn.Escape(t.LicensesKept))
		default:
			add("licenses: removed after verification")
		}
		if len(o.FullAccess) > 0 {
			add("Full Access: %s (automapping %s)", words.Addresses(o.FullAccess), map[bool]string{false: "on", true: "off"}[o.NoAutoMapping])
		}
		if len(o.SendAs) > 0 {
			add("Send As: %s", words.Addresses(o.SendAs))
		}
	case mailbox.KindConvertToRegular:
		if o.License != "" {
			add("license: %s", mrkdwn.Escape(o.License))
		} else {
			add("license: chosen automatically (free units, includes Exchange Online)")
		}
		add("sign-in: enabled")
		if o.Password {
			add("way in: a reset password, changed at next sign-in, sent to the requester privately")
		} else {
			add("way in: a Temporary Access Pass, sent to the requester privately")
		}
	case mailbox.KindCreateShared:
		if len(op.Members) > 0 {
			add("members: %s (each gets Full Access with automapping, and Send As)", words.People(op.Members))
		} else {
			add("members: none yet")
		}
		add("sign-in of the mailbox's own account: blocked (rule 11)")
	case mailbox.KindGrant:
		if op.Right == mailbox.FullAccess {
			add("%s", words.AutomapText(o))
		}
		if o.EachMember {
			add("each member of the group is granted directly (rule 14)")
		}
	case mailbox.KindRevoke, mailbox.KindMembers:
	default:
		return ""
	}
	if !o.At.IsZero() {
		add("scheduled: %s", mrkdwn.Date(o.At))
	}
	return strings.Join(parts, " · ")
}

// optionsBlocks is the DRY RUN mark and the options line of op.
func optionsBlocks(op mailbox.Operation, t mailbox.Target) []slack.Block {
	var blocks []slack.Block
	if op.Options.DryRun {
		blocks = append(blocks, section("dry_run", DryRunNote))
	}
	if o := OptionsText(op, t); o != "" {
		blocks = append(blocks, contextBlock("options", "*Options:* "+o))
	}
	return blocks
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
	var b strings.Builder
	b.WriteString("*Findings*")
	for _, f := range fs {
		fmt.Fprintf(&b, "\n%s %s", SeverityIcon(f.Severity), mrkdwn.Escape(f.Text))
		if f.Rule != 0 {
			fmt.Fprintf(&b, " _(rule %d)_", f.Rule)
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "\n      _What to do:_ %s", mrkdwn.Escape(f.Fix))
		}
	}
	return b.String()
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
func planBlocks(op mailbox.Operation, p mailbox.Plan, parts planPart) []slack.Block {
	blocks := optionsBlocks(op, p.Target)
	if t := findingsText(p.Findings); parts&withFindings != 0 && t != "" {
		blocks = append(blocks, section("findings", t))
	}
	if parts&withProgress != 0 {
		return blocks
	}
	header := "*Steps*"
	if len(p.Blockers()) > 0 {
		header = "*Steps, once the blockers are fixed*"
	}
	if t := planStepsText(p.Steps, header); t != "" {
		blocks = append(blocks, section("steps", t))
	}
	return blocks
}

// requestPlanBlocks is planBlocks of r's own operation and plan; with
// withProgress, r's steps come with their status.
func requestPlanBlocks(r *bot.Request, parts planPart) []slack.Block {
	blocks := planBlocks(r.Op, r.Plan, parts)
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
	lines = append(lines, "*Operation:* "+mrkdwn.Escape(words.Title(op, t)))
	if a := approverLine(p, r, shared); a != "" {
		lines = append(lines, a)
	}
	return strings.Join(lines, "\n")
}

// convertTargetLine is the mailbox a conversion found: its address, display
// name, current type, whether it is a deleted user's, and its size.
func convertTargetLine(op mailbox.Operation, t mailbox.Target) string {
	line := "*Mailbox:* " + mrkdwn.Escape(words.MailboxOf(op, t))
	var about []string
	if t.DisplayName != "" {
		about = append(about, mrkdwn.Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, "currently "+mrkdwn.Escape(t.RecipientTypeDetails))
	}
	if t.Deleted {
		about = append(about, "a deleted user, to be recovered first")
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
		return []string{"*New shared mailbox:* *" + mrkdwn.Escape(name) + "* &lt;" + mrkdwn.Escape(op.Mailbox) + "&gt; " + words.MembersCount(len(op.Members))}
	}
	line := "*Mailbox:* " + mrkdwn.Escape(words.MailboxOf(op, t))
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
		lines = append(lines, "*Right:* "+mrkdwn.Escape(words.RightName(op.Right))+" · *to* "+words.Person(op.Trustee))
	case mailbox.KindRevoke:
		lines = append(lines, "*Right:* "+mrkdwn.Escape(words.RightName(op.Right))+" · *from* "+words.Person(op.Trustee))
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
		return "*Approver:* " + approversText(r)
	case len(p.Blockers()) > 0:
		return "*Approver:* none — this cannot go ahead until the blockers below are fixed"
	case shared:
		return ""
	case t.ManagerEmail != "" || t.ManagerName != "":
		who := mrkdwn.Escape(t.ManagerName)
		if who == "" {
			who = mrkdwn.Escape(t.ManagerEmail)
		} else if t.ManagerEmail != "" {
			who += " (" + mrkdwn.Escape(t.ManagerEmail) + ")"
		}
		return "*Approver:* the owner's manager, " + who
	}
	return "*Approver:* a configured approver (the owner has no manager in Microsoft Entra)"
}

// approverReason tells the approver why they are asked.
func approverReason(r *bot.Request) string {
	switch {
	case r.ApproverSource == "manager" && words.IsShared(r.Op.Kind):
		return "You are asked because you are the manager of " + mrkdwn.Mention(r.Requester) + " in Microsoft Entra."
	}
	switch r.ApproverSource {
	case "manager":
		owner := r.Plan.Target.DisplayName
		if owner == "" {
			owner = words.MailboxOf(r.Op, r.Plan.Target)
		}
		return "You are asked because you are the manager of " + mrkdwn.Escape(owner) + " in Microsoft Entra."
	case "configured":
		return "You are asked because you are a configured approver for mailbox changes."
	}
	return "You are asked as an approver of this request."
}

// approversText is who approves r and why: "<@A>, <@B> (configured
// approver)"; "none needed" for a /shared-mailbox request the policy lets
// through.
func approversText(r *bot.Request) string {
	if len(r.Approvers) == 0 && words.IsShared(r.Op.Kind) {
		return "none needed"
	}
	if len(r.Approvers) == 0 {
		return "none"
	}
	ms := make([]string, len(r.Approvers))
	for i, a := range r.Approvers {
		ms[i] = mrkdwn.Mention(a)
	}
	t := strings.Join(ms, ", ")
	switch r.ApproverSource {
	case "manager":
		t += " (manager of the owner)"
	case "configured":
		t += " (configured approver)"
	}
	return t
}
