package handlers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// SharedCommandName is the /shared-mailbox command's usual name; as with
// CommandName, any command whose name contains it is accepted.
const SharedCommandName = "shared-mailbox"

// VerbShared: check Parsed.Op, a /shared-mailbox operation (create, grant,
// revoke or members), and ask for approval where the configuration wants
// one.
const VerbShared Verb = "shared"

// The subcommands of /shared-mailbox.
const (
	subCreate  = "create"
	subGrant   = "grant"
	subRevoke  = "revoke"
	subMembers = "members"
)

// MaxDisplayName is the longest display name (and Name) Exchange takes
// for a new mailbox, in characters.
const MaxDisplayName = 64

// rights maps every accepted spelling of a right (lower case, without a
// leading "--") to the right.
var rights = map[string]mailbox.Right{
	"full-access": mailbox.FullAccess, "fullaccess": mailbox.FullAccess, "full": mailbox.FullAccess,
	"send-as": mailbox.SendAs, "sendas": mailbox.SendAs,
	"send-on-behalf": mailbox.SendOnBehalf, "sendonbehalf": mailbox.SendOnBehalf, "on-behalf": mailbox.SendOnBehalf,
	"send-on-behalf-of": mailbox.SendOnBehalf, "onbehalf": mailbox.SendOnBehalf,
}

// Flags of /shared-mailbox, by their canonical keyword.
const (
	flagNoAutomap  = "no-automap"
	flagEachMember = "each-member"
	flagDryRun     = "dry-run"
)

var sharedFlags = map[string]string{
	"no-automap": flagNoAutomap, "no-automapping": flagNoAutomap, "noautomap": flagNoAutomap,
	"each-member": flagEachMember, "each-members": flagEachMember, "eachmember": flagEachMember,
	"dry-run": flagDryRun, "dryrun": flagDryRun,
}

// trimDashes strips a leading "--" (or the dash smart punctuation makes of
// it) from a lower-case word.
func trimDashes(w string) string {
	for _, p := range []string{"--", "—", "–"} {
		if strings.HasPrefix(w, p) {
			return strings.TrimPrefix(w, p)
		}
	}
	return w
}

// rightOf returns the right a word names, or "".
func rightOf(word string) mailbox.Right { return rights[trimDashes(strings.ToLower(word))] }

// flagOf returns the canonical flag a word names, or "".
func flagOf(word string) string { return sharedFlags[trimDashes(strings.ToLower(word))] }

// mentionPattern is a Slack user mention as Slack escapes it in a command's
// text: <@U123> or <@U123|name>.
var mentionPattern = regexp.MustCompile(`^<@([UW][A-Z0-9]{2,20})(\|[^<>|]*)?>$`)

// parseMention returns the mention "<@U123>" of a word, or "".
func parseMention(word string) string {
	m := mentionPattern.FindStringSubmatch(word)
	if m == nil {
		return ""
	}
	return "<@" + m[1] + ">"
}

// parsePerson reads a person or group: an address (lower case) or a Slack
// mention ("<@U123>"). It returns "" when word is neither.
func parsePerson(word string) string {
	if a, err := mailbox.ParseAddress(word); err == nil {
		return a
	}
	return parseMention(word)
}

// badPerson explains why word, in the role what ("the person or group",
// "a member"), is not an address or a mention.
func badPerson(word, what, sub string) error {
	shown := shownAddress(word)
	switch {
	case strings.HasPrefix(word, "@"):
		return subErr(sub, "%s reached me as plain text, not as a mention: pick the person from Slack's list as you type, or give their e-mail address.", quote(word))
	case strings.HasPrefix(word, "<@"):
		return subErr(sub, "%s is not a Slack mention I can read: name %s by e-mail address or @mention.", quote(shown), what)
	case strings.HasPrefix(word, "<#"):
		return subErr(sub, "%s is a Slack channel: name %s by e-mail address or @mention.", quote(shown), what)
	case strings.HasPrefix(word, "<!"):
		return subErr(sub, "%s is not a person: name %s by e-mail address or @mention.", quote(shown), what)
	case strings.Contains(shown, "@"):
		return subErr(sub, "%s is not a valid e-mail address.", quote(shown))
	}
	return subErr(sub, "%s is neither an e-mail address nor a Slack mention: name %s by e-mail address or @mention.", quote(shown), what)
}

