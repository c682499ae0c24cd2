package command

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Page is a page of a command's help. Each fits in one Slack message
// section (MaxHelp).
type Page string

// The pages of the help: the overview (one line per command, with an
// example), then the details.
const (
	PageOverview Page = ""
	PageOptions  Page = "options"  // every option, right and flag
	PageRules    Page = "rules"    // the rules, and the order of the work
	PageApproval Page = "approval" // who approves, under the policy in force
)

// MaxHelp is the most characters a help page may have: a Slack section
// holds 3000.
const MaxHelp = 3000

// helpTopics maps the word after "help" to its page.
var helpTopics = map[string]Page{
	"options": PageOptions, "option": PageOptions, "rights": PageOptions, "right": PageOptions, "flags": PageOptions,
	"rules": PageRules, "rule": PageRules, "order": PageRules,
	"approval": PageApproval, "approvals": PageApproval, "approvers": PageApproval, "approver": PageApproval, "approve": PageApproval,
}

// helpPage returns the page the words after "help" ask for: the overview
// for none, or for a topic it does not know.
func helpPage(words []string) Page {
	if len(words) == 0 {
		return PageOverview
	}
	return helpTopics[trimDashes(strings.ToLower(words[0]))]
}

// helpPointer is "try `<cmd> help <page>`", the page that explains a
// usage error.
func helpPointer(cmd string, err error) string {
	page := PageOverview
	if ue := (*UsageError)(nil); errors.As(err, &ue) {
		page = ue.Page
	}
	return fmt.Sprintf("try `%s`", strings.TrimSpace(cmd+" help "+string(page)))
}

// ConvertUsage is the usage line shown after a /convert-mailbox usage
// error err, for the command name cmd (as typed, for example
// "/convert-mailbox"); it points to the page of the help that explains err.
func ConvertUsage(cmd string, err error) string {
	return fmt.Sprintf("Usage: `%s %s [to shared|to regular] [options]` — %s.", cmd, addressArg, helpPointer(cmd, err))
}

// SharedUsage is the usage line shown after a /shared-mailbox usage error
// err: its subcommand's (UsageError.Sub), else all of them.
func SharedUsage(cmd string, err error) string {
	sub := ""
	if ue := (*UsageError)(nil); errors.As(err, &ue) {
		sub = ue.Sub
	}
	if u, ok := sharedUsages[sub]; ok {
		return fmt.Sprintf("Usage: `%s %s` — %s.", cmd, u, helpPointer(cmd, err))
	}
	return fmt.Sprintf("Usage: `%s create|grant|revoke|members …` — %s.", cmd, helpPointer(cmd, err))
}

// helpWriter writes a help page, one line per call.
type helpWriter struct{ strings.Builder }

