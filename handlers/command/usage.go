// Usage errors: what the person is told when a text is not understood,
// and how what they typed is shown back to them (Code).

package command

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrUsage is matched by every *UsageError.
var ErrUsage = errors.New("command not understood")

// UsageError says why a command's text was not understood. Problem is one
// sentence for the person who typed it (Slack mrkdwn); the edge adds the
// usage line (ConvertUsage, SharedUsage). Sub names the /shared-mailbox
// subcommand the problem is about ("create", "grant", "revoke", "members"),
// so that the usage shown is that subcommand's; "" otherwise. Page is the
// page of the help that explains what went wrong.
type UsageError struct {
	Problem string
	Sub     string
	Page    Page
}

func (e *UsageError) Error() string        { return e.Problem }
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

func usageErr(format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...)}
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
		return usageErr("%s is a Slack user: give the e-mail address of the mailbox instead.", Code(shown))
	case strings.HasPrefix(word, "<#"):
		return usageErr("%s is a Slack channel: give the e-mail address of the mailbox instead.", Code(shown))
	case !strings.Contains(shown, "@"):
		return usageErr("%s is neither an e-mail address nor a command I know.", Code(shown))
	}
	return usageErr("%s is not a valid e-mail address.", Code(shown))
}

// Code shows a piece of what the person typed as inline code: valid UTF-8,
// at most 60 characters, no backtick that could end the code span, and no
// raw < or > that Slack would read as a mention or a link.
func Code(s string) string {
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
