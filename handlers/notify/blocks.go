package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The rendering below is pure: a message is a function of a request (or an
// answer) and, for the approval message, the time. Text that comes from
// people or from Microsoft (addresses, display names, findings, step
// details, error texts) is escaped; Answer.Text and Tell's headline are the
// bot's own mrkdwn and are used as they are.

// Action ids and the block id prefixes of the buttons. The handlers read
// them back from block_actions payloads.
const (
	ActionApprove   = bot.ActionApprove
	ActionReject    = bot.ActionReject
	ActionRetry     = bot.ActionRetry
	DecisionBlockID = "decision:" // + request id
	RetryBlockID    = "retry:"    // + request id
)

// DryRunNote marks every message about a dry run.
const DryRunNote = "🧪 *DRY RUN*: nothing is changed in the tenant; each step reports what it would do and send."

// Slack's limits on text objects (characters).
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxErrorText   = 500
	maxConfirmText = 300
	maxTitleText   = 100
	maxFallback    = 3000
)

func mdText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, maxSectionText), false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, max), true, false)
}

func section(id, text string) *slack.SectionBlock {
	return &slack.SectionBlock{Type: slack.MBTSection, BlockID: id, Text: mdText(text)}
}

func contextBlock(id string, texts ...string) *slack.ContextBlock {
	var els []slack.MixedElement
	for _, t := range texts {
		els = append(els, mdText(t))
	}
	return slack.NewContextBlock(id, els...)
}

// truncate shortens s to at most max characters, ending in "…".
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func summary(r *bot.Request, bold bool) string {
	return mrkdwn.Mention(r.Requester) + " asks to " + words.Phrase(r.Op, r.Plan.Target, bold)
}

// dryTag prefixes the plain-text fallbacks of a dry run.
func dryTag(op mailbox.Operation) string {
	if op.Options.DryRun {
		return "[DRY RUN] "
	}
	return ""
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

// ApprovalText is the plain-text fallback of the approval message.
func ApprovalText(r *bot.Request) string {
	return dryTag(r.Op) + summary(r, false)
}

// approveConfirm is the text of the Approve button's confirm dialog (plain
// text: no Slack dates).
func approveConfirm(r *bot.Request) string {
	mb := mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))
	n, o := len(r.Plan.Steps), r.Op.Options
	when := "as soon as you approve"
	if !o.At.IsZero() {
		when = "at " + mrkdwn.UTC(o.At) + ", as scheduled"
	}
	if o.DryRun {
		return fmt.Sprintf("Dry run: the bot will report the %d steps for %s %s, with what each would send. Nothing will be changed.", n, mb, when)
	}
	signIn := "sign-in blocked"
	if o.KeepSignIn {
		signIn = "sign-in kept"
	}
	switch {
	case r.Op.Kind == mailbox.KindCreateShared:
		name := r.Op.DisplayName
		if name == "" {
			name = r.Op.Mailbox
		}
		return fmt.Sprintf("The shared mailbox “%s” (%s) will be created %s, each with Full Access and Send As, and its own account's sign-in blocked, %s.",
			mrkdwn.Escape(name), mb, words.MembersCount(len(r.Op.Members)), when)
	case r.Op.Kind == mailbox.KindGrant && r.Op.Right == mailbox.FullAccess:
		return fmt.Sprintf("%s will get Full Access to %s (%s) %s.", words.PlainPerson(r.Op.Trustee), mb, words.AutomapText(o), when)
	case r.Op.Kind == mailbox.KindGrant:
		return fmt.Sprintf("%s will get %s on %s %s.", words.PlainPerson(r.Op.Trustee), words.RightName(r.Op.Right), mb, when)
	case r.Op.Kind == mailbox.KindRevoke:
		return fmt.Sprintf("%s on %s will be taken away from %s %s.", words.RightName(r.Op.Right), mb, words.PlainPerson(r.Op.Trustee), when)
	case r.Op.Kind == mailbox.KindConvertToShared && r.Plan.Target.Deleted:
		return fmt.Sprintf("The deleted user %s will be restored and its mailbox converted to a shared mailbox (%d steps, %s) %s. The user account is kept.", mb, n, signIn, when)
	case r.Op.Kind == mailbox.KindConvertToShared:
		return fmt.Sprintf("%s will be converted to a shared mailbox (%d steps, %s) %s. The user account is kept.", mb, n, signIn, when)
	case r.Op.Kind == mailbox.KindConvertToRegular:
		way := "a Temporary Access Pass"
		if o.Password {
			way = "a reset password"
		}
		return fmt.Sprintf("%s will be converted back to a user mailbox (%d steps) %s: licensed, sign-in enabled, and %s sent privately to the requester.", mb, n, when, way)
	}
	return fmt.Sprintf("The bot will run %d steps on %s %s.", n, mb, when)
}