func (b *helpWriter) p(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

// text is the page without its last newline.
func (b *helpWriter) text() string { return strings.TrimSuffix(b.String(), "\n") }

// more points to the other pages of the help; rules says what the rules
// page holds.
func (b *helpWriter) more(cmd, rules string) {
	b.p("More: `%s help options` (every option) · `%s help rules` (%s) · `%s help approval` (who approves)", cmd, cmd, rules, cmd)
}

// requestLines are the request commands, the same on both commands; what
// cancel may cancel (waiting) differs.
func (b *helpWriter) requestLines(cmd, waiting string) {
	b.p("• `%s status &lt;request id&gt;`: where a request stands, for example `%s status %s`", cmd, cmd, exampleRequestID)
	b.p("• `%s list`: your recent requests, and those waiting for your decision", cmd)
	b.p("• `%s cancel &lt;request id&gt;`: cancel your request while it waits for %s, for example `%s cancel %s`", cmd, waiting, cmd, exampleRequestID)
	b.p("• `%s undo &lt;request id&gt;`: ask to undo a finished request you asked for or approved, within MAILBOXBOT_UNDO_WINDOW (30 days by default; its report's Undo button does the same): a new request, approved like any other, that puts back what it changed", cmd)
}

// ConvertHelp is a page of the /convert-mailbox help, for the command name
// cmd and the approval policy in force (bot.Config.Policy: a kind it does
// not name has its bot.DefaultPolicy entry, as in the bot).
func ConvertHelp(cmd string, page Page, policy map[mailbox.Kind]string) string {
	return ConvertHelpMax(cmd, page, policy, MaxBulk)
}

// ConvertHelpMax is ConvertHelp for a bot that takes at most batchMax
// mailboxes in one command (MAILBOXBOT_BATCH_MAX; 0 or more than
// MaxBulk: MaxBulk).
func ConvertHelpMax(cmd string, page Page, policy map[mailbox.Kind]string, batchMax int) string {
	if batchMax <= 0 || batchMax > MaxBulk {
		batchMax = MaxBulk
	}
	var b helpWriter
	switch page {
	case PageOptions:
		b.p("*%s options* come after the address, in any order; upper or lower case does not matter. Lists take commas: `bob@contoso.com,carol@contoso.com`.", cmd)
		b.p("_To shared:_")
		b.p("• `keep-signin`: leave sign-in allowed (by default it is blocked)")
		b.p("• `keep-sessions`: leave the user's sessions open (by default they are revoked)")
		b.p("• `keep-license`: keep the licenses (by default they are removed once the conversion is verified, where the rules allow)")
		b.p("• `add-license`: assign a license first if the mailbox has none (it must be licensed when it is converted)")
		b.p("• `members %s[,…]`: give these people Full Access and Send As, what a member of a shared mailbox needs", addressArg)
		b.p("• `full-access %s[,…]`: Full Access only (open the mailbox and change items, not send; added to their Outlook)", addressArg)
		b.p("• `send-as %s[,…]`: Send As only (send as the mailbox)", addressArg)
		b.p("• `no-automap`: give Full Access without adding the mailbox to their Outlook (automapping)")
		b.p("• `auto-reply \"&lt;text&gt;\"`: answer every sender, inside and outside, with this text (at most %d characters, plain text) until it is turned off with `/shared-mailbox auto-reply %s off`", mailbox.MaxAutoReply, addressArg)
		b.p("• `forward-to %s`: forward new mail to a person or group of your organisation, keeping a copy (outside addresses are refused: rule 18)", addressArg)
		b.p("• `hide`: hide the mailbox from the address lists (Send As and Send on Behalf then stop working in classic Outlook: the bot warns)")
		b.p("• `remove-access` / `keep-access`: take away, or keep, the owner's Full Access, Send As and Send on Behalf on other mailboxes (rule 18); neither: the bot's setting (on unless changed)")
		b.p("• `manager-access` / `no-manager-access`: give, or not, the owner's manager Full Access and Send As (then the approvers decide, not the manager); neither: the bot's setting (off unless changed)")
		b.p("_To regular:_")
		b.p("• `license &lt;SKU id or part number&gt;`: the license to assign (by default, one with free units that includes Exchange Online)")
		b.p("• `password`: a reset password, to be changed at next sign-in, instead of a Temporary Access Pass")
		b.p("_Both:_")
		b.p("• `at 2026-01-15 18:00`: approve now, run at that time; a time without a zone is UTC (or give one: `at 2026-01-15T18:00:00+01:00`); at most %d days ahead", int(MaxScheduleAhead/(24*time.Hour)))
		b.p("• `dry-run`: go through approval and report every step with the data it would send; nothing is changed")
		b.p("Several addresses before the options, separated by spaces or commas (at most %d), make one request with the same options: one approval, one report. `to regular` takes one mailbox at a time: each gets its own credential.", batchMax)
		b.p("Examples: `%s alice@contoso.com members bob@contoso.com,carol@contoso.com` · `%s alice@contoso.com to regular dry-run` · `%s alice@contoso.com bob@contoso.com keep-license`", cmd, cmd, cmd)
		b.p("The form (`%s` alone) has the same options, as fields; there the owner's access elsewhere and the manager's access follow the bot's settings.", cmd)
	case PageRules:
		b.p("*The order of the work*")
		b.p("• To shared: revoke sessions → block sign-in → grants (Full Access, Send As) → convert → verify that Exchange reports a shared mailbox → remove the licenses. A license is never removed before the conversion is verified.")
		b.p("• To regular: assign a license → convert → verify → enable sign-in → a Temporary Access Pass (or a password) goes to you alone, in a private message.")
		b.p("• A user deleted less than 30 days ago: the account is restored, licensed and its password reset (shown to no one), the bot waits until the mailbox exists again (often 20-30 minutes), then converts it as above.")
		b.p("")
		b.p("*Rules*")
		b.p("• A license is needed: the mailbox must be licensed when it is converted, so it is removed only after the conversion is verified.")
		b.p("• The licenses stay when the mailbox holds 50 GB or more, has a hold or an archive; over 100 GB the conversion is refused. A license assigned through a group cannot be removed from the user: the bot names the group.")
		b.p("• The account is kept: the user account anchors the shared mailbox; the bot never deletes it.")
		b.p("• Sign-in is blocked: otherwise the old user name and password keep working.")
		b.p("• Accounts synchronised from on-premises Active Directory are converted on-premises (`Set-RemoteMailbox -Identity " + addressArg + " -Type Shared`): the bot refuses them and gives the command.")
		b.p("• Inbox rules are kept.")
	case PageApproval:
		b.p("*Approval* (as this bot is configured)")
		b.p("• To shared: %s", approvalText(policy, mailbox.KindConvertToShared))
		b.p("• To regular: %s", approvalText(policy, mailbox.KindConvertToRegular))
		if policyOf(policy, mailbox.KindConvertToShared) != bot.PolicyNone {
			b.p("• Several mailboxes in one request: one approval for all of them (the configured approvers when the owners' managers differ).")
		}
		b.p("Nobody approves their own request, nor a change that gives them access (through a group too). A request that fails can be retried from the failed step, for a while, with the button in its report.")
	default:
		b.p("*%s* converts a Microsoft 365 user mailbox to a shared mailbox, or a shared mailbox back to a user mailbox, once a second person approves it here in Slack, and reports every step to you.", cmd)
		b.p("")
		b.p("• `%s`: open a form: pick the people or paste their addresses, choose the options and when", cmd)
		b.p("• `%s %s [to shared] [options]`: check the mailbox and ask for approval to convert it to a shared mailbox, for example `%s alice@contoso.com members bob@contoso.com`", cmd, addressArg, cmd)
		b.p("• `%s %s %s… [options]`: several mailboxes at once (at most %d): one request, one approval, one report, for example `%s alice@contoso.com bob@contoso.com`", cmd, addressArg, addressArg, batchMax, cmd)
		b.p("• `%s %s to regular [options]`: convert a shared mailbox back to a user mailbox, for example `%s sales@contoso.com to regular`", cmd, addressArg, cmd)
		b.requestLines(cmd, "approval or for its scheduled time")
		b.more(cmd, "the rules, the order of the work")
	}
	return b.text()
}

// SharedHelp is a page of the /shared-mailbox help, for the command name
// cmd and the approval policy in force (as for ConvertHelp).
func SharedHelp(cmd string, page Page, policy map[mailbox.Kind]string) string {
	var b helpWriter
	switch page {
	case PageOptions:
		b.p("*%s in full*", cmd)
		b.p("• `%s %s`: each member gets Full Access and Send As. Without quotes, the display name is every word before the address.", cmd, sharedUsages[subCreate])
		b.p("• `%s %s`", cmd, sharedUsages[subGrant])
		b.p("• `%s %s`", cmd, sharedUsages[subRevoke])
		b.p("People and groups: an e-mail address, or an @mention (the bot looks up the person's e-mail in Slack). Members may be separated by spaces or commas; at most %d in one request.", MaxListed)
		b.p("_Rights:_ `full-access` (or `full`): open the mailbox and change items, but not send · `send-as`: send as the mailbox · `send-on-behalf` (or `on-behalf`): send as “you on behalf of the mailbox”.")
		b.p("_Options:_ `no-automap`: with `full-access`, do not add the mailbox to their Outlook · `each-member`: with `grant` to a group, grant each of its members directly · `dry-run`: go through the checks (and approval) and report what would be sent; nothing is changed.")
		b.p("Granting a right that is already there, or revoking one that is not, says so and changes nothing.")
		b.p("Examples: `%s create \"Sales Team\" sales@contoso.com kim@contoso.com, lee@contoso.com` · `%s grant info@contoso.com kim@contoso.com full-access no-automap` · `%s revoke info@contoso.com sales-team@contoso.com send-as` · `%s members info@contoso.com`", cmd, cmd, cmd, cmd)
	case PageRules:
		b.p("*Rules*")
		b.p("• A new shared mailbox comes with an account whose password nobody knows: its sign-in is blocked (rule 11).")
		b.p("• Full Access opens the mailbox but does not send; Send As sends as the mailbox, Send on Behalf “on behalf of” it. A member needs Full Access and Send As, which is what `create` gives (rule 12).")
		b.p("• Send As and Send on Behalf do not work in classic Outlook when the mailbox is hidden from the address lists: the bot warns (rule 13).")
		b.p("• Automapping works only for people granted directly, not through a group: the bot warns, and `each-member` grants the group's members one by one (rule 14).")
	case PageApproval:
		b.p("*Approval* (as this bot is configured)")
		for _, k := range []struct {
			sub  string
			kind mailbox.Kind
		}{{subCreate, mailbox.KindCreateShared}, {subGrant, mailbox.KindGrant}, {subRevoke, mailbox.KindRevoke}, {subMembers, mailbox.KindMembers}, {subAutoReply, mailbox.KindAutoReplyOff}} {
			b.p("• `%s`: %s", k.sub, approvalText(policy, k.kind))
		}
		b.p("Nobody approves their own request, nor a change that gives them access (through a group too).")
	default:
		b.p("*%s* creates shared mailboxes in Microsoft 365 and manages who may use them. Every change is checked first, approved where the configuration asks for it, and reported to you step by step.", cmd)
		b.p("")
		b.p("• `%s`: open a form to create a shared mailbox: its name, its address, its members", cmd)
		b.p("• `%s create \"&lt;display name&gt;\" &lt;address&gt; [members…]`: create a shared mailbox; each member gets Full Access and Send As, for example `%s create \"Sales Team\" sales@contoso.com kim@contoso.com`", cmd, cmd)
		b.p("• `%s grant &lt;mailbox&gt; &lt;person or group&gt; &lt;right&gt;`: give a person or a group a right on a mailbox, for example `%s grant info@contoso.com kim@contoso.com send-as`", cmd, cmd)
		b.p("• `%s revoke &lt;mailbox&gt; &lt;person or group&gt; &lt;right&gt;`: take a right away, for example `%s revoke info@contoso.com kim@contoso.com send-as`", cmd, cmd)
		b.p("• `%s %s`: who has which right, as one table, for example `%s members info@contoso.com`", cmd, sharedUsages[subMembers], cmd)
		b.p("• `%s %s`: turn off the automatic reply a conversion set, for example `%s auto-reply alice@contoso.com off`", cmd, sharedUsages[subAutoReply], cmd)
		b.requestLines(cmd, "approval")
		b.more(cmd, "the rules")
	}
	return b.text()
}

// policyOf is the approval policy in force for kind k: policy's, else
// bot.DefaultPolicy's, as the bot decides.
func policyOf(policy map[mailbox.Kind]string, k mailbox.Kind) string {
	if p, ok := policy[k]; ok {
		return p
	}
	return bot.DefaultPolicy[k]
}

// approvalText says who approves an operation of kind k under policy: each
// element of a chain in turn, then the configured approvers. Listing
// members changes nothing, and the bot asks no one.
func approvalText(policy map[mailbox.Kind]string, k mailbox.Kind) string {
	if k == mailbox.KindMembers {
		return "no approval: it changes nothing; only for shared mailboxes, and only for the people who may grant or revoke (or whom the bot's configuration names)"
	}
	p := policyOf(policy, k)
	if p == bot.PolicyNone {
		return "no approval: it runs as soon as the checks pass"
	}
	var parts []string
	for _, step := range strings.Split(p, ",") {
		switch strings.TrimSpace(step) {
		case bot.PolicyManager:
			if k == mailbox.KindConvertToShared || k == mailbox.KindConvertToRegular {
				parts = append(parts, "the mailbox owner's manager in Microsoft Entra approves (matched to a Slack user by e-mail)")
			} else {
				parts = append(parts, "your manager in Microsoft Entra approves (matched to a Slack user by e-mail)")
			}
		case bot.PolicyOwners:
			parts = append(parts, "the people who already hold Full Access on the mailbox, granted directly, approve (matched to Slack users by e-mail)")
		case bot.PolicyApprovers:
			parts = append(parts, "the approvers configured for the bot approve")
		}
	}
	text := strings.Join(parts, "; when there is nobody, ")
	if !strings.HasSuffix(p, bot.PolicyApprovers) {
		if k == mailbox.KindConvertToShared && p == bot.PolicyManager {
			return text + "; the approvers configured for the bot do when there is none, when the manager has no Slack account, or when the manager is you"
		}
		text += "; the approvers configured for the bot do when there is nobody"
	}
	return text
}
