package handlers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Verb is what a /convert-mailbox text asks for.
type Verb string

const (
	// VerbHelp: show the help (Parsed.Empty when the text was empty).
	VerbHelp Verb = "help"
	// VerbConvert: check Parsed.Op and ask for approval.
	VerbConvert Verb = "convert"
	// VerbRequest: a command about requests already made, for both
	// commands: Parsed.Action is bot.CommandStatus, bot.CommandList or
	// bot.CommandCancel, and RequestID names the request for status and
	// cancel.
	VerbRequest Verb = "request"
)

// Parsed is an understood /convert-mailbox or /shared-mailbox text.
type Parsed struct {
	Verb Verb
	// Mailboxes, for a /convert-mailbox naming several: all of them, the
	// first also in Op.Mailbox.
	Mailboxes []string
	// Op is the operation, for VerbConvert: its Mailbox is validated and
	// lower case, its Kind is KindConvertToShared or KindConvertToRegular,
	// and its Options fit that kind (addresses validated, lower case,
	// without duplicates and without the mailbox itself; At in UTC). For
	// VerbShared, see ParseShared.
	Op mailbox.Operation
	// Empty: the text was empty (VerbHelp). Empty text will open a form in
	// a later version.
	Empty bool
	// Action is the request command of VerbRequest: bot.CommandStatus,
	// bot.CommandList or bot.CommandCancel.
	Action string
	// RequestID is the request that status and cancel are about, as
	// parseRequestID normalises it ("req_K7Q3ZD2M").
	RequestID string
}

// ErrUsage is matched by every *UsageError.
var ErrUsage = errors.New("command not understood")

// UsageError says why a command's text was not understood. Problem is one
// sentence for the person who typed it (Slack mrkdwn); the handler adds the
// usage line. Sub names the /shared-mailbox subcommand the problem is
// about ("create", "grant", "revoke", "members"), so that the usage shown
// is that subcommand's; "" otherwise.
type UsageError struct {
	Problem string
	Sub     string
}

func (e *UsageError) Error() string        { return e.Problem }
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usageErr(format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...)}
}

// Limits of the grammar.
const (
	// MaxScheduleAhead is how far ahead `at` may schedule a conversion.
	MaxScheduleAhead = 90 * 24 * time.Hour
	// MaxListed bounds the addresses of one list option (full-access,
	// send-as, members), so that one request stays reviewable.
	MaxListed = 50
)

// Options of the grammar, by their canonical keyword.
const (
	optKeepSignIn   = "keep-signin"
	optKeepSessions = "keep-sessions"
	optKeepLicense  = "keep-license"
	optAddLicense   = "add-license"
	optFullAccess   = "full-access"
	optSendAs       = "send-as"
	optMembers      = "members"
	optNoAutomap    = "no-automap"
	optLicense      = "license"
	optPassword     = "password"
	optAt           = "at"
	optDryRun       = "dry-run"
)

// keywords maps every accepted spelling (lower case, without a leading
// "--") to its canonical option.
var keywords = map[string]string{
	"keep-signin": optKeepSignIn, "keep-sign-in": optKeepSignIn,
	"keep-sessions": optKeepSessions, "keep-session": optKeepSessions,
	"keep-license": optKeepLicense, "keep-licenses": optKeepLicense,
	"add-license": optAddLicense,
	"full-access": optFullAccess, "fullaccess": optFullAccess,
	"send-as": optSendAs, "sendas": optSendAs,
	"members": optMembers, "member": optMembers,
	"no-automap": optNoAutomap, "no-automapping": optNoAutomap,
	"license":  optLicense,
	"password": optPassword,
	"at":       optAt,
	"dry-run":  optDryRun, "dryrun": optDryRun,
}

// sharedOnly and regularOnly are the options that fit one direction only.
var (
	sharedOnly  = []string{optKeepSignIn, optKeepSessions, optKeepLicense, optAddLicense, optFullAccess, optSendAs, optMembers, optNoAutomap}
	regularOnly = []string{optLicense, optPassword}
)