// subErr is a UsageError about subcommand sub.
func subErr(sub, format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...), Sub: sub}
}

// ParseShared parses the text of /shared-mailbox:
//
//	help | -h | --help | ? | (empty)            the help
//	create <display name> <address> [members] [dry-run]
//	grant <mailbox> <person or group> <right> [no-automap] [each-member] [dry-run]
//	revoke <mailbox> <person or group> <right> [dry-run]
//	members <mailbox>
//	status <request id> | list | cancel <request id>   as for /convert-mailbox
//
// A display name is quoted ("Sales Team", or with Slack's smart quotes
// “Sales Team”) or is all the words before the first address; it holds 1
// to MaxDisplayName characters and none that Exchange refuses in a name
// (\ / : * ? " < > |). Members are addresses or Slack mentions, separated
// by spaces or commas, optionally after the word members; the mailbox's
// own address cannot be one, duplicates are dropped, at most MaxListed.
// A right is full-access (full, fullaccess), send-as (sendas) or
// send-on-behalf (sendonbehalf, on-behalf); no-automap goes with
// full-access only, each-member (rule 14) with grant only. People are
// kept as lower-case addresses or as mentions "<@U123>", which the bot
// resolves to an address later. Keywords are case-insensitive. It returns
// a Parsed (VerbHelp, VerbRequest, or VerbShared with Op filled) or a
// *UsageError whose Sub names the subcommand, never both, never neither.
func ParseShared(text string) (Parsed, error) {
	text = strings.TrimSpace(text)
	first, rest := cutWord(text)
	if first == "" {
		return Parsed{Verb: VerbHelp, Empty: true}, nil
	}
	sub := strings.ToLower(trimDashes(strings.ToLower(first)))
	var (
		op  mailbox.Operation
		err error
	)
	switch sub {
	case "help", "-h", "?", "-?", "/?":
		return Parsed{Verb: VerbHelp}, nil
	case subCreate:
		op, err = parseCreate(rest)
	case subGrant:
		op, err = parseGrant(mailbox.KindGrant, subGrant, rest)
	case subRevoke:
		op, err = parseGrant(mailbox.KindRevoke, subRevoke, rest)
	case subMembers, "member":
		op, err = parseMembers(rest)
	case bot.CommandStatus, bot.CommandList, bot.CommandCancel:
		return parseRequest(sub, splitWords(rest), true)
	default:
		return Parsed{}, unknownSub(first)
	}
	if err != nil {
		return Parsed{}, err
	}
	return Parsed{Verb: VerbShared, Op: op}, nil
}

// cutWord splits s into its first word and the rest (neither trimmed of
// anything but the space between them).
func cutWord(s string) (string, string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// subSynonyms are words people may use for a subcommand.
var subSynonyms = map[string]string{
	"new": subCreate, "make": subCreate, "add": subGrant, "give": subGrant, "allow": subGrant,
	"remove": subRevoke, "take": subRevoke, "show": subMembers, "who": subMembers,
}

// unknownSub explains a first word that is not a subcommand.
func unknownSub(w string) error {
	if s, ok := subSynonyms[strings.ToLower(w)]; ok {
		return subErr(s, "I don't know %s: did you mean %s?", quote(w), quote(s))
	}
	if a, err := mailbox.ParseAddress(w); err == nil {
		return subErr("", "Start with what to do: %s, %s, %s or %s, for example %s.",
			quote(subCreate), quote(subGrant), quote(subRevoke), quote(subMembers), quote("members "+a))
	}
	return subErr("", "%s is not something I can do with a shared mailbox: say %s, %s, %s or %s.",
		quote(w), quote(subCreate), quote(subGrant), quote(subRevoke), quote(subMembers))
}

// splitWords splits s at white space and commas, dropping empty words.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
}

