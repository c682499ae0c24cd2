package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
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

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape escapes &, < and > for Slack mrkdwn, so that user-provided text
// cannot form mentions, links or dates.
func Escape(s string) string { return escaper.Replace(s) }

// Date formats t with Slack's date formatting, shown in the reader's own
// time zone: "<!date^unix^{date_short_pretty} at {time}|fallback>".
func Date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// Mention formats a Slack user id as a mention.
func Mention(user string) string { return "<@" + user + ">" }

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, maxSectionText), false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, max), true, false)
}

func section(id, text string) *slack.SectionBlock {
	return &slack.SectionBlock{Type: slack.MBTSection, BlockID: id, Text: mrkdwn(text)}
}

func contextBlock(id string, texts ...string) *slack.ContextBlock {
	var els []slack.MixedElement
	for _, t := range texts {
		els = append(els, mrkdwn(t))
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

// quote renders text as a Slack block quote.
func quote(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

func mailboxOf(op mailbox.Operation, t mailbox.Target) string {
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
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

// operationTitle is OperationTitle, told apart for a deleted user (rule
// 10) and marked for a dry run.
func operationTitle(op mailbox.Operation, t mailbox.Target) string {
	title := OperationTitle(op.Kind)
	if op.Kind == mailbox.KindConvertToShared && t.Deleted {
		title = "Recover a deleted user and convert to a shared mailbox"
	}
	if op.Options.DryRun {
		title += " (dry run)"
	}
	return title
}

// Size formats a mailbox size the way Exchange counts it (1 GB = 2^30
// bytes): "63.2 GB", "512.0 MB".
func Size(bytes int64) string {
	const kb, mb, gb = 1 << 10, 1 << 20, 1 << 30
	switch {
	case bytes >= gb:
		return fmt.Sprintf("%.1f GB", float64(bytes)/gb)
	case bytes >= mb:
		return fmt.Sprintf("%.1f MB", float64(bytes)/mb)
	case bytes >= kb:
		return fmt.Sprintf("%.1f KB", float64(bytes)/kb)
	}
	return fmt.Sprintf("%d bytes", bytes)
}

// operationPhrase is what is asked, after "asks to": "convert *a@b*
// (Alice, UserMailbox, 14.6 GB) to a shared mailbox". bold marks the
// mailbox up.
func operationPhrase(op mailbox.Operation, t mailbox.Target, bold bool) string {
	mb := Escape(mailboxOf(op, t))
	if bold {
		mb = "*" + mb + "*"
	}
	var about []string
	if t.DisplayName != "" {
		about = append(about, Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, Escape(t.RecipientTypeDetails))
	}
	if t.SizeBytes > 0 {
		about = append(about, Size(t.SizeBytes))
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
	return Escape(OperationTitle(op.Kind)) + " on " + mb
}

func summary(r *bot.Request, bold bool) string {
	return Mention(r.Requester) + " asks to " + operationPhrase(r.Op, r.Plan.Target, bold)
}

// dryTag prefixes the plain-text fallbacks of a dry run.
func dryTag(op mailbox.Operation) string {
	if op.Options.DryRun {
		return "[DRY RUN] "
	}
	return ""
}

// addresses lists escaped addresses: "a@b, c@d".
func addresses(l []string) string {
	out := make([]string, len(l))
	for i, a := range l {
		out[i] = Escape(a)
	}
	return strings.Join(out, ", ")
}

// utcTime formats t for plain text, where Slack's dates do not work.
func utcTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

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
			add("licenses: kept — %s", Escape(t.LicensesKept))
		default:
			add("licenses: removed after verification")
		}
		if len(o.FullAccess) > 0 {
			add("Full Access: %s (automapping %s)", addresses(o.FullAccess), map[bool]string{false: "on", true: "off"}[o.NoAutoMapping])
		}
		if len(o.SendAs) > 0 {
			add("Send As: %s", addresses(o.SendAs))
		}
	case mailbox.KindConvertToRegular:
		if o.License != "" {
			add("license: %s", Escape(o.License))
		} else {
			add("license: chosen automatically (free units, includes Exchange Online)")
		}
		add("sign-in: enabled")
		if o.Password {
			add("way in: a reset password, changed at next sign-in, sent to the requester privately")
		} else {
			add("way in: a Temporary Access Pass, sent to the requester privately")
		}
	default:
		return ""
	}
	if !o.At.IsZero() {
		add("scheduled: %s", Date(o.At))
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
		fmt.Fprintf(&b, "\n%s %s", SeverityIcon(f.Severity), Escape(f.Text))
		if f.Rule != 0 {
			fmt.Fprintf(&b, " _(rule %d)_", f.Rule)
		}
		if f.Fix != "" {
			fmt.Fprintf(&b, "\n      _What to do:_ %s", Escape(f.Fix))
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
		fmt.Fprintf(&b, "\n%d. %s", i+1, Escape(s.Title))
	}
	return b.String()
}

func approverReason(r *bot.Request) string {
	switch r.ApproverSource {
	case "manager":
		owner := r.Plan.Target.DisplayName
		if owner == "" {
			owner = mailboxOf(r.Op, r.Plan.Target)
		}
		return "You are asked because you are the manager of " + Escape(owner) + " in Microsoft Entra."
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
	mb := Escape(mailboxOf(r.Op, r.Plan.Target))
	n, o := len(r.Plan.Steps), r.Op.Options
	when := "as soon as you approve"
	if !o.At.IsZero() {
		when = "at " + utcTime(o.At) + ", as scheduled"
	}
	if o.DryRun {
		return fmt.Sprintf("Dry run: the bot will report the %d steps for %s %s, with what each would send. Nothing will be changed.", n, mb, when)
	}
	signIn := "sign-in blocked"
	if o.KeepSignIn {
		signIn = "sign-in kept"
	}
	switch {
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
			expiry = "Expires " + Date(r.ExpiresAt) + "."
		} else {
			expiry = "Expired " + Date(r.ExpiresAt) + "."
		}
	}
	blocks = append(blocks, contextBlock("why",
		approverReason(r),
		expiry+" Request `"+Escape(r.ID)+"`."))

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
			return "Approved by " + Mention(d.By) + " on " + Date(d.At)
		}
		return "Rejected by " + Mention(d.By) + " on " + Date(d.At)
	}
	switch r.State {
	case bot.StateExpired:
		at := r.ExpiresAt
		if at.IsZero() {
			at, _ = eventAt(r, bot.StateExpired)
		}
		return "Expired on " + Date(at) + " without a decision"
	case bot.StateCancelled:
		at, by := eventAt(r, bot.StateCancelled)
		if by != "" && by != "bot" {
			return "Cancelled by " + Mention(by) + " on " + Date(at) + " before a decision"
		}
		return "Cancelled on " + Date(at) + " before a decision"
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
		contextBlock("request", "Request `"+Escape(r.ID)+"`"))
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
	line := fmt.Sprintf("%s %d. %s", icon, i+1, Escape(s.Title))
	detail := Escape(s.Detail)
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
				detail = Escape(truncate(s.Error, maxErrorText))
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
			line += "\n" + quote(Escape(truncate(s.Error, maxErrorText)))
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
			t += "\n*Why it stopped:* " + Escape(truncate(r.Failure, maxErrorText))
		}
		blocks = append(blocks, section("failure", t))
	} else if failed(r) {
		var done []string
		for i, s := range steps {
			switch s.Status {
			case mailbox.Done:
				done = append(done, fmt.Sprintf("%d. %s", i+1, Escape(s.Title)))
			case mailbox.Skipped:
				done = append(done, fmt.Sprintf("%d. %s (was already so)", i+1, Escape(s.Title)))
			}
		}
		var t string
		if len(done) == 0 {
			t = "*Already done:* nothing; no change was made before the failure."
		} else {
			t = "*Already done:* " + strings.Join(done, "; ") + ". The other steps were not run."
		}
		if r.Failure != "" {
			t += "\n*Why it stopped:* " + Escape(truncate(r.Failure, maxErrorText))
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
		parts = append(parts, fmt.Sprintf("%d. %s: %s", i+1, Escape(s.Title), st))
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
		"Request `"+Escape(r.ID)+"` · "+Escape(mailboxOf(r.Op, r.Plan.Target))+" · "+stateText(r.State)))
	return blocks
}

