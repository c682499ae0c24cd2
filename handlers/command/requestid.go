// Request commands (status, list, cancel) and the request ids they take,
// as typed or pasted.

package command

import (
	"regexp"
	"strings"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

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
			return Parsed{}, subErr(subMembers, "%s shows your requests; to see who may use a mailbox, say %s.", Code(bot.CommandList), Code(subMembers+" "+a))
		}
		return fail("%s takes nothing after it: it shows your requests and those waiting for your decision. I don't understand %s.",
			Code(bot.CommandList), Code(shownAddress(args[0])))
	}
	if len(args) == 0 {
		return fail("%s needs a request id, for example %s; %s shows your requests and their ids.",
			Code(action), Code(action+" "+exampleRequestID), Code(bot.CommandList))
	}
	id := parseRequestID(args[0])
	if id == "" {
		if _, err := mailbox.ParseAddress(args[0]); err == nil {
			return fail("%s takes a request id such as %s, not a mailbox: %s shows your requests and their ids.",
				Code(action), Code(exampleRequestID), Code(bot.CommandList))
		}
		return fail("%s is not a request id: they look like %s, and %s shows yours.",
			Code(shownAddress(args[0])), Code(exampleRequestID), Code(bot.CommandList))
	}
	if len(args) > 1 {
		if parseRequestID(args[1]) != "" {
			return fail("One request at a time: I read %s and %s.", Code(id), Code(parseRequestID(args[1])))
		}
		return fail("I don't understand %s after the request id.", Code(shownAddress(args[1])))
	}
	return Parsed{Verb: VerbRequest, Action: action, RequestID: id}, nil
}