// parseMailboxArg reads the mailbox address a subcommand starts with.
func parseMailboxArg(sub string, words []string) (string, error) {
	if len(words) == 0 {
		return "", subErr(sub, "%s needs the shared mailbox's address.", quote(sub))
	}
	w := words[0]
	a, err := mailbox.ParseAddress(w)
	if err == nil {
		return a, nil
	}
	shown := shownAddress(w)
	switch {
	case strings.HasPrefix(w, "<@") || strings.HasPrefix(w, "@"):
		return "", subErr(sub, "%s is a Slack user: %s starts with the shared mailbox's e-mail address.", quote(shown), quote(sub))
	case strings.HasPrefix(w, "<#"):
		return "", subErr(sub, "%s is a Slack channel: %s starts with the shared mailbox's e-mail address.", quote(shown), quote(sub))
	case !strings.Contains(shown, "@"):
		return "", subErr(sub, "%s is not an e-mail address: %s starts with the shared mailbox's e-mail address.", quote(shown), quote(sub))
	}
	return "", subErr(sub, "%s is not a valid e-mail address.", quote(shown))
}

func parseMembers(rest string) (mailbox.Operation, error) {
	words := splitWords(rest)
	mb, err := parseMailboxArg(subMembers, words)
	if err != nil {
		return mailbox.Operation{}, err
	}
	if len(words) > 1 {
		w := words[1]
		if flagOf(w) == flagDryRun {
			return mailbox.Operation{}, subErr(subMembers, "%s changes nothing, so it has no %s.", quote(subMembers), quote(flagDryRun))
		}
		return mailbox.Operation{}, subErr(subMembers, "%s takes one mailbox only: I don't understand %s.", quote(subMembers), quote(shownAddress(w)))
	}
	return mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: mb}, nil
}

// parseGrant reads grant and revoke (kind) after the subcommand sub.
func parseGrant(kind mailbox.Kind, sub, rest string) (mailbox.Operation, error) {
	words := splitWords(rest)
	mb, err := parseMailboxArg(sub, words)
	if err != nil {
		return mailbox.Operation{}, err
	}
	op := mailbox.Operation{Kind: kind, Mailbox: mb}
	if len(words) < 2 || rightOf(words[1]) != "" || flagOf(words[1]) != "" {
		return mailbox.Operation{}, subErr(sub, "%s needs the person or group after the mailbox, then the right: %s.",
			quote(sub), quote(sub+" "+mb+" kim@contoso.com send-as"))
	}
	who := words[1]
	op.Trustee = parsePerson(who)
	if op.Trustee == "" {
		return mailbox.Operation{}, badPerson(who, "the person or group", sub)
	}
	if op.Trustee == mb {
		return mailbox.Operation{}, subErr(sub, "%s is the mailbox itself: name the person or group who gets the right.", quote(mb))
	}
	if len(words) < 3 {
		return mailbox.Operation{}, subErr(sub, "%s needs the right after the person or group: %s, %s or %s.",
			quote(sub), quote("full-access"), quote("send-as"), quote("send-on-behalf"))
	}
	op.Right = rightOf(words[2])
	if op.Right == "" {
		if parsePerson(words[2]) != "" {
			return mailbox.Operation{}, subErr(sub, "One person or group at a time: I read %s and %s.", quote(shownAddress(who)), quote(shownAddress(words[2])))
		}
		return mailbox.Operation{}, subErr(sub, "%s is not a right I know: say %s, %s or %s.",
			quote(words[2]), quote("full-access"), quote("send-as"), quote("send-on-behalf"))
	}
	for _, w := range words[3:] {
		switch flagOf(w) {
		case flagDryRun:
			op.Options.DryRun = true
		case flagNoAutomap:
			if kind != mailbox.KindGrant {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: taking a right away has no automapping.", quote(flagNoAutomap), quote("grant … full-access"))
			}
			if op.Right != mailbox.FullAccess {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: automapping adds a mailbox someone has Full Access to to their Outlook.", quote(flagNoAutomap), quote("full-access"))
			}
			op.Options.NoAutoMapping = true
		case flagEachMember:
			if kind != mailbox.KindGrant {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: it grants a group's members one by one.", quote(flagEachMember), quote(subGrant))
			}
			op.Options.EachMember = true
		default:
			switch {
			case rightOf(w) != "" && rightOf(w) != op.Right:
				return mailbox.Operation{}, subErr(sub, "One right at a time: I read %s and %s; ask for the other in another request.", quote(words[2]), quote(w))
			case rightOf(w) != "":
				// The same right twice: no harm.
			case parsePerson(w) != "":
				return mailbox.Operation{}, subErr(sub, "One person or group at a time: I don't understand %s after the right.", quote(shownAddress(w)))
			default:
				return mailbox.Operation{}, subErr(sub, "I don't understand %s.", quote(shownAddress(w)))
			}
		}
	}
	return op, nil
}