// ApprovalBlocks renders the approver's direct message: what is asked (the
// mailbox with its size), DRY RUN when it is one, the options, the
// findings with their rules, the steps, why the reader is the approver,
// when the request expires, and the Approve (with a confirm dialog) and
// Reject buttons.
func ApprovalBlocks(r *bot.Request, now time.Time) []slack.Block {
	blocks := []slack.Block{section("summary", summary(r, true))}
	blocks = append(blocks, optionsBlocks(r.Op, r.Plan.Target)...)
	if t := findingsText(r.Plan.Findings); t != "" {
		blocks = append(blocks, section("findings", t))
	}
	if t := planStepsText(r.Plan.Steps, "*Steps*"); t != "" {
		blocks = append(blocks, section("steps", t))
	}
	expiry := "No expiry."
	if !r.ExpiresAt.IsZero() {
		if r.ExpiresAt.After(now) {
			expiry = "Expires " + mrkdwn.Date(r.ExpiresAt) + "."
		} else {
			expiry = "Expired " + mrkdwn.Date(r.ExpiresAt) + "."
		}
	}
	blocks = append(blocks, contextBlock("why",
		approverReason(r),
		expiry+" Request `"+mrkdwn.Escape(r.ID)+"`."))

	title := "Approve this change?"
	if r.Op.Options.DryRun {
		title = "Approve this dry run?"
	}
	approve := slack.NewButtonBlockElement(ActionApprove, r.ID, plain("Approve", 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain(title, maxTitleText),
			plain(approveConfirm(r), maxConfirmText),
			plain("Approve", 30),
			plain("Cancel", 30)))
	reject := slack.NewButtonBlockElement(ActionReject, r.ID, plain("Reject", 75)).WithStyle(slack.StyleDanger)
	blocks = append(blocks, slack.NewActionBlock(DecisionBlockID+r.ID, approve, reject))
	return blocks
}

// eventAt returns the time and actor of the last event that moved r to s.
func eventAt(r *bot.Request, s bot.State) (time.Time, string) {
	for i := len(r.History) - 1; i >= 0; i-- {
		if e := r.History[i]; e.To == s {
			return e.At, e.Actor
		}
	}
	return r.UpdatedAt, ""
}

// DecisionText says how a request was decided: "Approved by <@U> on
// <date>", "Rejected by …", "Expired on … without a decision",
// "Cancelled …", or "Waiting for a decision" while pending.
func DecisionText(r *bot.Request) string {
	if d := r.Decision; d != nil {
		if d.Approved {
			return "Approved by " + mrkdwn.Mention(d.By) + " on " + mrkdwn.Date(d.At)
		}
		return "Rejected by " + mrkdwn.Mention(d.By) + " on " + mrkdwn.Date(d.At)
	}
	if len(r.Approvers) == 0 && words.IsShared(r.Op.Kind) && r.State != bot.StatePending && r.State != bot.StateExpired && r.State != bot.StateCancelled {
		return "No approval needed"
	}
	switch r.State {
	case bot.StateExpired:
		at := r.ExpiresAt
		if at.IsZero() {
			at, _ = eventAt(r, bot.StateExpired)
		}
		return "Expired on " + mrkdwn.Date(at) + " without a decision"
	case bot.StateCancelled:
		at, by := eventAt(r, bot.StateCancelled)
		if by != "" && by != "bot" {
			return "Cancelled by " + mrkdwn.Mention(by) + " on " + mrkdwn.Date(at) + " before a decision"
		}
		return "Cancelled on " + mrkdwn.Date(at) + " before a decision"
	}
	return "Waiting for a decision"
}

func decisionIcon(r *bot.Request) string {
	if d := r.Decision; d != nil {
		if d.Approved {
			return "✅"
		}
		return "❌"
	}
	switch r.State {
	case bot.StateExpired:
		return "⌛"
	case bot.StateCancelled:
		return "🚫"
	}
	return "⏳"
}

