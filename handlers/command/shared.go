package command

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

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

// ParseMention returns the mention "<@U123>" of a word ("<@U123>" or
// "<@U123|name>", as Slack escapes a mention), or "".
func ParseMention(word string) string {
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
	return ParseMention(word)
}

// badPerson explains why word, in the role what ("the person or group",
// "a member"), is not an address or a mention.
func badPerson(word, what, sub string) error {
	shown := shownAddress(word)
	switch {
	case strings.HasPrefix(word, "@"):
		return subErr(sub, "%s reached me as plain text, not as a mention: pick the person from Slack's list as you type, or give their e-mail address.", Code(word))
	case strings.HasPrefix(word, "<@"):
		return subErr(sub, "%s is not a Slack mention I can read: name %s by e-mail address or @mention.", Code(shown), what)
	case strings.HasPrefix(word, "<#"):
		return subErr(sub, "%s is a Slack channel: name %s by e-mail address or @mention.", Code(shown), what)
	case strings.HasPrefix(word, "<!"):
		return subErr(sub, "%s is not a person: name %s by e-mail address or @mention.", Code(shown), what)
	case strings.Contains(shown, "@"):
		return subErr(sub, "%s is not a valid e-mail address.", Code(shown))
	}
	return subErr(sub, "%s is neither an e-mail address nor a Slack mention: name %s by e-mail address or @mention.", Code(shown), what)
}

// subErr is a UsageError about subcommand sub. The options page of the
// help explains create, grant and revoke in full.
func subErr(sub, format string, args ...any) error {
	e := &UsageError{Problem: fmt.Sprintf(format, args...), Sub: sub}
	switch sub {
	case subCreate, subGrant, subRevoke:
		e.Page = PageOptions
	}
	return e
}

// ParseShared parses the text of /shared-mailbox:
//
//	help [options|rules|approval] | -h | ?      the help (see helpPage)
//	(empty)                                     the form (Parsed.Empty)
//	create <display name> <address> [members] [dry-run]
//	grant <mailbox> <person or group> <right> [no-automap] [each-member] [dry-run]
//	revoke <mailbox> <person or group> <right> [dry-run]
//	members <mailbox>
//	auto-reply <mailbox> off [dry-run]          (settings.go)
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
		return Parsed{Verb: VerbHelp, Help: helpPage(splitWords(rest))}, nil
	case subCreate:
		op, err = parseCreate(rest)
	case subGrant:
		op, err = parseGrant(mailbox.KindGrant, subGrant, rest)
	case subRevoke:
		op, err = parseGrant(mailbox.KindRevoke, subRevoke, rest)
	case subMembers, "member":
		op, err = parseMembers(rest)
	case subAutoReply, "autoreply", "out-of-office":
		op, err = parseAutoReplyOff(rest)
	case bot.CommandStatus, bot.CommandList, bot.CommandCancel, bot.CommandUndo:
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
		return subErr(s, "I don't know %s: did you mean %s?", Code(w), Code(s))
	}
	if a, err := mailbox.ParseAddress(w); err == nil {
		return subErr("", "Start with what to do: %s, %s, %s or %s, for example %s.",
			Code(subCreate), Code(subGrant), Code(subRevoke), Code(subMembers), Code("members "+a))
	}
	return subErr("", "%s is not something I can do with a shared mailbox: say %s, %s, %s or %s.",
		Code(w), Code(subCreate), Code(subGrant), Code(subRevoke), Code(subMembers))
}

// splitWords splits s at white space and commas, dropping empty words.
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
}