// Quotes that may enclose a display name: the typewriter quote and the
// ones smart punctuation makes of it.
const quoteRunes = "\"“”„‟«»"

// forbiddenInName are the characters Exchange refuses in a mailbox's Name.
const forbiddenInName = `\/:*?"<>|`

// slackMarkup is Slack's escaped markup in a command's text: a mention, a
// channel, a special mention or a link.
var slackMarkup = regexp.MustCompile(`<[^<>]*>`)

func parseCreate(rest string) (mailbox.Operation, error) {
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	example := quote(`create "Sales Team" sales@contoso.com kim@contoso.com`)
	if rest == "" {
		return mailbox.Operation{}, subErr(subCreate, "%s needs a display name and an address, for example %s.", quote(subCreate), example)
	}
	var (
		rawName string
		words   []string // from the mailbox's address on
	)
	if r, size := utf8.DecodeRuneInString(rest); strings.ContainsRune(quoteRunes, r) {
		end := strings.IndexFunc(rest[size:], func(r rune) bool { return strings.ContainsRune(quoteRunes, r) })
		if end < 0 {
			return mailbox.Operation{}, subErr(subCreate, "The display name's quotes are not closed: I read %s.", quote(rest))
		}
		rawName = rest[size : size+end]
		after := rest[size+end:]
		_, qsize := utf8.DecodeRuneInString(after)
		words = splitWords(after[qsize:])
		if len(words) == 0 {
			return mailbox.Operation{}, subErr(subCreate, "After the display name comes the new mailbox's address, for example %s.", example)
		}
		if _, err := mailbox.ParseAddress(words[0]); err != nil {
			if strings.Contains(shownAddress(words[0]), "@") {
				return mailbox.Operation{}, subErr(subCreate, "%s is not a valid e-mail address.", quote(shownAddress(words[0])))
			}
			return mailbox.Operation{}, subErr(subCreate, "After the display name comes the new mailbox's address: I read %s.", quote(shownAddress(words[0])))
		}
	} else {
		all := splitWords(rest)
		i := slices.IndexFunc(all, func(w string) bool { _, err := mailbox.ParseAddress(w); return err == nil })
		switch {
		case i < 0:
			for _, w := range all {
				if strings.Contains(shownAddress(w), "@") && !strings.HasPrefix(w, "<@") && !strings.HasPrefix(w, "@") {
					return mailbox.Operation{}, subErr(subCreate, "%s is not a valid e-mail address.", quote(shownAddress(w)))
				}
			}
			return mailbox.Operation{}, subErr(subCreate, "%s needs the new mailbox's address after the display name, for example %s.", quote(subCreate), example)
		case i == 0:
			return mailbox.Operation{}, subErr(subCreate, "Give the display name first, then the address, for example %s.", example)
		}
		for _, w := range all[:i] {
			if strings.ContainsAny(w, quoteRunes) {
				return mailbox.Operation{}, subErr(subCreate, "Put the whole display name in quotes, or none of it: I read %s.", quote(w))
			}
		}
		// The name is the text up to the address as typed, with the
		// commas it may hold.
		rawName = strings.TrimRightFunc(rest[:wordStarts(rest)[i]], func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
		words = all[i:]
	}
	name, err := displayName(rawName)
	if err != nil {
		return mailbox.Operation{}, err
	}
	mb, _ := mailbox.ParseAddress(words[0])
	op := mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: mb, DisplayName: name}
	sawMembers := false
	for _, w := range words[1:] {
		switch lw := strings.ToLower(trimDashes(strings.ToLower(w))); {
		case lw == "members" || lw == "member" || lw == "with":
			if sawMembers || len(op.Members) > 0 {
				return mailbox.Operation{}, subErr(subCreate, "Say %s once, before the members.", quote("members"))
			}
			sawMembers = true
		case flagOf(w) == flagDryRun:
			op.Options.DryRun = true
		case flagOf(w) != "" || rightOf(w) != "":
			return mailbox.Operation{}, subErr(subCreate, "%s does not go with %s: every member gets Full Access and Send As (rule 12); for anything else, use %s once the mailbox exists.",
				quote(w), quote(subCreate), quote(subGrant))
		default:
			p := parsePerson(w)
			if p == "" {
				if !strings.HasPrefix(w, "<") && !strings.Contains(w, "@") {
					return mailbox.Operation{}, subErr(subCreate, "I don't understand %s after the address: members are named by e-mail address or @mention.", quote(w))
				}
				return mailbox.Operation{}, badPerson(w, "a member", subCreate)
			}
			if p == mb {
				return mailbox.Operation{}, subErr(subCreate, "%s is the new mailbox itself: it cannot be one of its members.", quote(mb))
			}
			if !slices.Contains(op.Members, p) {
				if len(op.Members) >= MaxListed {
					return mailbox.Operation{}, subErr(subCreate, "At most %d members in one request; add the others with %s.", MaxListed, quote(subGrant))
				}
				op.Members = append(op.Members, p)
			}
		}
	}
	if sawMembers && len(op.Members) == 0 {
		return mailbox.Operation{}, subErr(subCreate, "%s needs one or more addresses or @mentions after it.", quote("members"))
	}
	return op, nil
}