// DecidedText is the plain-text fallback of a decided approval message.
func DecidedText(r *bot.Request) string {
	return dryTag(r.Op) + summary(r, false) + ": " + DecisionText(r)
}

// DecidedBlocks renders the approval message once it is decided, expired or
// cancelled: the summary of what was asked with its options, the steps,
// and who decided and when. It has no buttons.
func DecidedBlocks(r *bot.Request) []slack.Block {
	blocks := []slack.Block{section("summary", summary(r, true))}
	blocks = append(blocks, optionsBlocks(r.Op, r.Plan.Target)...)
	if t := planStepsText(r.Plan.Steps, "*Steps*"); t != "" {
		blocks = append(blocks, section("steps", t))
	}
	blocks = append(blocks,
		section("decision", decisionIcon(r)+" *"+DecisionText(r)+"*"),
		contextBlock("request", "Request `"+mrkdwn.Escape(r.ID)+"`"))
	return blocks
}

// StepIcon is the icon of a step's status.
func StepIcon(s mailbox.Status) string {
	switch s {
	case mailbox.Done:
		return "✅"
	case mailbox.Skipped:
		return "⏭️"
	case mailbox.Pending:
		return "⏳"
	case bot.StepFailed:
		return "❌"
	}
	return "▫️"
}

func stepStates(r *bot.Request) []bot.StepState {
	if len(r.Steps) > 0 {
		return r.Steps
	}
	out := make([]bot.StepState, len(r.Plan.Steps))
	for i, s := range r.Plan.Steps {
		out[i].Step = s
	}
	return out
}

// DryRunIcon marks a step of a dry run that reports what it would do.
const DryRunIcon = "🧪"

// stepLine renders one step. In a dry run a done step says what it would
// have done (its detail, "would …", written by the bot). A pending step
// whose last attempt met a passing fault (Error set) is being retried.
func stepLine(r *bot.Request, i int, s bot.StepState) string {
	icon := StepIcon(s.Status)
	dry := r.Op.Options.DryRun && s.Status == mailbox.Done
	if dry {
		icon = DryRunIcon
	}
	line := fmt.Sprintf("%s %d. %s", icon, i+1, mrkdwn.Escape(s.Title))
	detail := mrkdwn.Escape(s.Detail)
	switch s.Status {
	case mailbox.Done:
		switch {
		case dry && detail == "":
			line += " — _would run_"
		case dry && !strings.HasPrefix(strings.ToLower(s.Detail), "would"):
			line += " — _would run: " + detail + "_"
		case detail != "":
			line += " — _" + detail + "_"
		}
	case mailbox.Skipped:
		line += " — skipped"
		if detail != "" {
			line += ": _" + detail + "_"
		}
	case mailbox.Pending:
		if s.Error != "" {
			if detail == "" {
				detail = mrkdwn.Escape(truncate(s.Error, maxErrorText))
			}
			line += " — retrying: _" + detail + "_"
			break
		}
		line += " — waiting"
		if detail != "" {
			line += ": _" + detail + "_"
		}
	case bot.StepFailed:
		line += " — *failed*"
		if s.Attempts > 1 {
			line += fmt.Sprintf(" after %d attempts", s.Attempts)
		}
		if s.Error != "" {
			line += "\n" + mrkdwn.Quote(mrkdwn.Escape(truncate(s.Error, maxErrorText)))
		} else if detail != "" {
			line += ": _" + detail + "_"
		}
	default:
		line += " — not run"
	}
	return line
}

func failed(r *bot.Request) bool {
	if r.State == bot.StateFailed {
		return true
	}
	for _, s := range r.Steps {
		if s.Status == bot.StepFailed {
			return true
		}
	}
	return false
}