// parseMailboxArg reads the mailbox address a subcommand starts with.
func parseMailboxArg(sub string, words []string) (string, error) {
	if len(words) == 0 {
		return "", subErr(sub, "%s needs the shared mailbox's address.", Code(sub))
	}
	w := words[0]
	a, err := mailbox.ParseAddress(w)
	if err == nil {
		return a, nil
	}
	shown := shownAddress(w)
	switch {
	case strings.HasPrefix(w, "<@") || strings.HasPrefix(w, "@"):
		return "", subErr(sub, "%s is a Slack user: %s starts with the shared mailbox's e-mail address.", Code(shown), Code(sub))
	case strings.HasPrefix(w, "<#"):
		return "", subErr(sub, "%s is a Slack channel: %s starts with the shared mailbox's e-mail address.", Code(shown), Code(sub))
	case !strings.Contains(shown, "@"):
		return "", subErr(sub, "%s is not an e-mail address: %s starts with the shared mailbox's e-mail address.", Code(shown), Code(sub))
	}
	return "", subErr(sub, "%s is not a valid e-mail address.", Code(shown))
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
			return mailbox.Operation{}, subErr(subMembers, "%s changes nothing, so it has no %s.", Code(subMembers), Code(flagDryRun))
		}
		return mailbox.Operation{}, subErr(subMembers, "%s takes one mailbox only: I don't understand %s.", Code(subMembers), Code(shownAddress(w)))
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
			Code(sub), Code(sub+" "+mb+" kim@contoso.com send-as"))
	}
	who := words[1]
	op.Trustee = parsePerson(who)
	if op.Trustee == "" {
		return mailbox.Operation{}, badPerson(who, "the person or group", sub)
	}
	if op.Trustee == mb {
		return mailbox.Operation{}, subErr(sub, "%s is the mailbox itself: name the person or group who gets the right.", Code(mb))
	}
	if len(words) < 3 {
		return mailbox.Operation{}, subErr(sub, "%s needs the right after the person or group: %s, %s or %s.",
			Code(sub), Code("full-access"), Code("send-as"), Code("send-on-behalf"))
	}
	op.Right = rightOf(words[2])
	if op.Right == "" {
		if parsePerson(words[2]) != "" {
			return mailbox.Operation{}, subErr(sub, "One person or group at a time: I read %s and %s.", Code(shownAddress(who)), Code(shownAddress(words[2])))
		}
		return mailbox.Operation{}, subErr(sub, "%s is not a right I know: say %s, %s or %s.",
			Code(words[2]), Code("full-access"), Code("send-as"), Code("send-on-behalf"))
	}
	for _, w := range words[3:] {
		switch flagOf(w) {
		case flagDryRun:
			op.Options.DryRun = true
		case flagNoAutomap:
			if kind != mailbox.KindGrant {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: taking a right away has no automapping.", Code(flagNoAutomap), Code("grant … full-access"))
			}
			if op.Right != mailbox.FullAccess {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: automapping adds a mailbox someone has Full Access to to their Outlook.", Code(flagNoAutomap), Code("full-access"))
			}
			op.Options.NoAutoMapping = true
		case flagEachMember:
			if kind != mailbox.KindGrant {
				return mailbox.Operation{}, subErr(sub, "%s goes with %s only: it grants a group's members one by one.", Code(flagEachMember), Code(subGrant))
			}
			op.Options.EachMember = true
		default:
			switch {
			case rightOf(w) != "" && rightOf(w) != op.Right:
				return mailbox.Operation{}, subErr(sub, "One right at a time: I read %s and %s; ask for the other in another request.", Code(words[2]), Code(w))
			case rightOf(w) != "":
				// The same right twice: no harm.
			case parsePerson(w) != "":
				return mailbox.Operation{}, subErr(sub, "One person or group at a time: I don't understand %s after the right.", Code(shownAddress(w)))
			default:
				return mailbox.Operation{}, subErr(sub, "I don't understand %s.", Code(shownAddress(w)))
			}
		}
	}
	return op, nil
}

// Quotes that may enclose a display name: the typewriter quote and the
// ones smart punctuation makes of it.
const quoteRunes = "\"“”„‟«»"

// ForbiddenInName are the characters Exchange refuses in a mailbox's Name.
const ForbiddenInName = `\/:*?"<>|`

// slackMarkup is Slack's escaped markup in a command's text: a mention, a
// channel, a special mention or a link.
var slackMarkup = regexp.MustCompile(`<[^<>]*>`)