// wordStarts returns the byte offset of each word of splitWords(s).
func wordStarts(s string) []int {
	var out []int
	in := false
	for i, r := range s {
		sep := unicode.IsSpace(r) || r == ','
		if !sep && !in {
			out = append(out, i)
		}
		in = !sep
	}
	return out
}

// displayName cleans and checks a display name as typed: Slack's escaping
// undone (&amp; &lt; &gt;; a link becomes its label), white space
// collapsed, then 1 to MaxDisplayName characters, none that Exchange
// refuses, no control characters.
func displayName(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", subErr(subCreate, "The display name is not valid text.")
	}
	var bad error
	raw = slackMarkup.ReplaceAllStringFunc(raw, func(m string) string {
		inner := m[1 : len(m)-1]
		switch {
		case strings.HasPrefix(inner, "@"), strings.HasPrefix(inner, "#"), strings.HasPrefix(inner, "!"):
			if bad == nil {
				bad = subErr(subCreate, "The display name cannot hold a Slack mention or channel (%s): put the name in quotes, for example %s.",
					quote(m), quote(`create "Sales Team" sales@contoso.com`))
			}
			return ""
		}
		if _, label, ok := strings.Cut(inner, "|"); ok {
			return label
		}
		return inner
	})
	if bad != nil {
		return "", bad
	}
	raw = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(raw)
	name := strings.Join(strings.Fields(raw), " ")
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", subErr(subCreate, "The display name is empty: give one before the address, for example %s.", quote(`create "Sales Team" sales@contoso.com`))
	case n > MaxDisplayName:
		return "", subErr(subCreate, "The display name has %d characters; Exchange takes at most %d: %s.", n, MaxDisplayName, quote(name))
	}
	if i := strings.IndexAny(name, forbiddenInName); i >= 0 {
		return "", subErr(subCreate, "The display name cannot hold %s: Exchange refuses %s in a name.", quote(name[i:i+1]), quote(forbiddenInName))
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", subErr(subCreate, "The display name holds an invisible control character (%U): type it again without it.", r)
		}
	}
	return name, nil
}