// StepsBlocks renders a request's steps with their status (✅ done, 🧪
// what a dry run would do, ⏭️ skipped, ⏳ waiting or retrying, ❌ failed
// with Microsoft's error quoted, ▫️ not run) and, when the request failed,
// what had already been done.
func StepsBlocks(r *bot.Request) []slack.Block {
	steps := stepStates(r)
	if len(steps) == 0 {
		return nil
	}
	lines := []string{"*Steps*"}
	for i, s := range steps {
		lines = append(lines, stepLine(r, i, s))
	}
	blocks := []slack.Block{section("steps", strings.Join(lines, "\n"))}
	if failed(r) && r.Op.Options.DryRun {
		t := "*Dry run:* nothing was changed in the tenant."
		if r.Failure != "" {
			t += "\n*Why it stopped:* " + mrkdwn.Escape(truncate(r.Failure, maxErrorText))
		}
		blocks = append(blocks, section("failure", t))
	} else if failed(r) {
		var done []string
		for i, s := range steps {
			switch s.Status {
			case mailbox.Done:
				done = append(done, fmt.Sprintf("%d. %s", i+1, mrkdwn.Escape(s.Title)))
			case mailbox.Skipped:
				done = append(done, fmt.Sprintf("%d. %s (was already so)", i+1, mrkdwn.Escape(s.Title)))
			}
		}
		var t string
		if len(done) == 0 {
			t = "*Already done:* nothing; no change was made before the failure."
		} else {
			t = "*Already done:* " + strings.Join(done, "; ") + ". The other steps were not run."
		}
		if r.Failure != "" {
			t += "\n*Why it stopped:* " + mrkdwn.Escape(truncate(r.Failure, maxErrorText))
		}
		blocks = append(blocks, section("failure", t))
	}
	return blocks
}

// stepsText is a plain-text rendering of the steps, for fallbacks.
func stepsText(r *bot.Request) string {
	var parts []string
	for i, s := range stepStates(r) {
		st := string(s.Status)
		if st == "" {
			st = "not run"
		}
		parts = append(parts, fmt.Sprintf("%d. %s: %s", i+1, mrkdwn.Escape(s.Title), st))
	}
	return strings.Join(parts, "; ")
}

// TellText is the plain-text fallback of Tell's direct message.
func TellText(r *bot.Request, headline string) string {
	return truncate(dryTag(r.Op)+headline+" — "+stepsText(r), maxFallback)
}

// CanRetry reports whether r failed and may still be retried at now.
func CanRetry(r *bot.Request, now time.Time) bool {
	return r.State == bot.StateFailed && now.Before(r.RetryUntil)
}

// TellBlocks renders Tell's direct message: the headline (the bot's own
// mrkdwn), DRY RUN when it is one, then every step with its status; when
// r failed and may still be retried at now (CanRetry), the Retry button.
func TellBlocks(r *bot.Request, headline string, now time.Time) []slack.Block {
	return tellBlocks(r, headline, CanRetry(r, now))
}

func tellBlocks(r *bot.Request, headline string, retry bool) []slack.Block {
	blocks := []slack.Block{section("headline", headline)}
	if r.Op.Options.DryRun {
		blocks = append(blocks, section("dry_run", DryRunNote))
	}
	blocks = append(blocks, StepsBlocks(r)...)
	if retry {
		blocks = append(blocks, retryBlocks(r)...)
	}
	blocks = append(blocks, contextBlock("request",
		"Request `"+mrkdwn.Escape(r.ID)+"` · "+mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))+" · "+stateText(r.State)))
	return blocks
}

// retryBlocks offers to run a failed request again from its failed step:
// until when, and the Retry button with a confirm dialog.
func retryBlocks(r *bot.Request) []slack.Block {
	from, plainFrom := "from the start", "from the start"
	for i, s := range r.Steps {
		if s.Status == bot.StepFailed {
			from = fmt.Sprintf("at step %d, “%s”", i+1, mrkdwn.Escape(s.Title))
			plainFrom = fmt.Sprintf("from step %d, “%s”", i+1, mrkdwn.Escape(s.Title))
			break
		}
	}
	text := "You can retry until " + mrkdwn.Date(r.RetryUntil) + ": the request resumes " + from +
		", without a new approval; the steps already done are not run again."
	confirm := fmt.Sprintf("The bot runs the request for %s again %s. The steps already done are not run again, and no new approval is asked.",
		mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target)), plainFrom)
	button := slack.NewButtonBlockElement(ActionRetry, r.ID, plain("Retry from the failed step", 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain("Retry this request?", maxTitleText),
			plain(confirm, maxConfirmText),
			plain("Retry", 30),
			plain("Cancel", 30)))
	return []slack.Block{section("retry", text), slack.NewActionBlock(RetryBlockID+r.ID, button)}
}