// keyword returns the canonical option a word names, or "".
func keyword(word string) string {
	w := strings.ToLower(word)
	// A leading "--", and the dash that smart punctuation makes of it.
	for _, p := range []string{"--", "—", "–"} {
		if strings.HasPrefix(w, p) {
			w = strings.TrimPrefix(w, p)
			break
		}
	}
	return keywords[w]
}

// ParseConvert parses the text of /convert-mailbox at time now (for `at`):
//
//	help | -h | --help | ?                   the help
//	(empty)                                  the help (the form comes later)
//	<address> [to shared|to regular] [opts]  convert a mailbox
//	status <request id>                      where a request stands
//	list                                     my requests, and those waiting for me
//	cancel <request id>                      cancel a request (see parseRequest)
//
// to shared is the default; to user is to regular. The options, in any
// order after the address:
//
//	to shared:  keep-signin, keep-sessions, keep-license, add-license,
//	            full-access <a>[,<b>...], send-as <a>[,...],
//	            members <a>[,...] (Full Access and Send As), no-automap
//	to regular: license <SKU id or part number>, password
//	both:       at <YYYY-MM-DD HH:MM> (UTC) | at <RFC 3339>, dry-run
//
// Keywords are case-insensitive and any run of white space separates words;
// a list takes commas (with or without spaces) or spaces between its
// addresses. An address may come in Slack's <mailto:a@b|a@b> form. A time
// must lie after now and at most MaxScheduleAhead later. It returns a
// Parsed or a *UsageError, never both, never neither.
func ParseConvert(text string, now time.Time) (Parsed, error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return Parsed{Verb: VerbHelp, Empty: true}, nil
	}
	first := strings.ToLower(words[0])
	switch first {
	case "help", "-h", "--help", "?", "-?", "/?":
		return Parsed{Verb: VerbHelp}, nil
	case bot.CommandStatus, bot.CommandList, bot.CommandCancel:
		return parseRequest(first, words[1:], false)
	}

	firsts, ok := addressList(words[0])
	addr, err := "", error(nil)
	if ok {
		addr = firsts[0]
	} else {
		_, err = mailbox.ParseAddress(words[0])
	}
	if err != nil {
		if first == "to" || keyword(first) != "" {
			return Parsed{}, usageErr("Start with the mailbox's address, then %s and the options: I read %s first.", quote("to"), quote(words[0]))
		}
		return Parsed{}, badAddress(words[0])
	}
	// Several addresses (spaces or commas) make one request for all of
	// them: one approval, one report.
	addrs := slices.Compact(firsts)
	rest := words[1:]
	for len(rest) > 0 {
		more, ok := addressList(rest[0])
		if !ok {
			break
		}
		for _, a := range more {
			if !slices.Contains(addrs, a) {
				addrs = append(addrs, a)
			}
		}
		rest = rest[1:]
	}
	if len(addrs) > MaxBulk {
		return Parsed{}, usageErr("At most %d mailboxes in one request: I read %d.", MaxBulk, len(addrs))
	}
	p := &convertParser{addr: addr, now: now.UTC(), words: rest}
	op, err := p.parse()
	if err != nil {
		return Parsed{}, err
	}
	parsed := Parsed{Verb: VerbConvert, Op: op}
	if len(addrs) > 1 {
		if op.Kind == mailbox.KindConvertToRegular {
			return Parsed{}, usageErr("%s takes one mailbox at a time: each gets its own credential.", quote("to regular"))
		}
		parsed.Mailboxes = addrs
	}
	return parsed, nil
}

// MaxBulk is the most mailboxes one request may name.
const MaxBulk = 500

// addressList reads a word of one or more comma-separated addresses.
func addressList(w string) ([]string, bool) {
	var out []string
	for _, part := range strings.Split(w, ",") {
		if part == "" {
			continue
		}
		a, err := mailbox.ParseAddress(part)
		if err != nil {
			return nil, false
		}
		out = append(out, a)
	}
	return out, len(out) > 0
}

