// The leaver's mailbox settings in the command language: auto-reply
// "<text>", forward-to <address> and hide for /convert-mailbox … to
// shared, and `auto-reply <mailbox> off` for /shared-mailbox.

package command

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Options of the settings, by their canonical keyword.
const (
	optAutoReply = "auto-reply"
	optForwardTo = "forward-to"
	optHide      = "hide"
)

func init() {
	for w, o := range map[string]string{"auto-reply": optAutoReply, "autoreply": optAutoReply, "out-of-office": optAutoReply,
		"forward-to": optForwardTo, "forward": optForwardTo, "forwardto": optForwardTo,
		"hide": optHide, "hidden": optHide} {
		keywords[w] = o
	}
	sharedOnly = append(sharedOnly, optAutoReply, optForwardTo, optHide)
}

// subAutoReply is the /shared-mailbox subcommand that turns a shared
// mailbox's automatic reply off.
const subAutoReply = "auto-reply"

// cutAutoReply takes `auto-reply "<text>"` out of a /convert-mailbox text:
// the keyword, then the text between a quote and the last quote of the
// command (so it may hold quotes, spaces and line breaks). It returns the
// command without them and the reply in plain text (Slack's escaping
// undone, links as their text), or a *UsageError.
func cutAutoReply(text string) (rest, reply string, found bool, err error) {
	for _, w := range splitKeep(text) {
		if keyword(w.text) != optAutoReply {
			continue
		}
		after := strings.TrimLeftFunc(text[w.end:], unicode.IsSpace)
		r, size := utf8.DecodeRuneInString(after)
		if !strings.ContainsRune(quoteRunes, r) {
			if strings.HasPrefix(strings.ToLower(after), "off") {
				return "", "", false, usageErr("%s turns the automatic reply of a shared mailbox off: %s.", Code("auto-reply off"), Code("/shared-mailbox auto-reply sales@contoso.com off"))
			}
			return "", "", false, usageErr("%s needs its text in quotes: %s.", Code(optAutoReply), Code(`auto-reply "Alice has left; please write to sales@contoso.com."`))
		}
		end := strings.LastIndexFunc(after[size:], func(r rune) bool { return strings.ContainsRune(quoteRunes, r) })
		if end < 0 {
			return "", "", false, usageErr("The quotes of %s are not closed.", Code(optAutoReply))
		}
		raw := after[size : size+end]
		_, qsize := utf8.DecodeRuneInString(after[size+end:])
		tail := after[size+end+qsize:]
		plain, bad := unslack(raw)
		if bad != "" {
			return "", "", false, usageErr("The automatic reply cannot hold a Slack mention or channel (%s): write the name or address instead.", Code(bad))
		}
		if err := mailbox.CheckAutoReply(plain); err != nil {
			return "", "", false, usageErr("The text of %s is %v.", Code(optAutoReply), err)
		}
		return text[:w.start] + " " + tail, plain, true, nil
	}
	return text, "", false, nil
}

// word is a word of a text and where it is.
type word struct {
	text       string
	start, end int
}

// splitKeep splits s at white space, keeping each word's offsets.
func splitKeep(s string) []word {
	var out []word
	start := -1
	for i, r := range s {
		switch sp := unicode.IsSpace(r); {
		case sp && start >= 0:
			out = append(out, word{s[start:i], start, i})
			start = -1
		case !sp && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, word{s[start:], start, len(s)})
	}
	return out
}

// unslack undoes Slack's escaping of a command's text: a link becomes its
// label (or its address), &amp; &lt; &gt; their characters. A mention or a
// channel cannot be undone: it is returned in bad.
func unslack(raw string) (plain, bad string) {
	raw = slackMarkup.ReplaceAllStringFunc(raw, func(m string) string {
		inner := m[1 : len(m)-1]
		switch {
		case strings.HasPrefix(inner, "@"), strings.HasPrefix(inner, "#"), strings.HasPrefix(inner, "!"):
			if bad == "" {
				bad = m
			}
			return ""
		}
		if _, label, ok := strings.Cut(inner, "|"); ok {
			return label
		}
		return strings.TrimPrefix(inner, "mailto:")
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(raw), bad
}

// forwardTo reads the address after forward-to.
func (p *convertParser) forwardTo() error {
	w, ok := p.peek()
	if !ok || strings.ToLower(w) == "to" || keyword(w) != "" {
		return usageErr("%s needs the address of a person or group of your organisation: %s.", Code(optForwardTo), Code("forward-to kim@contoso.com"))
	}
	p.i++
	a, err := mailbox.ParseAddress(w)
	switch {
	case err != nil:
		return usageErr("%s in %s is not a valid e-mail address.", Code(shownAddress(w)), Code(optForwardTo))
	case a == p.addr:
		return usageErr("%s is the mailbox itself: it cannot forward to itself.", Code(a))
	case p.opts.ForwardTo != "" && p.opts.ForwardTo != a:
		return usageErr("Mail is forwarded to one address: I read %s and %s.", Code(p.opts.ForwardTo), Code(a))
	}
	p.opts.ForwardTo = a
	return nil
}

// parseAutoReplyOff reads `auto-reply <mailbox> off [dry-run]`.
func parseAutoReplyOff(rest string) (mailbox.Operation, error) {
	words := splitWords(rest)
	mb, err := parseMailboxArg(subAutoReply, words)
	if err != nil {
		return mailbox.Operation{}, err
	}
	op := mailbox.Operation{Kind: mailbox.KindAutoReplyOff, Mailbox: mb}
	off := false
	for _, w := range words[1:] {
		switch {
		case strings.EqualFold(w, "off"):
			off = true
		case flagOf(w) == flagDryRun:
			op.Options.DryRun = true
		default:
			return mailbox.Operation{}, subErr(subAutoReply, "I don't understand %s: %s turns the automatic reply off; a new one is set with %s.",
				Code(shownAddress(w)), Code("auto-reply "+mb+" off"), Code(`/convert-mailbox … auto-reply "…"`))
		}
	}
	if !off {
		return mailbox.Operation{}, subErr(subAutoReply, "Say %s: %s.", Code("off"), Code("auto-reply "+mb+" off"))
	}
	return op, nil
}