// SecretText is the plain-text fallback of TellSecret's message. It holds
// no credential: the fallback shows in notifications, on lock screens.
func SecretText(r *bot.Request) string {
	return fmt.Sprintf("🔑 Sign-in details for %s (request %s): open this message to see them.",
		mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target)), mrkdwn.Escape(r.ID))
}

// SecretBlocks renders TellSecret's message: text (the bot's own mrkdwn,
// which holds the credential), then a short line about the request.
func SecretBlocks(r *bot.Request, text string) []slack.Block {
	return []slack.Block{
		section("secret", text),
		contextBlock("request", "Request `"+mrkdwn.Escape(r.ID)+"` · "+mrkdwn.Escape(words.Title(r.Op, r.Plan.Target))+
			" · "+mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))+" · 🔒 sent to you alone; the bot does not store or log it"),
	}
}

// StateIcon is the icon of a request's state.
func StateIcon(s bot.State) string {
	switch s {
	case bot.StatePending, bot.StateWaiting:
		return "⏳"
	case bot.StateApproved:
		return "👍"
	case bot.StateRejected, bot.StateFailed:
		return "❌"
	case bot.StateExpired:
		return "⌛"
	case bot.StateCancelled:
		return "🚫"
	case bot.StateRunning:
		return "🔄"
	case bot.StateSucceeded:
		return "✅"
	}
	return "•"
}

func stateText(s bot.State) string {
	return StateIcon(s) + " " + mrkdwn.Escape(strings.ReplaceAll(string(s), "_", " "))
}

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

// AuditText is the plain-text fallback of the audit message.
func AuditText(r *bot.Request) string {
	return fmt.Sprintf("%s%s: %s %s requested by %s: %s", dryTag(r.Op), mrkdwn.Escape(r.ID), mrkdwn.Escape(words.Title(r.Op, r.Plan.Target)),
		mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target)), mrkdwn.Mention(r.Requester), mrkdwn.Escape(strings.ReplaceAll(string(r.State), "_", " ")))
}

// AuditBlocks renders the audit channel's one message per request: id,
// mailbox, operation, requester, approvers, state, decision and the steps.
func AuditBlocks(r *bot.Request) []slack.Block {
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, truncate("*"+name+"*\n"+value, maxFieldText), false, false)
	}
	fields := []*slack.TextBlockObject{
		field("Request", "`"+mrkdwn.Escape(r.ID)+"`"),
		field("Mailbox", mrkdwn.Escape(words.MailboxOf(r.Op, r.Plan.Target))),
		field("Operation", mrkdwn.Escape(words.Title(r.Op, r.Plan.Target))),
		field("State", stateText(r.State)),
		field("Requester", mrkdwn.Mention(r.Requester)),
		field("Approvers", approversText(r)),
		field("Decision", DecisionText(r)),
	}
	if !r.CreatedAt.IsZero() {
		fields = append(fields, field("Created", mrkdwn.Date(r.CreatedAt)))
	}
	blocks := []slack.Block{
		&slack.SectionBlock{Type: slack.MBTSection, BlockID: "audit", Text: mdText("*Mailbox request* " + summary(r, true)), Fields: fields},
	}
	blocks = append(blocks, optionsBlocks(r.Op, r.Plan.Target)...)
	blocks = append(blocks, StepsBlocks(r)...)
	if !r.UpdatedAt.IsZero() {
		blocks = append(blocks, contextBlock("updated", "Last change "+mrkdwn.Date(r.UpdatedAt)))
	}
	return blocks
}

// planText is the compact plan of an answer: the mailbox found, who
// approves (approvers of a request, or the one the plan points at).
func planText(p mailbox.Plan, r *bot.Request) string {
	if words.IsShared(p.Op.Kind) || (r != nil && words.IsShared(r.Op.Kind)) {
		return sharedPlanText(p, r)
	}
	t := p.Target
	line := "*Mailbox:* " + mrkdwn.Escape(words.MailboxOf(p.Op, t))
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
	op := p.Op
	if r != nil {
		op = r.Op
	}
	lines := []string{line, "*Operation:* " + mrkdwn.Escape(words.Title(op, t))}
	switch {
	case r != nil:
		lines = append(lines, "*Approver:* "+approversText(r))
	case len(p.Blockers()) > 0:
		lines = append(lines, "*Approver:* none — this cannot go ahead until the blockers below are fixed")
	case t.ManagerEmail != "" || t.ManagerName != "":
		who := mrkdwn.Escape(t.ManagerName)
		if who == "" {
			who = mrkdwn.Escape(t.ManagerEmail)
		} else if t.ManagerEmail != "" {
			who += " (" + mrkdwn.Escape(t.ManagerEmail) + ")"
		}
		lines = append(lines, "*Approver:* the owner's manager, "+who)
	default:
		lines = append(lines, "*Approver:* a configured approver (the owner has no manager in Microsoft Entra)")
	}
	return strings.Join(lines, "\n")
}

