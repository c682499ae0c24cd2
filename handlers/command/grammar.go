// Package command is the language of the /convert-mailbox and
// /shared-mailbox slash commands: ParseConvert and ParseShared turn the
// text a person typed into a Parsed (an operation for the bot, a request
// command, or a page of the help) or a *UsageError whose sentence says
// what was not understood; ConvertUsage and SharedUsage add the usage
// line and the help page to read, and ConvertHelp and SharedHelp write the
// pages of the help (help.go). It reads text only: no Slack, no HTTP, no
// lookups (handlers is the edge that calls it). A Slack mention is kept as "<@U…>" for the bot to
// resolve. Everything it writes is Slack mrkdwn, with what the person typed
// escaped (Code).
package command

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Verb is what a /convert-mailbox text asks for.
type Verb string

const (
	// VerbHelp: show the help page Parsed.Help (Parsed.Empty when the
	// text was empty: the edge opens the command's form instead).
	VerbHelp Verb = "help"
	// VerbConvert: check Parsed.Op and ask for approval.
	VerbConvert Verb = "convert"
	// VerbRequest: a command about requests already made, for both
	// commands: Parsed.Action is bot.CommandStatus, bot.CommandList,
	// bot.CommandCancel or bot.CommandUndo, and RequestID names the
	// request for status, cancel and undo.
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
	// Empty: the text was empty (VerbHelp); the edge opens the command's
	// form.
	Empty bool
	// Help is the page of the help asked for (VerbHelp): PageOverview for
	// "help" alone or with a topic it does not know.
	Help Page
	// Action is the request command of VerbRequest: bot.CommandStatus,
	// bot.CommandList, bot.CommandCancel or bot.CommandUndo.
	Action string
	// RequestID is the request that status and cancel are about, as
	// parseRequestID normalises it ("req_K7Q3ZD2M").
	RequestID string
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
	// Issue 16: a leaver's access elsewhere, and the manager's.
	optRemoveAccess    = "remove-access"
	optKeepAccess      = "keep-access"
	optManagerAccess   = "manager-access"
	optNoManagerAccess = "no-manager-access"
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
	"remove-access": optRemoveAccess, "keep-access": optKeepAccess,
	"manager-access": optManagerAccess, "no-manager-access": optNoManagerAccess,
}

// sharedOnly and regularOnly are the options that fit one direction only.
var (
	sharedOnly = []string{optKeepSignIn, optKeepSessions, optKeepLicense, optAddLicense, optFullAccess, optSendAs, optMembers, optNoAutomap,
		optRemoveAccess, optKeepAccess, optManagerAccess, optNoManagerAccess}
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
//	help [options|rules|approval] | -h | ?   the help (see helpPage)
//	(empty)                                  the form (Parsed.Empty)
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
//	            members <a>[,...] (Full Access and Send As), no-automap,
//	            auto-reply "<text>", forward-to <a>, hide (settings.go)
//	            remove-access | keep-access, manager-access | no-manager-access
//	            (neither said: the bot's setting decides)
//	to regular: license <SKU id or part number>, password
//	both:       at <YYYY-MM-DD HH:MM> (UTC) | at <RFC 3339>, dry-run
//
// Keywords are case-insensitive and any run of white space separates words;
// a list takes commas (with or without spaces) or spaces between its
// addresses. An address may come in Slack's <mailto:a@b|a@b> form. A time
// must lie after now and at most MaxScheduleAhead later. It returns a
// Parsed or a *UsageError, never both, never neither.
func ParseConvert(text string, now time.Time) (Parsed, error) {
	text, reply, hasReply, err := cutAutoReply(text)
	if err != nil {
		return Parsed{}, err
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return Parsed{Verb: VerbHelp, Empty: true}, nil
	}
	first := strings.ToLower(words[0])
	switch first {
	case "help", "-h", "--help", "?", "-?", "/?":
		return Parsed{Verb: VerbHelp, Help: helpPage(words[1:])}, nil
	case bot.CommandStatus, bot.CommandList, bot.CommandCancel, bot.CommandUndo:
		return parseRequest(first, words[1:], false)
	}

	firsts, ok := addressList(words[0])
	addr := ""
	if ok {
		addr = firsts[0]
	} else {
		_, err = mailbox.ParseAddress(words[0])
	}
	if err != nil {
		if first == "to" || keyword(first) != "" {
			return Parsed{}, usageErr("Start with the mailbox's address, then %s and the options: I read %s first.", Code("to"), Code(words[0]))
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
	if hasReply {
		p.opts.AutoReply = reply
		p.used = append(p.used, optAutoReply)
	}
	op, err := p.parse()
	if err != nil {
		// What follows the addresses is explained with the options.
		if ue := (*UsageError)(nil); errors.As(err, &ue) {
			ue.Page = PageOptions
		}
		return Parsed{}, err
	}
	parsed := Parsed{Verb: VerbConvert, Op: op}
	if len(addrs) > 1 {
		if op.Kind == mailbox.KindConvertToRegular {
			return Parsed{}, usageErr("%s takes one mailbox at a time: each gets its own credential.", Code("to regular"))
		}
		parsed.Mailboxes = addrs
	}
	return parsed, nil
}

// MaxBulk is the most mailboxes one request may name: the parser's hard
// limit. The bot's own, MAILBOXBOT_BATCH_MAX (handlers.Config.BatchMax,
// bot.Config.BatchMax), is at most this.
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
		case optRemoveAccess:
			p.opts.RemoveAccess = true
		case optKeepAccess:
			p.opts.KeepAccess = true
		case optManagerAccess:
			p.opts.ManagerAccess = true
		case optNoManagerAccess:
			p.opts.NoManagerAccess = true
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
		case optForwardTo:
			err = p.forwardTo()
		case optHide:
			p.opts.Hide = true
		case optAutoReply:
			err = usageErr("%s needs its text in quotes: %s.", Code(optAutoReply), Code(`auto-reply "Alice has left."`))
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
			return mailbox.Operation{}, usageErr("%s goes with %s only; this converts to a shared mailbox.", Code(o), Code("to regular"))
		case p.kind == mailbox.KindConvertToRegular && slices.Contains(sharedOnly, o):
			return mailbox.Operation{}, usageErr("%s goes with %s only; this converts back to a user mailbox.", Code(o), Code("to shared"))
		}
	}
	for _, pair := range [][2]string{{optRemoveAccess, optKeepAccess}, {optManagerAccess, optNoManagerAccess}} {
		if slices.Contains(p.used, pair[0]) && slices.Contains(p.used, pair[1]) {
			return mailbox.Operation{}, usageErr("Say %s or %s, not both.", Code(pair[0]), Code(pair[1]))
		}
	}
	if p.opts.NoAutoMapping && len(p.opts.FullAccess) == 0 {
		return mailbox.Operation{}, usageErr("%s needs %s or %s: it turns automapping off for the people given Full Access.",
			Code(optNoAutomap), Code(optFullAccess), Code(optMembers))
	}
	return mailbox.Operation{Kind: p.kind, Mailbox: p.addr, Options: p.opts}, nil
}