// Approval policies of an operation, as handlers.Config.Approvals names
// them (the bot's configuration uses the same words).
const (
	ApprovalManager   = "manager"   // the requester's manager in Microsoft Entra
	ApprovalApprovers = "approvers" // the approvers configured for the bot
	ApprovalNone      = "none"      // no approval: runs once the checks pass
)

// DefaultApprovals: creating and granting need approval; revoking and
// listing do not.
var DefaultApprovals = map[mailbox.Kind]string{
	mailbox.KindCreateShared: ApprovalManager,
	mailbox.KindGrant:        ApprovalManager,
	mailbox.KindRevoke:       ApprovalNone,
	mailbox.KindMembers:      ApprovalNone,
}

// approvalText says who approves an operation of kind k under approvals
// (DefaultApprovals for a kind it does not name).
func approvalText(approvals map[mailbox.Kind]string, k mailbox.Kind) string {
	p, ok := approvals[k]
	if !ok {
		p = DefaultApprovals[k]
	}
	switch p {
	case ApprovalManager:
		return "your manager in Microsoft Entra approves (matched to a Slack user by e-mail; the configured approvers when you have none)"
	case ApprovalApprovers:
		return "the approvers configured for the bot approve"
	case ApprovalNone:
		if k == mailbox.KindMembers {
			return "no approval: it changes nothing"
		}
		return "no approval: it runs as soon as the checks pass"
	}
	return "approved as the bot's configuration says"
}

// Usage of each /shared-mailbox subcommand, escaped for Slack's mrkdwn.
var sharedUsages = map[string]string{
	subCreate:  `create "&lt;display name&gt;" &lt;address&gt; [members &lt;address or @person&gt;…] [dry-run]`,
	subGrant:   "grant &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [no-automap] [each-member] [dry-run]",
	subRevoke:  "revoke &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [dry-run]",
	subMembers: "members &lt;mailbox&gt;",
	// The request commands, as for /convert-mailbox.
	bot.CommandStatus: "status &lt;request id&gt;",
	bot.CommandList:   "list",
	bot.CommandCancel: "cancel &lt;request id&gt;",
}

// sharedUsageLine is the usage of subcommand sub ("" for all of them), for
// the command name cmd.
func sharedUsageLine(cmd, sub string) string {
	if u, ok := sharedUsages[sub]; ok {
		return fmt.Sprintf("Usage: `%s %s` — try `%s help`.", cmd, u, cmd)
	}
	return fmt.Sprintf("Usage: `%s create|grant|revoke|members …` — try `%s help`.", cmd, cmd)
}