// convertParser reads the words after the address.
type convertParser struct {
	addr  string
	now   time.Time
	words []string
	i     int

	kind mailbox.Kind
	opts mailbox.Options
	used []string // canonical options, in the order typed
}

func (p *convertParser) next() (string, bool) {
	if p.i >= len(p.words) {
		return "", false
	}
	w := p.words[p.i]
	p.i++
	return w, true
}

func (p *convertParser) peek() (string, bool) {
	if p.i >= len(p.words) {
		return "", false
	}
	return p.words[p.i], true
}

func (p *convertParser) parse() (mailbox.Operation, error) {
	for {
		w, ok := p.next()
		if !ok {
			break
		}
		lw := strings.ToLower(w)
		if lw == "to" {
			if err := p.direction(); err != nil {
				return mailbox.Operation{}, err
			}
			continue
		}
		opt := keyword(w)
		if opt == "" {
			return mailbox.Operation{}, p.unknown(w)
		}
		p.used = append(p.used, opt)
		var err error
		switch opt {
		case optKeepSignIn:
			p.opts.KeepSignIn = true
		case optKeepSessions:
			p.opts.KeepSessions = true
		case optKeepLicense:
			p.opts.KeepLicenses = true
		case optAddLicense:
			p.opts.AddLicense = true
		case optNoAutomap:
			p.opts.NoAutoMapping = true
		case optPassword:
			p.opts.Password = true
		case optDryRun:
			p.opts.DryRun = true
		case optFullAccess:
			err = p.list(opt, &p.opts.FullAccess)
		case optSendAs:
			err = p.list(opt, &p.opts.SendAs)
		case optMembers:
			err = p.list(opt, &p.opts.FullAccess, &p.opts.SendAs)
		case optLicense:
			err = p.license()
		case optAt:
			err = p.at()
		}
		if err != nil {
			return mailbox.Operation{}, err
		}
	}

	if p.kind == "" {
		p.kind = mailbox.KindConvertToShared
	}
	for _, o := range p.used {
		switch {
		case p.kind == mailbox.KindConvertToShared && slices.Contains(regularOnly, o):
			return mailbox.Operation{}, usageErr("%s goes with %s only; this converts to a shared mailbox.", quote(o), quote("to regular"))
		case p.kind == mailbox.KindConvertToRegular && slices.Contains(sharedOnly, o):
			return mailbox.Operation{}, usageErr("%s goes with %s only; this converts back to a user mailbox.", quote(o), quote("to shared"))
		}
	}
	if p.opts.NoAutoMapping && len(p.opts.FullAccess) == 0 {
		return mailbox.Operation{}, usageErr("%s needs %s or %s: it turns automapping off for the people given Full Access.",
			quote(optNoAutomap), quote(optFullAccess), quote(optMembers))
	}
	return mailbox.Operation{Kind: p.kind, Mailbox: p.addr, Options: p.opts}, nil
}

// direction reads the word after "to".
func (p *convertParser) direction() error {
	w, ok := p.next()
	if !ok {
		return usageErr("%s must be followed by %s or %s.", quote("to"), quote("shared"), quote("regular"))
	}
	var k mailbox.Kind
	switch strings.ToLower(w) {
	case "shared":
		k = mailbox.KindConvertToShared
	case "regular", "user":
		k = mailbox.KindConvertToRegular
	default:
		return usageErr("%s is not a mailbox type I know: say %s or %s.", quote(w), quote("to shared"), quote("to regular"))
	}
	if p.kind != "" && p.kind != k {
		return usageErr("Say %s or %s, not both.", quote("to shared"), quote("to regular"))
	}
	p.kind = k
	return nil
}

