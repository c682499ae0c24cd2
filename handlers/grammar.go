package handlers

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Verb is what a /convert-mailbox text asks for.
type Verb string

const (
	// VerbHelp: show the help (Parsed.Empty when the text was empty).
	VerbHelp Verb = "help"
	// VerbConvert: check Parsed.Op and ask for approval.
	VerbConvert Verb = "convert"
	// VerbNotYet: a feature of the grammar that this version does not
	// have yet (Parsed.Feature names it).
	VerbNotYet Verb = "not_yet"
)

// Parsed is an understood /convert-mailbox text.
type Parsed struct {
	Verb Verb
	// Op is the operation, for VerbConvert; its Mailbox is validated and
	// lower case.
	Op mailbox.Operation
	// Empty: the text was empty (VerbHelp). Empty text will open a form in
	// a later version.
	Empty bool
	// Feature names what VerbNotYet asked for: "to regular", "status",
	// "list" or "cancel".
	Feature string
}

// ErrUsage is matched by every *UsageError.
var ErrUsage = errors.New("command not understood")

// UsageError says why a /convert-mailbox text was not understood. Problem is
// one sentence for the person who typed it (Slack mrkdwn); the handler adds
// the usage line.
type UsageError struct{ Problem string }

func (e *UsageError) Error() string        { return e.Problem }
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usageErr(format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...)}
}

// ParseConvert parses the text of /convert-mailbox:
//
//	help | -h | --help | ?           the help
//	(empty)                          the help (the form comes later)
//	<address> [to shared]            convert a user mailbox to shared
//	<address> to regular|user        not available yet
//	status ... | list ... | cancel ... not available yet
//
// Keywords are case-insensitive and any run of white space separates words.
// An address may come in Slack's <mailto:a@b|a@b> form. It returns a Parsed
// or a *UsageError, never both, never neither.
func ParseConvert(text string) (Parsed, error) {
	words := strings.Fields(text)
	if len(words) == 0 {
		return Parsed{Verb: VerbHelp, Empty: true}, nil
	}
	first := strings.ToLower(words[0])
	switch first {
	case "help", "-h", "--help", "?", "-?", "/?":
		return Parsed{Verb: VerbHelp}, nil
	case "status", "list", "cancel":
		return Parsed{Verb: VerbNotYet, Feature: first}, nil
	}

	addr, err := mailbox.ParseAddress(words[0])
	if err != nil {
		return Parsed{}, badAddress(words[0])
	}
	rest := words[1:]
	if len(rest) > 0 {
		if _, err := mailbox.ParseAddress(rest[0]); err == nil {
			return Parsed{}, usageErr("Give one address at a time: I read %s and %s.", quote(words[0]), quote(rest[0]))
		}
	}
	switch {
	case len(rest) == 0:
	case strings.EqualFold(rest[0], "to") && len(rest) == 1:
		return Parsed{}, usageErr("%s must be followed by %s.", quote("to"), quote("shared"))
	case strings.EqualFold(rest[0], "to"):
		switch kind := strings.ToLower(rest[1]); kind {
		case "shared":
			if len(rest) > 2 {
				return Parsed{}, usageErr("I don't understand %s after %s.", quote(strings.Join(rest[2:], " ")), quote("to shared"))
			}
		case "regular", "user":
			return Parsed{Verb: VerbNotYet, Feature: "to regular"}, nil
		default:
			return Parsed{}, usageErr("%s is not a mailbox type I know: say %s.", quote(rest[1]), quote("to shared"))
		}
	default:
		return Parsed{}, usageErr("I don't understand %s after the address.", quote(strings.Join(rest, " ")))
	}
	return Parsed{Verb: VerbConvert, Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr}}, nil
}

// badAddress explains why word is not a mailbox address.
func badAddress(word string) error {
	shown := word
	if strings.HasPrefix(word, "<mailto:") && strings.HasSuffix(word, ">") {
		shown = strings.TrimSuffix(strings.TrimPrefix(word, "<mailto:"), ">")
		if _, after, ok := strings.Cut(shown, "|"); ok {
			shown = after
		}
	}
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
	return fmt.Sprintf("Usage: `%s %s [to shared]` — try `%s help`.", cmd, addressArg, cmd)
}

// notYetText answers a feature this version does not have.
func notYetText(cmd, feature string) string {
	what := "`" + feature + "`"
	if feature == "to regular" {
		what = "Converting a shared mailbox back to a user mailbox (`to regular`)"
	}
	return fmt.Sprintf("%s is not available yet in this version. Available now: `%s %s [to shared]` "+
		"to convert a user mailbox to a shared mailbox, and `%s help`.", what, cmd, addressArg, cmd)
}

// helpText is the answer to help, for the command name cmd.
func helpText(cmd string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("*%s* converts a Microsoft 365 user mailbox to a shared mailbox, once a second person approves it here in Slack, and reports every step to you.", cmd)
	p("")
	p("*Usage*")
	p("• `%s %s [to shared]`: check the mailbox and ask for approval", cmd, addressArg)
	p("• `%s help`: this text", cmd)
	p("Example: `%s alice@contoso.com`", cmd)
	p("Not available yet in this version: `to regular`, `status`, `list`, `cancel`, and the form.")
	p("")
	p("*Rules*")
	p("• A license is needed: the mailbox must be licensed when it is converted, and the bot leaves the license in place.")
	p("• The account is kept: the user account anchors the shared mailbox; the bot never deletes it.")
	p("• Sign-in is blocked: otherwise the old user name and password keep working.")
	p("• Accounts synchronised from on-premises Active Directory are converted on-premises (`Set-RemoteMailbox -Identity " + addressArg + " -Type Shared`): the bot refuses them and gives the command.")
	p("• Inbox rules are kept.")
	p("")
	p("*Approval*")
	b.WriteString("The mailbox owner's manager in Microsoft Entra (matched to a Slack user by e-mail) approves; " +
		"when there is none, the approvers configured for the bot do. Nobody approves their own request.")
	return b.String()
}