func parseCreate(rest string) (mailbox.Operation, error) {
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	example := Code(`create "Sales Team" sales@contoso.com kim@contoso.com`)
	if rest == "" {
		return mailbox.Operation{}, subErr(subCreate, "%s needs a display name and an address, for example %s.", Code(subCreate), example)
	}
	var (
		rawName string
		words   []string // from the mailbox's address on
	)
	if r, size := utf8.DecodeRuneInString(rest); strings.ContainsRune(quoteRunes, r) {
		end := strings.IndexFunc(rest[size:], func(r rune) bool { return strings.ContainsRune(quoteRunes, r) })
		if end < 0 {
			return mailbox.Operation{}, subErr(subCreate, "The display name's quotes are not closed: I read %s.", Code(rest))
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
				return mailbox.Operation{}, subErr(subCreate, "%s is not a valid e-mail address.", Code(shownAddress(words[0])))
			}
			return mailbox.Operation{}, subErr(subCreate, "After the display name comes the new mailbox's address: I read %s.", Code(shownAddress(words[0])))
		}
	} else {
		all := splitWords(rest)
		i := slices.IndexFunc(all, func(w string) bool { _, err := mailbox.ParseAddress(w); return err == nil })
		switch {
		case i < 0:
			for _, w := range all {
				if strings.Contains(shownAddress(w), "@") && !strings.HasPrefix(w, "<@") && !strings.HasPrefix(w, "@") {
					return mailbox.Operation{}, subErr(subCreate, "%s is not a valid e-mail address.", Code(shownAddress(w)))
				}
			}
			return mailbox.Operation{}, subErr(subCreate, "%s needs the new mailbox's address after the display name, for example %s.", Code(subCreate), example)
		case i == 0:
			return mailbox.Operation{}, subErr(subCreate, "Give the display name first, then the address, for example %s.", example)
		}
		for _, w := range all[:i] {
			if strings.ContainsAny(w, quoteRunes) {
				return mailbox.Operation{}, subErr(subCreate, "Put the whole display name in quotes, or none of it: I read %s.", Code(w))
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
				return mailbox.Operation{}, subErr(subCreate, "Say %s once, before the members.", Code("members"))
			}
			sawMembers = true
		case flagOf(w) == flagDryRun:
			op.Options.DryRun = true
		case flagOf(w) != "" || rightOf(w) != "":
			return mailbox.Operation{}, subErr(subCreate, "%s does not go with %s: every member gets Full Access and Send As (rule 12); for anything else, use %s once the mailbox exists.",
				Code(w), Code(subCreate), Code(subGrant))
		default:
			p := parsePerson(w)
			if p == "" {
				if !strings.HasPrefix(w, "<") && !strings.Contains(w, "@") {
					return mailbox.Operation{}, subErr(subCreate, "I don't understand %s after the address: members are named by e-mail address or @mention.", Code(w))
				}
				return mailbox.Operation{}, badPerson(w, "a member", subCreate)
			}
			if p == mb {
				return mailbox.Operation{}, subErr(subCreate, "%s is the new mailbox itself: it cannot be one of its members.", Code(mb))
			}
			if !slices.Contains(op.Members, p) {
				if len(op.Members) >= MaxListed {
					return mailbox.Operation{}, subErr(subCreate, "At most %d members in one request; add the others with %s.", MaxListed, Code(subGrant))
				}
				op.Members = append(op.Members, p)
			}
		}
	}
	if sawMembers && len(op.Members) == 0 {
		return mailbox.Operation{}, subErr(subCreate, "%s needs one or more addresses or @mentions after it.", Code("members"))
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
					Code(m), Code(`create "Sales Team" sales@contoso.com`))
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
		return "", subErr(subCreate, "The display name is empty: give one before the address, for example %s.", Code(`create "Sales Team" sales@contoso.com`))
	case n > MaxDisplayName:
		return "", subErr(subCreate, "The display name has %d characters; Exchange takes at most %d: %s.", n, MaxDisplayName, Code(name))
	}
	if i := strings.IndexAny(name, ForbiddenInName); i >= 0 {
		return "", subErr(subCreate, "The display name cannot hold %s: Exchange refuses %s in a name.", Code(name[i:i+1]), Code(ForbiddenInName))
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			return "", subErr(subCreate, "The display name holds an invisible control character (%U): type it again without it.", r)
		}
	}
	return name, nil
}

// Usage of each /shared-mailbox subcommand, escaped for Slack's mrkdwn.
var sharedUsages = map[string]string{
	subCreate:    `create "&lt;display name&gt;" &lt;address&gt; [members &lt;address or @person&gt;…] [dry-run]`,
	subGrant:     "grant &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [no-automap] [each-member] [dry-run]",
	subRevoke:    "revoke &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [dry-run]",
	subMembers:   "members &lt;mailbox&gt;",
	subAutoReply: "auto-reply &lt;mailbox&gt; off [dry-run]",
	// The request commands, as for /convert-mailbox.
	bot.CommandStatus: "status &lt;request id&gt;",
	bot.CommandList:   "list",
	bot.CommandCancel: "cancel &lt;request id&gt;",
	bot.CommandUndo:   "undo &lt;request id&gt;",
}