// unknown explains a word that is neither "to" nor an option.
func (p *convertParser) unknown(w string) error {
	switch strings.ToLower(w) {
	case "shared", "regular", "user":
		return usageErr("I don't understand %s: did you mean %s?", quote(w), quote("to "+strings.ToLower(w)))
	}
	if _, err := mailbox.ParseAddress(w); err == nil {
		return usageErr("I don't understand %s here: to give someone access, put %s, %s or %s before the address.",
			quote(w), quote(optMembers), quote(optFullAccess), quote(optSendAs))
	}
	return usageErr("I don't understand %s.", quote(w))
}

// list reads the addresses after a list option (comma- or space-separated)
// and adds them to every one of into, without duplicates.
func (p *convertParser) list(opt string, into ...*[]string) error {
	var parts []string
	need := true // at least one address, or another after a trailing comma
	for {
		w, ok := p.peek()
		if !ok {
			break
		}
		if need {
			if strings.ToLower(w) == "to" || keyword(w) != "" {
				break
			}
		} else if !strings.HasPrefix(w, ",") {
			// Without a comma, only another address continues the list.
			head, _, _ := strings.Cut(w, ",")
			if _, err := mailbox.ParseAddress(head); err != nil {
				break
			}
		}
		p.i++
		for _, part := range strings.Split(w, ",") {
			if part != "" {
				parts = append(parts, part)
			}
		}
		need = strings.HasSuffix(w, ",")
	}
	if len(parts) == 0 {
		return usageErr("%s needs one or more addresses, separated by commas: %s.", quote(opt), quote(opt+" bob@contoso.com,carol@contoso.com"))
	}
	for _, part := range parts {
		a, err := mailbox.ParseAddress(part)
		if err != nil {
			return usageErr("%s in %s is not a valid e-mail address.", quote(shownAddress(part)), quote(opt))
		}
		if a == p.addr {
			return usageErr("%s is the mailbox itself: it cannot be in %s.", quote(a), quote(opt))
		}
		for _, list := range into {
			if !slices.Contains(*list, a) {
				if len(*list) >= MaxListed {
					return usageErr("At most %d people in %s; ask for the others in another request.", MaxListed, quote(opt))
				}
				*list = append(*list, a)
			}
		}
	}
	return nil
}