// sharedPlanText is planText for a /shared-mailbox operation: the new
// mailbox and its members, or the mailbox found, the right and who gets or
// loses it; who approves when a request is known (the policy is the
// bot's: without a request it is not repeated here).
func sharedPlanText(p mailbox.Plan, r *bot.Request) string {
	op, t := p.Op, p.Target
	if r != nil {
		op = r.Op
	}
	var lines []string
	switch op.Kind {
	case mailbox.KindCreateShared:
		name := op.DisplayName
		if name == "" {
			name = t.DisplayName
		}
		lines = append(lines, "*New shared mailbox:* *"+mrkdwn.Escape(name)+"* &lt;"+mrkdwn.Escape(op.Mailbox)+"&gt; "+words.MembersCount(len(op.Members)))
	default:
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
		lines = append(lines, line)
		switch op.Kind {
		case mailbox.KindGrant:
			lines = append(lines, "*Right:* "+mrkdwn.Escape(words.RightName(op.Right))+" · *to* "+words.Person(op.Trustee))
		case mailbox.KindRevoke:
			lines = append(lines, "*Right:* "+mrkdwn.Escape(words.RightName(op.Right))+" · *from* "+words.Person(op.Trustee))
		}
	}
	lines = append(lines, "*Operation:* "+mrkdwn.Escape(words.Title(op, t)))
	switch {
	case r != nil:
		lines = append(lines, "*Approver:* "+approversText(r))
	case len(p.Blockers()) > 0:
		lines = append(lines, "*Approver:* none — this cannot go ahead until the blockers below are fixed")
	}
	return strings.Join(lines, "\n")
}

// maxTextBlocks bounds the sections one answer's text is split into, so
// that the message stays within Slack's 50 blocks with the plan below it.
const maxTextBlocks = 30

// SplitText splits mrkdwn into pieces of at most max characters, at line
// ends where it can: a piece that ends inside a preformatted block (```)
// closes it, and the next piece opens it again, so that every piece
// renders on its own. A line longer than a piece is cut.
func SplitText(s string, max int) []string {
	const fence = "```"
	if utf8.RuneCountInString(s) <= max {
		return []string{s}
	}
	room := max - len(fence) - 1 // for the closing fence a piece may need
	if room < 1 {
		room = 1
	}
	var (
		out     []string
		cur     []string
		curLen  int  // characters in cur, with the newlines between lines
		inCode  bool // inside a preformatted block after cur
		opened  bool // cur's last line opened that block
		started bool // cur holds something besides a reopened fence
	)
	flush := func() {
		piece := strings.Join(cur, "\n")
		if inCode {
			piece += "\n" + fence
		}
		out = append(out, piece)
		cur, curLen, started = nil, 0, false
		if inCode {
			cur, curLen = []string{fence}, len(fence)
		}
	}
	add := func(line string) {
		n := utf8.RuneCountInString(line)
		if len(cur) > 0 && started && curLen+1+n > room {
			last := cur[len(cur)-1]
			lastLen := utf8.RuneCountInString(last)
			if opened && len(cur) > 1 && strings.TrimSpace(last) == fence && lastLen+1+n <= room {
				// The block opens on cur's last line: open it in the
				// next piece instead, rather than leave it empty here.
				cur, curLen, inCode = cur[:len(cur)-1], curLen-lastLen-1, false
				flush()
				cur, curLen, inCode = []string{last}, lastLen, true
			} else {
				flush()
			}
		}
		if len(cur) > 0 {
			curLen++
		}
		cur = append(cur, line)
		curLen += n
		started = true
		opened = false
		if strings.Count(line, fence)%2 == 1 {
			inCode = !inCode
			opened = inCode
		}
	}
	for _, line := range strings.Split(s, "\n") {
		r := []rune(line)
		// A line too long for a piece of its own is cut into such pieces.
		for limit := room - len(fence) - 1; len(r) > limit && limit > 0; {
			at := cutAt(r, limit)
			add(string(r[:at]))
			r = r[at:]
		}
		add(string(r))
	}
	// The last piece ends as the text does.
	return append(out, strings.Join(cur, "\n"))
}