// retryBlocks offers to run a failed request again from its failed step:
// until when, and the Retry button with a confirm dialog.
func retryBlocks(r *bot.Request) []slack.Block {
	from, plainFrom := "from the start", "from the start"
	for i, s := range r.Steps {
		if s.Status == bot.StepFailed {
			from = fmt.Sprintf("at step %d, “%s”", i+1, Escape(s.Title))
			plainFrom = fmt.Sprintf("from step %d, “%s”", i+1, Escape(s.Title))
			break
		}
	}
	text := "You can retry until " + Date(r.RetryUntil) + ": the request resumes " + from +
		", without a new approval; the steps already done are not run again."
	confirm := fmt.Sprintf("The bot runs the request for %s again %s. The steps already done are not run again, and no new approval is asked.",
		Escape(mailboxOf(r.Op, r.Plan.Target)), plainFrom)
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
		Escape(mailboxOf(r.Op, r.Plan.Target)), Escape(r.ID))
}

// SecretBlocks renders TellSecret's message: text (the bot's own mrkdwn,
// which holds the credential), then a short line about the request.
func SecretBlocks(r *bot.Request, text string) []slack.Block {
	return []slack.Block{
		section("secret", text),
		contextBlock("request", "Request `"+Escape(r.ID)+"` · "+Escape(operationTitle(r.Op, r.Plan.Target))+
			" · "+Escape(mailboxOf(r.Op, r.Plan.Target))+" · 🔒 sent to you alone; the bot does not store or log it"),
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
	return StateIcon(s) + " " + Escape(strings.ReplaceAll(string(s), "_", " "))
}

func approversText(r *bot.Request) string {
	if len(r.Approvers) == 0 {
		return "none"
	}
	ms := make([]string, len(r.Approvers))
	for i, a := range r.Approvers {
		ms[i] = Mention(a)
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
	return fmt.Sprintf("%s%s: %s %s requested by %s: %s", dryTag(r.Op), Escape(r.ID), Escape(operationTitle(r.Op, r.Plan.Target)),
		Escape(mailboxOf(r.Op, r.Plan.Target)), Mention(r.Requester), Escape(strings.ReplaceAll(string(r.State), "_", " ")))
}

// AuditBlocks renders the audit channel's one message per request: id,
// mailbox, operation, requester, approvers, state, decision and the steps.
func AuditBlocks(r *bot.Request) []slack.Block {
	field := func(name, value string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, truncate("*"+name+"*\n"+value, maxFieldText), false, false)
	}
	fields := []*slack.TextBlockObject{
		field("Request", "`"+Escape(r.ID)+"`"),
		field("Mailbox", Escape(mailboxOf(r.Op, r.Plan.Target))),
		field("Operation", Escape(operationTitle(r.Op, r.Plan.Target))),
		field("State", stateText(r.State)),
		field("Requester", Mention(r.Requester)),
		field("Approvers", approversText(r)),
		field("Decision", DecisionText(r)),
	}
	if !r.CreatedAt.IsZero() {
		fields = append(fields, field("Created", Date(r.CreatedAt)))
	}
	blocks := []slack.Block{
		&slack.SectionBlock{Type: slack.MBTSection, BlockID: "audit", Text: mrkdwn("*Mailbox request* " + summary(r, true)), Fields: fields},
	}
	blocks = append(blocks, optionsBlocks(r.Op, r.Plan.Target)...)
	blocks = append(blocks, StepsBlocks(r)...)
	if !r.UpdatedAt.IsZero() {
		blocks = append(blocks, contextBlock("updated", "Last change "+Date(r.UpdatedAt)))
	}
	return blocks
}

// planText is the compact plan of an answer: the mailbox found, who
// approves (approvers of a request, or the one the plan points at).
func planText(p mailbox.Plan, r *bot.Request) string {
	t := p.Target
	line := "*Mailbox:* " + Escape(mailboxOf(p.Op, t))
	var about []string
	if t.DisplayName != "" {
		about = append(about, Escape(t.DisplayName))
	}
	if t.RecipientTypeDetails != "" {
		about = append(about, "currently "+Escape(t.RecipientTypeDetails))
	}
	if t.Deleted {
		about = append(about, "a deleted user, to be recovered first")
	}
	if t.SizeBytes > 0 {
		about = append(about, Size(t.SizeBytes))
	}
	if len(about) > 0 {
		line += " — " + strings.Join(about, ", ")
	}
	op := p.Op
	if r != nil {
		op = r.Op
	}
	lines := []string{line, "*Operation:* " + Escape(operationTitle(op, t))}
	switch {
	case r != nil:
		lines = append(lines, "*Approver:* "+approversText(r))
	case len(p.Blockers()) > 0:
		lines = append(lines, "*Approver:* none — this cannot go ahead until the blockers below are fixed")
	case t.ManagerEmail != "" || t.ManagerName != "":
		who := Escape(t.ManagerName)
		if who == "" {
			who = Escape(t.ManagerEmail)
		} else if t.ManagerEmail != "" {
			who += " (" + Escape(t.ManagerEmail) + ")"
		}
		lines = append(lines, "*Approver:* the owner's manager, "+who)
	default:
		lines = append(lines, "*Approver:* a configured approver (the owner has no manager in Microsoft Entra)")
	}
	return strings.Join(lines, "\n")
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
		return dryTag(a.Plan.Op) + Escape(operationTitle(a.Plan.Op, a.Plan.Target)+": "+mailboxOf(a.Plan.Op, a.Plan.Target))
	}
	return "(no text)"
}

// AnswerBlocks renders a private answer: the text, then a compact plan
// (mailbox found with display name and current type, who approves,
// findings, steps) of a.Request or, failing that, a.Plan.
func AnswerBlocks(a bot.Answer) []slack.Block {
	var blocks []slack.Block
	if a.Text != "" {
		blocks = append(blocks, section("text", a.Text))
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
		ctx := "Request `" + Escape(r.ID) + "` · " + stateText(r.State)
		if r.State == bot.StatePending && !r.ExpiresAt.IsZero() {
			ctx += " · expires " + Date(r.ExpiresAt)
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