// skuPattern is a SKU id (a GUID) or a part number such as SPE_E3 or
// Microsoft_365_E3_(no_Teams).
var skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+()/-]{0,79}$`)

// guidPattern is a GUID, which is lower-cased.
var guidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

func (p *convertParser) license() error {
	w, ok := p.peek()
	if !ok || strings.ToLower(w) == "to" || keyword(w) != "" {
		return usageErr("%s needs a SKU id or part number, for example %s.", quote(optLicense), quote("license SPE_E3"))
	}
	p.i++
	if !skuPattern.MatchString(w) {
		return usageErr("%s is not a SKU id or part number (such as %s).", quote(w), quote("SPE_E3"))
	}
	if guidPattern.MatchString(w) {
		w = strings.ToLower(w)
	}
	switch {
	case p.opts.License == "":
		p.opts.License = w
	case !strings.EqualFold(p.opts.License, w):
		return usageErr("Give one %s: I read %s and %s.", quote(optLicense), quote(p.opts.License), quote(w))
	}
	return nil
}

// Layouts of a time given in one word; those without a zone are UTC.
var (
	zonedLayouts   = []string{time.RFC3339, "2006-01-02T15:04Z07:00"}
	unzonedLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04"}
)

// at reads `at <YYYY-MM-DD HH:MM>` (UTC, optionally followed by UTC or Z)
// or `at <RFC 3339>`.
func (p *convertParser) at() error {
	example := p.now.Add(24*time.Hour).Format("2006-01-02") + " 18:00"
	bad := func(shown string) error {
		return usageErr("%s is not a date and time I can read: say %s (UTC) or give a zone, %s.",
			quote(shown), quote("at "+example), quote("at "+strings.Replace(example, " ", "T", 1)+":00+01:00"))
	}
	w, ok := p.next()
	if !ok || strings.ToLower(w) == "to" || keyword(w) != "" {
		if ok {
			p.i--
		}
		return usageErr("%s needs a date and time, for example %s (UTC).", quote(optAt), quote("at "+example))
	}
	if !p.opts.At.IsZero() {
		return usageErr("Give one time: %s appears twice.", quote(optAt))
	}
	var (
		t     time.Time
		found bool
		shown = "at " + w
	)
	up := strings.ToUpper(w)
	for _, l := range zonedLayouts {
		if v, err := time.Parse(l, up); err == nil {
			t, found = v, true
			break
		}
	}
	for _, l := range unzonedLayouts {
		if found {
			break
		}
		if v, err := time.ParseInLocation(l, up, time.UTC); err == nil {
			t, found = v, true
		}
	}
	if !found {
		if _, err := time.Parse("2006-01-02", w); err != nil {
			return bad(shown)
		}
		clock, ok := p.next()
		if !ok {
			return usageErr("%s needs a time of day too, for example %s (UTC).", quote(shown), quote(shown+" 18:00"))
		}
		shown += " " + clock
		for _, l := range []string{"15:04", "15:04:05"} {
			if v, err := time.ParseInLocation("2006-01-02 "+l, w+" "+clock, time.UTC); err == nil {
				t, found = v, true
				break
			}
		}
		if !found {
			return bad(shown)
		}
		if z, ok := p.peek(); ok && (strings.EqualFold(z, "UTC") || strings.EqualFold(z, "Z")) {
			p.i++
			shown += " " + z
		}
	}
	t = t.UTC()
	switch {
	case !t.After(p.now):
		return usageErr("%s is in the past: it is now %s.", quote(shown), p.now.Format("2006-01-02 15:04 UTC"))
	case t.After(p.now.Add(MaxScheduleAhead)):
		return usageErr("%s is more than %d days ahead: schedule it by %s.", quote(shown),
			int(MaxScheduleAhead/(24*time.Hour)), p.now.Add(MaxScheduleAhead).Format("2006-01-02 15:04 UTC"))
	}
	p.opts.At = t
	return nil
}

// shownAddress is an address as Slack shows it: the label of a
// <mailto:a|a> link.
func shownAddress(word string) string {
	if strings.HasPrefix(word, "<mailto:") && strings.HasSuffix(word, ">") {
		word = strings.TrimSuffix(strings.TrimPrefix(word, "<mailto:"), ">")
		if _, after, ok := strings.Cut(word, "|"); ok {
			word = after
		}
	}
	return word
}

// badAddress explains why word is not a mailbox address.
func badAddress(word string) error {
	shown := shownAddress(word)
	switch {
	case strings.HasPrefix(word, "<@") || strings.HasPrefix(word, "@"):
		return usageErr("%s is a Slack user: give the e-mail address of the mailbox instead.", quote(shown))
	case strings.HasPrefix(word, "<#"):
		return usageErr("%s is a Slack channel: give the e-mail address of the mailbox instead.", quote(shown))
	case !strings.Contains(shown, "@"):
		return usageErr("%s is neither an e-mail address nor a command I know.", quote(shown))
	}
	return usageErr("%s is not a valid e-mail address.", quote(shown))
}

// quote shows a piece of what the user typed as inline code: valid UTF-8,
// at most 60 characters, no backtick that could end the code span, and no
// raw < or > that Slack would read as a mention or a link.
func quote(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 60 {
		s = string([]rune(s)[:59]) + "…"
	}
	s = strings.NewReplacer("`", "'", "<", "&lt;", ">", "&gt;").Replace(s)
	return "`" + s + "`"
}

// addressArg is "<address>" escaped for Slack's mrkdwn, where a raw < or >
// starts a link or a mention.
const addressArg = "&lt;address&gt;"

// usageLine is the one-line grammar, for the command name cmd (as typed,
// for example "/convert-mailbox").
func usageLine(cmd string) string {
	return fmt.Sprintf("Usage: `%s %s [to shared|to regular] [options]` — try `%s help`.", cmd, addressArg, cmd)
}