// direction reads the word after "to".
func (p *convertParser) direction() error {
	w, ok := p.next()
	if !ok {
		return usageErr("%s must be followed by %s or %s.", Code("to"), Code("shared"), Code("regular"))
	}
	var k mailbox.Kind
	switch strings.ToLower(w) {
	case "shared":
		k = mailbox.KindConvertToShared
	case "regular", "user":
		k = mailbox.KindConvertToRegular
	default:
		return usageErr("%s is not a mailbox type I know: say %s or %s.", Code(w), Code("to shared"), Code("to regular"))
	}
	if p.kind != "" && p.kind != k {
		return usageErr("Say %s or %s, not both.", Code("to shared"), Code("to regular"))
	}
	p.kind = k
	return nil
}

// unknown explains a word that is neither "to" nor an option.
func (p *convertParser) unknown(w string) error {
	switch strings.ToLower(w) {
	case "shared", "regular", "user":
		return usageErr("I don't understand %s: did you mean %s?", Code(w), Code("to "+strings.ToLower(w)))
	}
	if _, err := mailbox.ParseAddress(w); err == nil {
		return usageErr("I don't understand %s here: to give someone access, put %s, %s or %s before the address.",
			Code(w), Code(optMembers), Code(optFullAccess), Code(optSendAs))
	}
	return usageErr("I don't understand %s.", Code(w))
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
		return usageErr("%s needs one or more addresses, separated by commas: %s.", Code(opt), Code(opt+" bob@contoso.com,carol@contoso.com"))
	}
	for _, part := range parts {
		a, err := mailbox.ParseAddress(part)
		if err != nil {
			return usageErr("%s in %s is not a valid e-mail address.", Code(shownAddress(part)), Code(opt))
		}
		if a == p.addr {
			return usageErr("%s is the mailbox itself: it cannot be in %s.", Code(a), Code(opt))
		}
		for _, list := range into {
			if !slices.Contains(*list, a) {
				if len(*list) >= MaxListed {
					return usageErr("At most %d people in %s; ask for the others in another request.", MaxListed, Code(opt))
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
		return usageErr("%s needs a SKU id or part number, for example %s.", Code(optLicense), Code("license SPE_E3"))
	}
	p.i++
	if !skuPattern.MatchString(w) {
		return usageErr("%s is not a SKU id or part number (such as %s).", Code(w), Code("SPE_E3"))
	}
	if guidPattern.MatchString(w) {
		w = strings.ToLower(w)
	}
	switch {
	case p.opts.License == "":
		p.opts.License = w
	case !strings.EqualFold(p.opts.License, w):
		return usageErr("Give one %s: I read %s and %s.", Code(optLicense), Code(p.opts.License), Code(w))
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
			Code(shown), Code("at "+example), Code("at "+strings.Replace(example, " ", "T", 1)+":00+01:00"))
	}
	w, ok := p.next()
	if !ok || strings.ToLower(w) == "to" || keyword(w) != "" {
		if ok {
			p.i--
		}
		return usageErr("%s needs a date and time, for example %s (UTC).", Code(optAt), Code("at "+example))
	}
	if !p.opts.At.IsZero() {
		return usageErr("Give one time: %s appears twice.", Code(optAt))
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
			return usageErr("%s needs a time of day too, for example %s (UTC).", Code(shown), Code(shown+" 18:00"))
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
		return usageErr("%s is in the past: it is now %s.", Code(shown), mrkdwn.UTC(p.now))
	case t.After(p.now.Add(MaxScheduleAhead)):
		return usageErr("%s is more than %d days ahead: schedule it by %s.", Code(shown),
			int(MaxScheduleAhead/(24*time.Hour)), mrkdwn.UTC(p.now.Add(MaxScheduleAhead)))
	}
	p.opts.At = t
	return nil
}