// cutAt is where to cut r, which is longer than limit, into a first part
// of at most limit runes: after a space in the last fifth if there is
// one, and never inside a fence (```) or an entity (&lt;).
func cutAt(r []rune, limit int) int {
	ok := func(i int) bool {
		if r[i-1] == '`' && r[i] == '`' {
			return false
		}
		for j := i - 1; j >= 0 && j >= i-6; j-- {
			if r[j] == ';' {
				break
			}
			if r[j] == '&' {
				return false
			}
		}
		return true
	}
	for i := limit; i > limit*4/5 && i > 0; i-- {
		if r[i-1] == ' ' && ok(i) {
			return i
		}
	}
	for i := limit; i > limit/2 && i > 0; i-- {
		if ok(i) {
			return i
		}
	}
	return limit
}

// textBlocks renders an answer's text as one section, or several when it
// is longer than a section holds.
func textBlocks(text string) []slack.Block {
	pieces := SplitText(text, maxSectionText)
	if len(pieces) > maxTextBlocks {
		pieces = append(pieces[:maxTextBlocks-1], "_(The rest is too long for one Slack message.)_")
	}
	blocks := make([]slack.Block, len(pieces))
	for i, p := range pieces {
		id := "text"
		if i > 0 {
			id = fmt.Sprintf("text_%d", i+1)
		}
		blocks[i] = section(id, p)
	}
	return blocks
}

// AnswerText is the plain-text fallback of an answer.
func AnswerText(a bot.Answer) string {
	if a.Text != "" {
		tag := ""
		switch {
		case a.Request != nil:
			tag = dryTag(a.Request.Op)
		case a.Plan != nil:
			tag = dryTag(a.Plan.Op)
		}
		return truncate(tag+a.Text, maxFallback)
	}
	switch {
	case a.Request != nil:
		return AuditText(a.Request) // tagged already
	case a.Plan != nil:
		return dryTag(a.Plan.Op) + mrkdwn.Escape(words.Title(a.Plan.Op, a.Plan.Target)+": "+words.MailboxOf(a.Plan.Op, a.Plan.Target))
	}
	return "(no text)"
}

// AnswerBlocks renders a private answer: the text (split into several
// sections when it is longer than one holds, see SplitText), then a compact plan
// (mailbox found with display name and current type, who approves,
// findings, steps) of a.Request or, failing that, a.Plan.
func AnswerBlocks(a bot.Answer) []slack.Block {
	var blocks []slack.Block
	if a.Text != "" {
		blocks = append(blocks, textBlocks(a.Text)...)
	}
	switch {
	case a.Request != nil:
		r := a.Request
		blocks = append(blocks, section("plan", planText(r.Plan, r)))
		blocks = append(blocks, optionsBlocks(r.Op, r.Plan.Target)...)
		if t := findingsText(r.Plan.Findings); t != "" {
			blocks = append(blocks, section("findings", t))
		}
		blocks = append(blocks, StepsBlocks(r)...)
		ctx := "Request `" + mrkdwn.Escape(r.ID) + "` · " + stateText(r.State)
		if r.State == bot.StatePending && !r.ExpiresAt.IsZero() {
			ctx += " · expires " + mrkdwn.Date(r.ExpiresAt)
		}
		blocks = append(blocks, contextBlock("request", ctx))
	case a.Plan != nil:
		blocks = append(blocks, section("plan", planText(*a.Plan, nil)))
		blocks = append(blocks, optionsBlocks(a.Plan.Op, a.Plan.Target)...)
		if t := findingsText(a.Plan.Findings); t != "" {
			blocks = append(blocks, section("findings", t))
		}
		header := "*Steps*"
		if len(a.Plan.Blockers()) > 0 {
			header = "*Steps, once the blockers are fixed*"
		}
		if t := planStepsText(a.Plan.Steps, header); t != "" {
			blocks = append(blocks, section("steps", t))
		}
	}
	if len(blocks) == 0 {
		blocks = append(blocks, section("text", AnswerText(a)))
	}
	return blocks
}