// exampleRequestID is the request id shown in the help and in errors.
const exampleRequestID = "req_K7Q3ZD2M"

// requestIDPattern is a request id as typed: "req_" and 8 letters or
// digits, in any case (bot.NewID makes them upper case).
var requestIDPattern = regexp.MustCompile(`(?i)^(req|bat)_[A-Z0-9]{8}(_[0-9]{1,4})?$`)

// parseRequestID reads a request id as typed or pasted: "req_" and 8
// letters or digits, in any case, perhaps in quotes or a code span, perhaps
// followed by a full stop. It returns the id with "req_" in lower case and
// the rest in upper case, as the bot makes them, or "".
func parseRequestID(word string) string {
	w := strings.Trim(word, "`'\"“”‘’*")
	w = strings.TrimRight(w, ".,;:!?")
	w = strings.Trim(w, "`'\"“”‘’*")
	if !requestIDPattern.MatchString(w) {
		return ""
	}
	// req_ABCDEFGH (one request), bat_ABCDEFGH (several mailboxes at once)
	// or req_ABCDEFGH_3 (one mailbox of a batch).
	return strings.ToLower(w[:4]) + strings.ToUpper(w[4:])
}

// parseRequest reads a request command (action, lower case: status, list
// or cancel) and the words after it, for either command (shared: for
// /shared-mailbox, whose errors name their subcommand):
//
//	status <request id>   list   cancel <request id>
func parseRequest(action string, args []string, shared bool) (Parsed, error) {
	fail := func(format string, a ...any) (Parsed, error) {
		sub := ""
		if shared {
			sub = action
		}
		return Parsed{}, subErr(sub, format, a...)
	}
	if action == bot.CommandList {
		if len(args) == 0 {
			return Parsed{Verb: VerbRequest, Action: action}, nil
		}
		if a, err := mailbox.ParseAddress(args[0]); err == nil && shared {
			return Parsed{}, subErr(subMembers, "%s shows your requests; to see who may use a mailbox, say %s.", quote(bot.CommandList), quote(subMembers+" "+a))
		}
		return fail("%s takes nothing after it: it shows your requests and those waiting for your decision. I don't understand %s.",
			quote(bot.CommandList), quote(shownAddress(args[0])))
	}
	if len(args) == 0 {
		return fail("%s needs a request id, for example %s; %s shows your requests and their ids.",
			quote(action), quote(action+" "+exampleRequestID), quote(bot.CommandList))
	}
	id := parseRequestID(args[0])
	if id == "" {
		if _, err := mailbox.ParseAddress(args[0]); err == nil {
			return fail("%s takes a request id such as %s, not a mailbox: %s shows your requests and their ids.",
				quote(action), quote(exampleRequestID), quote(bot.CommandList))
		}
		return fail("%s is not a request id: they look like %s, and %s shows yours.",
			quote(shownAddress(args[0])), quote(exampleRequestID), quote(bot.CommandList))
	}
	if len(args) > 1 {
		if parseRequestID(args[1]) != "" {
			return fail("One request at a time: I read %s and %s.", quote(id), quote(parseRequestID(args[1])))
		}
		return fail("I don't understand %s after the request id.", quote(shownAddress(args[1])))
	}
	return Parsed{Verb: VerbRequest, Action: action, RequestID: id}, nil
}

// requestText is the immediate answer to a queued request command.
func requestText(action, id string) string {
	switch action {
	case bot.CommandList:
		return "Listing your requests… I'll answer here in a moment."
	case bot.CommandCancel:
		return fmt.Sprintf("Cancelling `%s`… I'll answer here in a moment.", id)
	}
	return fmt.Sprintf("Looking up `%s`… I'll answer here in a moment.", id)
}