// sharedHelpText is the answer to /shared-mailbox help, for the command
// name cmd and the approval policies in force.
func sharedHelpText(cmd string, approvals map[mailbox.Kind]string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("*%s* creates shared mailboxes in Microsoft 365 and manages who may use them. Every change is checked first, approved where the configuration asks for it, and reported to you step by step.", cmd)
	p("")
	p("*Usage*")
	p("• `%s %s`: create a shared mailbox with that display name and primary address; each member gets Full Access and Send As. Without quotes, the display name is every word before the address.", cmd, sharedUsages[subCreate])
	p("• `%s %s`: give a person or a group a right on a mailbox", cmd, sharedUsages[subGrant])
	p("• `%s %s`: take a right away", cmd, sharedUsages[subRevoke])
	p("• `%s %s`: who has which right, as one table", cmd, sharedUsages[subMembers])
	p("• `%s %s`: where a request stands, for example `%s status %s`", cmd, sharedUsages[bot.CommandStatus], cmd, exampleRequestID)
	p("• `%s %s`: your recent requests, and those waiting for your decision", cmd, sharedUsages[bot.CommandList])
	p("• `%s %s`: cancel your request while it waits for approval", cmd, sharedUsages[bot.CommandCancel])
	p("• `%s help`: this text", cmd)
	p("People and groups: an e-mail address, or an @mention (the bot looks up the person's e-mail in Slack). Members may be separated by spaces or commas.")
	p("_Rights:_ `full-access` (or `full`): open the mailbox and change items, but not send · `send-as`: send as the mailbox · `send-on-behalf` (or `on-behalf`): send as “you on behalf of the mailbox”.")
	p("_Options:_ `no-automap`: with `full-access`, do not add the mailbox to their Outlook · `each-member`: with `grant` to a group, grant each of its members directly · `dry-run`: go through the checks (and approval) and report what would be sent; nothing is changed.")
	p("Granting a right that is already there, or revoking one that is not, says so and changes nothing.")
	p("Examples: `%s create \"Sales Team\" sales@contoso.com kim@contoso.com, lee@contoso.com` · `%s grant info@contoso.com kim@contoso.com full-access no-automap` · `%s revoke info@contoso.com sales-team@contoso.com send-as` · `%s members info@contoso.com`", cmd, cmd, cmd, cmd)
	p("")
	p("*Rules*")
	p("• A new shared mailbox comes with an account whose password nobody knows: its sign-in is blocked (rule 11).")
	p("• Full Access opens the mailbox but does not send; Send As sends as the mailbox, Send on Behalf “on behalf of” it. A member needs Full Access and Send As, which is what `create` gives (rule 12).")
	p("• Send As and Send on Behalf do not work in classic Outlook when the mailbox is hidden from the address lists: the bot warns (rule 13).")
	p("• Automapping works only for people granted directly, not through a group: the bot warns, and `each-member` grants the group's members one by one (rule 14).")
	p("")
	p("*Approval*")
	for _, k := range []struct {
		sub  string
		kind mailbox.Kind
	}{{subCreate, mailbox.KindCreateShared}, {subGrant, mailbox.KindGrant}, {subRevoke, mailbox.KindRevoke}, {subMembers, mailbox.KindMembers}} {
		p("• `%s`: %s", k.sub, approvalText(approvals, k.kind))
	}
	b.WriteString("Nobody approves their own request.")
	return b.String()
}

// sharedCheckingText is the immediate answer to a queued /shared-mailbox
// command. Addresses and mentions are validated; the display name is
// escaped.
func sharedCheckingText(op mailbox.Operation) string {
	var what string
	switch op.Kind {
	case mailbox.KindCreateShared:
		what = fmt.Sprintf("Checking %s for the new shared mailbox “%s”", op.Mailbox, mrkdwn.Escape(op.DisplayName))
		switch n := len(op.Members); n {
		case 0:
		case 1:
			what += " with 1 member"
		default:
			what += fmt.Sprintf(" with %d members", n)
		}
	case mailbox.KindGrant:
		what = fmt.Sprintf("Checking %s on %s for %s", op.Right.Title(), op.Mailbox, op.Trustee)
	case mailbox.KindRevoke:
		what = fmt.Sprintf("Checking %s on %s for %s, to take it away", op.Right.Title(), op.Mailbox, op.Trustee)
	case mailbox.KindMembers:
		what = "Checking who may use " + op.Mailbox
	default:
		what = "Checking " + op.Mailbox
	}
	if op.Options.DryRun {
		return what + "… (dry run: nothing will be changed) I'll answer here in a moment."
	}
	return what + "… I'll answer here in a moment."
}