// helpText is the answer to help, for the command name cmd.
func helpText(cmd string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("*%s* converts a Microsoft 365 user mailbox to a shared mailbox, or a shared mailbox back to a user mailbox, once a second person approves it here in Slack, and reports every step to you.", cmd)
	p("")
	p("*Usage*")
	p("• `%s %s [to shared] [options]`: check the mailbox and ask for approval to convert it to a shared mailbox", cmd, addressArg)
	p("• `%s %s to regular [options]`: convert a shared mailbox back to a user mailbox", cmd, addressArg)
	p("• `%s status &lt;request id&gt;`: where a request stands, for example `%s status %s`", cmd, cmd, exampleRequestID)
	p("• `%s list`: your recent requests, and those waiting for your decision", cmd)
	p("• `%s cancel &lt;request id&gt;`: cancel your request while it waits for approval or for its scheduled time", cmd)
	p("• `%s help`: this text", cmd)
	p("Options come after the address, in any order; upper or lower case does not matter. Lists take commas: `bob@contoso.com,carol@contoso.com`.")
	p("_To shared:_")
	p("• `keep-signin`: leave sign-in allowed (by default it is blocked)")
	p("• `keep-sessions`: leave the user's sessions open (by default they are revoked)")
	p("• `keep-license`: keep the licenses (by default they are removed once the conversion is verified, where the rules allow)")
	p("• `add-license`: assign a license first if the mailbox has none (it must be licensed when it is converted)")
	p("• `members %s[,…]`: give these people Full Access and Send As, what a member of a shared mailbox needs", addressArg)
	p("• `full-access %s[,…]`: Full Access only (open the mailbox and change items, not send; added to their Outlook)", addressArg)
	p("• `send-as %s[,…]`: Send As only (send as the mailbox)", addressArg)
	p("• `no-automap`: give Full Access without adding the mailbox to their Outlook (automapping)")
	p("_To regular:_")
	p("• `license &lt;SKU id or part number&gt;`: the license to assign (by default, one with free units that includes Exchange Online)")
	p("• `password`: a reset password, to be changed at next sign-in, instead of a Temporary Access Pass")
	p("_Both:_")
	p("• `at 2026-01-15 18:00`: approve now, run at that time; a time without a zone is UTC (or give one: `at 2026-01-15T18:00:00+01:00`); at most 90 days ahead")
	p("• `dry-run`: go through approval and report every step with the data it would send; nothing is changed")
	p("Examples: `%s alice@contoso.com members bob@contoso.com,carol@contoso.com` · `%s alice@contoso.com to regular dry-run`", cmd, cmd)
	p("Not available yet in this version: the form.")
	p("")
	p("*The order of the work*")
	p("• To shared: revoke sessions → block sign-in → grants (Full Access, Send As) → convert → verify that Exchange reports a shared mailbox → remove the licenses. A license is never removed before the conversion is verified.")
	p("• To regular: assign a license → convert → verify → enable sign-in → a Temporary Access Pass (or a password) goes to you alone, in a private message.")
	p("• A user deleted less than 30 days ago: the account is restored, licensed and its password reset (shown to no one), the bot waits until the mailbox exists again (often 20-30 minutes), then converts it as above.")
	p("")
	p("*Rules*")
	p("• A license is needed: the mailbox must be licensed when it is converted, so it is removed only after the conversion is verified.")
	p("• The licenses stay when the mailbox holds 50 GB or more, has a hold or an archive; over 100 GB the conversion is refused. A license assigned through a group cannot be removed from the user: the bot names the group.")
	p("• The account is kept: the user account anchors the shared mailbox; the bot never deletes it.")
	p("• Sign-in is blocked: otherwise the old user name and password keep working.")
	p("• Accounts synchronised from on-premises Active Directory are converted on-premises (`Set-RemoteMailbox -Identity " + addressArg + " -Type Shared`): the bot refuses them and gives the command.")
	p("• Inbox rules are kept.")
	p("")
	p("*Approval*")
	b.WriteString("The mailbox owner's manager in Microsoft Entra (matched to a Slack user by e-mail) approves; " +
		"when there is none, the approvers configured for the bot do. Nobody approves their own request. " +
		"A request that fails can be retried from the failed step, for a while, with the button in its report.")
	return b.String()
}
