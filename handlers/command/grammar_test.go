package command

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// gNow is the time the grammar tests parse at: 2025-11-21 10:00 UTC.
var gNow = time.Date(2025, 11, 21, 10, 0, 0, 0, time.UTC)

func convertOf(addr string) Parsed {
	return Parsed{Verb: VerbConvert, Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr}}
}

// withOpts is a conversion of alice@contoso.com of kind k with options o.
func withOpts(k mailbox.Kind, o mailbox.Options) Parsed {
	return Parsed{Verb: VerbConvert, Op: mailbox.Operation{Kind: k, Mailbox: "alice@contoso.com", Options: o}}
}

const (
	shared  = mailbox.KindConvertToShared
	regular = mailbox.KindConvertToRegular
)

func TestParseConvert(t *testing.T) {
	list := func(a ...string) []string { return a }
	many := make([]string, MaxListed+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@contoso.com", i)
	}
	for _, tc := range []struct {
		text    string
		want    Parsed
		problem string // the UsageError's sentence, when an error is expected
	}{
		{text: "", want: Parsed{Verb: VerbHelp, Empty: true}},
		{text: " \t\n ", want: Parsed{Verb: VerbHelp, Empty: true}},
		{text: "help", want: Parsed{Verb: VerbHelp}},
		{text: "  HeLp  ", want: Parsed{Verb: VerbHelp}},
		{text: "-h", want: Parsed{Verb: VerbHelp}},
		{text: "--HELP", want: Parsed{Verb: VerbHelp}},
		{text: "?", want: Parsed{Verb: VerbHelp}},
		{text: "help status", want: Parsed{Verb: VerbHelp}},

		{text: "alice@contoso.com", want: convertOf("alice@contoso.com")},
		{text: "Alice@Contoso.COM", want: convertOf("alice@contoso.com")},
		{text: "alice@contoso.com to shared", want: convertOf("alice@contoso.com")},
		{text: "   alice@contoso.com \t  TO   Shared  ", want: convertOf("alice@contoso.com")},
		{text: "alice@contoso.com\u00a0to\u00a0shared", want: convertOf("alice@contoso.com")}, // Slack's non-breaking spaces
		{text: "<mailto:alice@contoso.com|alice@contoso.com>", want: convertOf("alice@contoso.com")},
		{text: "<mailto:Alice@contoso.com|Alice@contoso.com> to shared", want: convertOf("alice@contoso.com")},
		{text: "first.last+it@sub.contoso.co.uk", want: convertOf("first.last+it@sub.contoso.co.uk")},
		{text: "alice@contoso.com to shared to shared", want: convertOf("alice@contoso.com")},

		// To shared: every option.
		{text: "alice@contoso.com dry-run", want: withOpts(shared, mailbox.Options{DryRun: true})},
		{text: "alice@contoso.com keep-signin", want: withOpts(shared, mailbox.Options{KeepSignIn: true})},
		{text: "alice@contoso.com keep-sessions", want: withOpts(shared, mailbox.Options{KeepSessions: true})},
		{text: "alice@contoso.com keep-license", want: withOpts(shared, mailbox.Options{KeepLicenses: true})},
		{text: "alice@contoso.com add-license", want: withOpts(shared, mailbox.Options{AddLicense: true})},
		{text: "alice@contoso.com to shared KEEP-SIGNIN --Keep-Sessions keep-license add-license dry-run",
			want: withOpts(shared, mailbox.Options{KeepSignIn: true, KeepSessions: true, KeepLicenses: true, AddLicense: true, DryRun: true})},
		{text: "alice@contoso.com —dry-run keep-sign-in", want: withOpts(shared, mailbox.Options{DryRun: true, KeepSignIn: true})}, // smart punctuation
		{text: "alice@contoso.com members bob@contoso.com,carol@contoso.com",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com", "carol@contoso.com"), SendAs: list("bob@contoso.com", "carol@contoso.com")})},
		{text: "alice@contoso.com full-access bob@contoso.com",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com")})},
		{text: "alice@contoso.com send-as Bob@Contoso.com",
			want: withOpts(shared, mailbox.Options{SendAs: list("bob@contoso.com")})},
		{text: "alice@contoso.com full-access bob@contoso.com, carol@contoso.com send-as dave@contoso.com no-automap",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com", "carol@contoso.com"), SendAs: list("dave@contoso.com"), NoAutoMapping: true})},
		{text: "alice@contoso.com full-access bob@contoso.com carol@contoso.com ,dave@contoso.com",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com", "carol@contoso.com", "dave@contoso.com")})},
		{text: "alice@contoso.com members <mailto:Bob@contoso.com|Bob@contoso.com>,bob@contoso.com send-as BOB@contoso.com",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com"), SendAs: list("bob@contoso.com")})},
		{text: "alice@contoso.com send-as bob@contoso.com members carol@contoso.com no-automap",
			want: withOpts(shared, mailbox.Options{SendAs: list("bob@contoso.com", "carol@contoso.com"), FullAccess: list("carol@contoso.com"), NoAutoMapping: true})},
		{text: "alice@contoso.com members bob@contoso.com, to shared",
			want: withOpts(shared, mailbox.Options{FullAccess: list("bob@contoso.com"), SendAs: list("bob@contoso.com")})},
		{text: "alice@contoso.com members " + strings.Join(many[:MaxListed], ","),
			want: withOpts(shared, mailbox.Options{FullAccess: many[:MaxListed], SendAs: many[:MaxListed]})},

		// To regular.
		{text: "alice@contoso.com to regular", want: withOpts(regular, mailbox.Options{})},
		{text: "alice@contoso.com TO User", want: withOpts(regular, mailbox.Options{})},
		{text: "alice@contoso.com to regular license SPE_E3 password",
			want: withOpts(regular, mailbox.Options{License: "SPE_E3", Password: true})},
		{text: "alice@contoso.com to regular license 6FD2C87F-B296-42F0-B197-1E91E994B900",
			want: withOpts(regular, mailbox.Options{License: "6fd2c87f-b296-42f0-b197-1e91e994b900"})},
		{text: "alice@contoso.com license Microsoft_365_E3_(no_Teams) password to regular",
			want: withOpts(regular, mailbox.Options{License: "Microsoft_365_E3_(no_Teams)", Password: true})},
		{text: "alice@contoso.com to regular license spe_e3 license SPE_E3",
			want: withOpts(regular, mailbox.Options{License: "spe_e3"})},

		// Both: at and dry-run.
		{text: "alice@contoso.com at 2025-11-22 18:00",
			want: withOpts(shared, mailbox.Options{At: time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC)})},
		{text: "alice@contoso.com AT 2025-11-22 18:00:30 utc dry-run",
			want: withOpts(shared, mailbox.Options{At: time.Date(2025, 11, 22, 18, 0, 30, 0, time.UTC), DryRun: true})},
		{text: "alice@contoso.com to regular at 2025-11-22T18:00:00+01:00 dry-run",
			want: withOpts(regular, mailbox.Options{At: time.Date(2025, 11, 22, 17, 0, 0, 0, time.UTC), DryRun: true})},
		{text: "alice@contoso.com at 2025-11-22t18:00z", want: withOpts(shared, mailbox.Options{At: time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC)})},
		{text: "alice@contoso.com at 2025-11-22T18:00", want: withOpts(shared, mailbox.Options{At: time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC)})},
		{text: "alice@contoso.com at 2025-11-21T10:01:00-00:00", want: withOpts(shared, mailbox.Options{At: gNow.Add(time.Minute)})},
		{text: "alice@contoso.com at 2026-02-19 10:00", want: withOpts(shared, mailbox.Options{At: gNow.Add(MaxScheduleAhead)})}, // exactly 90 days

		// Issue 16: the leaver's access elsewhere and the manager's.
		{text: "alice@contoso.com remove-access manager-access",
			want: withOpts(shared, mailbox.Options{RemoveAccess: true, ManagerAccess: true})},
		{text: "alice@contoso.com KEEP-ACCESS --no-manager-access",
			want: withOpts(shared, mailbox.Options{KeepAccess: true, NoManagerAccess: true})},
		{text: "leo@contoso.com remove-access keep-access", problem: "Say `remove-access` or `keep-access`, not both."},
		{text: "leo@contoso.com no-manager-access manager-access", problem: "Say `manager-access` or `no-manager-access`, not both."},
		{text: "leo@contoso.com to regular keep-access", problem: "`keep-access` goes with `to shared` only; this converts back to a user mailbox."},

		// Request commands: ids in any case, normalised as the bot makes them.
		{text: "status req_K7Q3ZD2M", want: Parsed{Verb: VerbRequest, Action: "status", RequestID: "req_K7Q3ZD2M"}},
		{text: " STATUS Req_k7q3zd2m ", want: Parsed{Verb: VerbRequest, Action: "status", RequestID: "req_K7Q3ZD2M"}},
		{text: "status `req_abc12345`.", want: Parsed{Verb: VerbRequest, Action: "status", RequestID: "req_ABC12345"}},
		{text: "List", want: Parsed{Verb: VerbRequest, Action: "list"}},
		{text: "list  ", want: Parsed{Verb: VerbRequest, Action: "list"}},
		{text: "cancel REQ_01jd3k7q", want: Parsed{Verb: VerbRequest, Action: "cancel", RequestID: "req_01JD3K7Q"}},
		{text: "Cancel \"req_01JD3K7Q\"", want: Parsed{Verb: VerbRequest, Action: "cancel", RequestID: "req_01JD3K7Q"}},
		{text: "status", problem: "`status` needs a request id, for example `status req_K7Q3ZD2M`; `list` shows your requests and their ids."},
		{text: "CANCEL", problem: "`cancel` needs a request id, for example `cancel req_K7Q3ZD2M`; `list` shows your requests and their ids."},
		{text: "status alice@contoso.com", problem: "`status` takes a request id such as `req_K7Q3ZD2M`, not a mailbox: `list` shows your requests and their ids."},
		{text: "status req_K7Q3ZD2", problem: "`req_K7Q3ZD2` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "status req_K7Q3ZD2MX", problem: "`req_K7Q3ZD2MX` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "cancel K7Q3ZD2M", problem: "`K7Q3ZD2M` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "cancel req-K7Q3ZD2M", problem: "`req-K7Q3ZD2M` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "cancel req_K7Q3-D2M", problem: "`req_K7Q3-D2M` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "status <@U0RITA|rita>", problem: "`&lt;@U0RITA|rita&gt;` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours."},
		{text: "cancel req_K7Q3ZD2M req_AAAAAAAA", problem: "One request at a time: I read `req_K7Q3ZD2M` and `req_AAAAAAAA`."},
		{text: "cancel req_K7Q3ZD2M now", problem: "I don't understand `now` after the request id."},
		{text: "list alice@contoso.com", problem: "`list` takes nothing after it: it shows your requests and those waiting for your decision. I don't understand `alice@contoso.com`."},

		{text: "alice@", problem: "`alice@` is not a valid e-mail address."},
		{text: "alice@contoso", problem: "`alice@contoso` is not a valid e-mail address."},
		{text: "alice@@contoso.com", problem: "`alice@@contoso.com` is not a valid e-mail address."},
		{text: "<mailto:alice@|alice@>", problem: "`alice@` is not a valid e-mail address."},
		{text: "al`ice@contoso", problem: "`al'ice@contoso` is not a valid e-mail address."},
		{text: "alice", problem: "`alice` is neither an e-mail address nor a command I know."},
		{text: "convert alice@contoso.com", problem: "`convert` is neither an e-mail address nor a command I know."},
		{text: "to shared alice@contoso.com", problem: "Start with the mailbox's address, then `to` and the options: I read `to` first."},
		{text: "Dry-Run alice@contoso.com", problem: "Start with the mailbox's address, then `to` and the options: I read `Dry-Run` first."},
		{text: "<@U0ALICE|alice>", problem: "`&lt;@U0ALICE|alice&gt;` is a Slack user: give the e-mail address of the mailbox instead."},
		{text: "@alice", problem: "`@alice` is a Slack user: give the e-mail address of the mailbox instead."},
		{text: "<#C0123|general>", problem: "`&lt;#C0123|general&gt;` is a Slack channel: give the e-mail address of the mailbox instead."},
		{text: "<!channel>", problem: "`&lt;!channel&gt;` is neither an e-mail address nor a command I know."},
		{text: "alice@contoso.com bob@contoso.com to regular", problem: "`to regular` takes one mailbox at a time: each gets its own credential."},
		{text: "alice@contoso.com to", problem: "`to` must be followed by `shared` or `regular`."},
		{text: "alice@contoso.com to archive", problem: "`archive` is not a mailbox type I know: say `to shared` or `to regular`."},
		{text: "alice@contoso.com to shared to regular", problem: "Say `to shared` or `to regular`, not both."},
		{text: "alice@contoso.com shared", problem: "I don't understand `shared`: did you mean `to shared`?"},
		{text: "alice@contoso.com Regular", problem: "I don't understand `Regular`: did you mean `to regular`?"},
		{text: "alice@contoso.com   now  please", problem: "I don't understand `now`."},
		{text: "alice@contoso.com to shared now", problem: "I don't understand `now`."},
		{text: "alice@contoso.com dry-run frobnicate", problem: "I don't understand `frobnicate`."},
		{text: "alice@contoso.com dry-run bob@contoso.com",
			problem: "I don't understand `bob@contoso.com` here: to give someone access, put `members`, `full-access` or `send-as` before the address."},

		// Options that do not fit the direction.
		{text: "alice@contoso.com license SPE_E3", problem: "`license` goes with `to regular` only; this converts to a shared mailbox."},
		{text: "alice@contoso.com to shared password", problem: "`password` goes with `to regular` only; this converts to a shared mailbox."},
		{text: "alice@contoso.com to regular members bob@contoso.com", problem: "`members` goes with `to shared` only; this converts back to a user mailbox."},
		{text: "alice@contoso.com keep-signin to regular", problem: "`keep-signin` goes with `to shared` only; this converts back to a user mailbox."},
		{text: "alice@contoso.com to user no-automap", problem: "`no-automap` goes with `to shared` only; this converts back to a user mailbox."},

		// Lists.
		{text: "alice@contoso.com members", problem: "`members` needs one or more addresses, separated by commas: `members bob@contoso.com,carol@contoso.com`."},
		{text: "alice@contoso.com full-access dry-run", problem: "`full-access` needs one or more addresses, separated by commas: `full-access bob@contoso.com,carol@contoso.com`."},
		{text: "alice@contoso.com send-as to shared", problem: "`send-as` needs one or more addresses, separated by commas: `send-as bob@contoso.com,carol@contoso.com`."},
		{text: "alice@contoso.com full-access bob", problem: "`bob` in `full-access` is not a valid e-mail address."},
		{text: "alice@contoso.com send-as bob@contoso.com,<mailto:carol@|carol@>", problem: "`carol@` in `send-as` is not a valid e-mail address."},
		{text: "alice@contoso.com members bob@contoso.com,Alice@Contoso.com", problem: "`alice@contoso.com` is the mailbox itself: it cannot be in `members`."},
		{text: "alice@contoso.com full-access <mailto:alice@contoso.com|alice@contoso.com>", problem: "`alice@contoso.com` is the mailbox itself: it cannot be in `full-access`."},
		{text: "alice@contoso.com members " + strings.Join(many, ","), problem: "At most 50 people in `members`; ask for the others in another request."},
		{text: "alice@contoso.com no-automap", problem: "`no-automap` needs `full-access` or `members`: it turns automapping off for the people given Full Access."},
		{text: "alice@contoso.com send-as bob@contoso.com no-automap", problem: "`no-automap` needs `full-access` or `members`: it turns automapping off for the people given Full Access."},

		// license.
		{text: "alice@contoso.com to regular license", problem: "`license` needs a SKU id or part number, for example `license SPE_E3`."},
		{text: "alice@contoso.com to regular license password", problem: "`license` needs a SKU id or part number, for example `license SPE_E3`."},
		{text: "alice@contoso.com to regular license a;b", problem: "`a;b` is not a SKU id or part number (such as `SPE_E3`)."},
		{text: "alice@contoso.com to regular license SPE_E3 license SPE_E5", problem: "Give one `license`: I read `SPE_E3` and `SPE_E5`."},

		// at.
		{text: "alice@contoso.com at", problem: "`at` needs a date and time, for example `at 2025-11-22 18:00` (UTC)."},
		{text: "alice@contoso.com at dry-run", problem: "`at` needs a date and time, for example `at 2025-11-22 18:00` (UTC)."},
		{text: "alice@contoso.com at tomorrow", problem: "`at tomorrow` is not a date and time I can read: say `at 2025-11-22 18:00` (UTC) or give a zone, `at 2025-11-22T18:00:00+01:00`."},
		{text: "alice@contoso.com at 2025-11-22 6pm", problem: "`at 2025-11-22 6pm` is not a date and time I can read: say `at 2025-11-22 18:00` (UTC) or give a zone, `at 2025-11-22T18:00:00+01:00`."},
		{text: "alice@contoso.com at 2025-13-01 10:00", problem: "`at 2025-13-01` is not a date and time I can read: say `at 2025-11-22 18:00` (UTC) or give a zone, `at 2025-11-22T18:00:00+01:00`."},
		{text: "alice@contoso.com at 2025-11-22", problem: "`at 2025-11-22` needs a time of day too, for example `at 2025-11-22 18:00` (UTC)."},
		{text: "alice@contoso.com at 2025-11-21 09:59", problem: "`at 2025-11-21 09:59` is in the past: it is now 2025-11-21 10:00 UTC."},
		{text: "alice@contoso.com at 2025-11-21 10:00 UTC", problem: "`at 2025-11-21 10:00 UTC` is in the past: it is now 2025-11-21 10:00 UTC."},
		{text: "alice@contoso.com at 2025-11-21T11:30:00+02:00", problem: "`at 2025-11-21T11:30:00+02:00` is in the past: it is now 2025-11-21 10:00 UTC."},
		{text: "alice@contoso.com at 2026-02-19 10:01", problem: "`at 2026-02-19 10:01` is more than 90 days ahead: schedule it by 2026-02-19 10:00 UTC."},
		{text: "alice@contoso.com at 2025-11-22 18:00 at 2025-11-23 18:00", problem: "Give one time: `at` appears twice."},

		{text: strings.Repeat("x", 100), problem: "`" + strings.Repeat("x", 59) + "…` is neither an e-mail address nor a command I know."},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseConvert(tc.text, gNow)
			checkParseInvariants(t, tc.text, got, err)
			if tc.problem != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Problem != tc.problem {
					t.Fatalf("ParseConvert(%q) = %+v, %v; want problem %q", tc.text, got, err, tc.problem)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseConvert(%q) = %+v, %v; want %+v", tc.text, got, err, tc.want)
			}
		})
	}
}

// checkParseInvariants holds for every input: either a well-formed Parsed or
// a UsageError with a sentence that is safe to show in Slack.
func checkParseInvariants(t *testing.T, text string, p Parsed, err error) {
	t.Helper()
	if err != nil {
		checkUsageError(t, "ParseConvert", text, p, err, 250)
		return
	}
	words := strings.Fields(text)
	switch p.Verb {
	case VerbHelp:
		if p.Empty != (len(words) == 0) || !reflect.DeepEqual(p.Op, mailbox.Operation{}) || p.Action+p.RequestID != "" {
			t.Fatalf("ParseConvert(%q) = %+v: bad help", text, p)
		}
	case VerbRequest:
		checkRequestInvariants(t, text, p)
	case VerbConvert:
		if p.Empty || p.Action+p.RequestID != "" {
			t.Fatalf("ParseConvert(%q) = %+v: bad convert", text, p)
		}
		again, err := mailbox.ParseAddress(p.Op.Mailbox)
		if err != nil || again != p.Op.Mailbox || p.Op.Mailbox != strings.ToLower(p.Op.Mailbox) {
			t.Fatalf("ParseConvert(%q) = %+v: mailbox is not a valid lower-case address (%v)", text, p, err)
		}
		if problem := badOptions(p.Op); problem != "" {
			t.Fatalf("ParseConvert(%q) = %+v: %s", text, p, problem)
		}
	default:
		t.Fatalf("ParseConvert(%q) = %+v: unknown verb", text, p)
	}
	// An address alone is always a conversion of that address.
	if len(words) == 1 {
		if addr, err := mailbox.ParseAddress(words[0]); err == nil && !reflect.DeepEqual(p, convertOf(addr)) {
			t.Fatalf("ParseConvert(%q) = %+v, want a conversion of %s", text, p, addr)
		}
	}
}

// checkUsageError holds for every error of the parser named parser: a
// *UsageError and no result, with a sentence that is safe to show in Slack
// and at most max characters long as shown. It returns the error.
func checkUsageError(t *testing.T, parser, text string, p Parsed, err error, max int) *UsageError {
	t.Helper()
	var ue *UsageError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUsage) {
		t.Fatalf("%s(%q): error %v (%T) is not a *UsageError", parser, text, err, err)
	}
	if !reflect.DeepEqual(p, Parsed{}) {
		t.Fatalf("%s(%q): both a result %+v and an error %v", parser, text, p, err)
	}
	msg := ue.Problem
	switch {
	case strings.TrimSpace(msg) == "":
		t.Fatalf("%s(%q): empty problem", parser, text)
	case !utf8.ValidString(msg):
		t.Fatalf("%s(%q): problem is not UTF-8: %q", parser, text, msg)
	case strings.ContainsAny(msg, "<>"):
		t.Fatalf("%s(%q): problem has a raw < or > that Slack would read as a link or mention: %q", parser, text, msg)
	case strings.Count(msg, "`")%2 != 0:
		t.Fatalf("%s(%q): unbalanced code spans in %q", parser, text, msg)
	case utf8.RuneCountInString(unescape(msg)) > max:
		t.Fatalf("%s(%q): problem too long as shown (%d runes): %q", parser, text, utf8.RuneCountInString(unescape(msg)), msg)
	}
	return ue
}

// checkRequestInvariants checks a VerbRequest: a known action, an id in
// the bot's form exactly when the action needs one, nothing else.
func checkRequestInvariants(t *testing.T, text string, p Parsed) {
	t.Helper()
	switch p.Action {
	case "list":
		if p.RequestID != "" {
			t.Fatalf("parse(%q) = %+v: list with a request id", text, p)
		}
	case "status", "cancel":
		if !regexp.MustCompile(`^req_[A-Z0-9]{8}$`).MatchString(p.RequestID) {
			t.Fatalf("parse(%q) = %+v: bad request id %q", text, p, p.RequestID)
		}
	default:
		t.Fatalf("parse(%q) = %+v: unknown action", text, p)
	}
	if !reflect.DeepEqual(p.Op, mailbox.Operation{}) || p.Empty {
		t.Fatalf("parse(%q) = %+v: a request command with more", text, p)
	}
}

// badOptions says what is wrong with a parsed operation's options, or "".
func badOptions(op mailbox.Operation) string {
	o := op.Options
	for name, l := range map[string][]string{"full access": o.FullAccess, "send as": o.SendAs} {
		if len(l) > MaxListed {
			return fmt.Sprintf("%d addresses in %s", len(l), name)
		}
		seen := map[string]bool{}
		for _, a := range l {
			if again, err := mailbox.ParseAddress(a); err != nil || again != a {
				return fmt.Sprintf("%s: %q is not a valid lower-case address", name, a)
			}
			if a == op.Mailbox {
				return name + " holds the mailbox itself"
			}
			if seen[a] {
				return fmt.Sprintf("%s: %s twice", name, a)
			}
			seen[a] = true
		}
	}
	if o.NoAutoMapping && len(o.FullAccess) == 0 {
		return "no-automap without Full Access"
	}
	if !o.At.IsZero() && (o.At.Location() != time.UTC || !o.At.After(gNow) || o.At.After(gNow.Add(MaxScheduleAhead))) {
		return fmt.Sprintf("time %s is not UTC within 90 days", o.At)
	}
	switch op.Kind {
	case mailbox.KindConvertToShared:
		if o.License != "" || o.Password {
			return "to-regular options on a conversion to shared"
		}
	case mailbox.KindConvertToRegular:
		if o.KeepSignIn || o.KeepSessions || o.KeepLicenses || o.AddLicense || o.NoAutoMapping || len(o.FullAccess)+len(o.SendAs) > 0 {
			return "to-shared options on a conversion to regular"
		}
		if o.License != "" && !skuPattern.MatchString(o.License) {
			return fmt.Sprintf("license %q", o.License)
		}
	default:
		return "unknown kind"
	}
	return ""
}

// unescape turns Slack's &lt; and &gt; back into what Slack shows.
func unescape(s string) string { return strings.NewReplacer("&lt;", "<", "&gt;", ">").Replace(s) }

// TestParseConvertProperties throws random and adversarial texts at the
// parser: it never panics and always returns a command or a message.
func TestParseConvertProperties(t *testing.T) {
	pieces := []string{
		"help", "HELP", "-h", "--help", "?", "to", "TO", "shared", "Shared", "regular", "user", "status", "list", "cancel",
		"alice@contoso.com", "Bob@Example.ORG", "<mailto:a@b.co|a@b.co>", "<mailto:x>", "<mailto:|>", "<@U123>",
		"<@U123|bob>", "<#C1|x>", "<!channel>", "<!here>", "@alice", "alice@", "@contoso.com", "a@b", "a@@b.c", "a@.b",
		"a@b..c", "`", "```", "<", ">", "&lt;", "&amp;", "*bold*", "_x_", "|", "mailto:", "\x00", "\xff\xfe", "\xc3",
		"é@ü.de", "ñ", "💥", "\u202e", "\u00a0", "\u2028", "\u200b", "%s", "%!v", "\\", "\"q\"@x.y", "(a)@b.c",
		strings.Repeat("x", 300) + "@contoso.com", "a@" + strings.Repeat("b.", 200) + "com", strings.Repeat("`", 61),
		strings.Repeat("é", 100), strings.Repeat("<", 70),
		"keep-signin", "KEEP-SESSIONS", "keep-license", "add-license", "full-access", "send-as", "members", "no-automap",
		"license", "SPE_E3", "password", "at", "2025-11-22", "18:00", "2025-11-22T18:00:00+01:00", "1999-01-01", "UTC",
		"dry-run", "--dry-run", ",", "to regular", "TO shared", "to user", "bob@contoso.com,", ",carol@contoso.com", "a@b.co,,b@c.de", "alice@contoso.com,x",
	}
	// Whole phrases of the grammar, so that random texts also reach valid
	// commands with options.
	phrases := []string{"to regular", "to shared", "dry-run", "keep-signin", "keep-sessions", "password", "license SPE_E3",
		"at 2025-11-22 18:00", "at 2025-11-22T18:00:00+01:00", "members bob@contoso.com", "full-access bob@contoso.com,carol@contoso.com",
		"no-automap", "send-as alice@contoso.com"}
	seps := []string{" ", "  ", "\t", "\n", "\u00a0", "", "\r\n"}
	rng := rand.New(rand.NewPCG(2026, 11))
	texts := make([]string, 0, 1100)
	for range 1000 {
		var b strings.Builder
		n := rng.IntN(8)
		for i := range n {
			if i > 0 || rng.IntN(4) == 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			switch {
			case i == 0 && rng.IntN(2) == 0:
				b.WriteString("alice@contoso.com") // reach the options more often
			case i > 0 && rng.IntN(2) == 0:
				b.WriteString(phrases[rng.IntN(len(phrases))])
			default:
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		texts = append(texts, b.String())
	}
	for range 100 { // raw bytes
		buf := make([]byte, rng.IntN(80))
		for i := range buf {
			buf[i] = byte(rng.IntN(256))
		}
		texts = append(texts, string(buf))
	}
	for range 100 { // request commands, with ids good and bad
		text := []string{"status", "STATUS", "list", "List", "cancel", "Cancel"}[rng.IntN(6)]
		for range rng.IntN(3) {
			text += seps[rng.IntN(len(seps))] +
				[]string{"req_K7Q3ZD2M", "REQ_abc12345", "`req_k7q3zd2m`", "req_K7Q3", "alice@contoso.com", "now", "<@U1>"}[rng.IntN(7)]
		}
		texts = append(texts, text)
	}
	outcomes := map[string]int{}
	for _, text := range texts {
		p, err := ParseConvert(text, gNow)
		checkParseInvariants(t, text, p, err)
		switch {
		case err != nil:
			outcomes["error"]++
		case p.Verb == VerbConvert && !reflect.DeepEqual(p.Op.Options, mailbox.Options{}):
			outcomes[string(p.Op.Kind)+" with options"]++
		case p.Verb == VerbConvert:
			outcomes[string(p.Op.Kind)]++
		default:
			outcomes[string(p.Verb)]++
		}
	}
	// The generator must reach every outcome, or the test proves little.
	for _, v := range []string{string(VerbHelp), string(VerbRequest), "error", string(shared), string(regular),
		string(shared) + " with options", string(regular) + " with options"} {
		if outcomes[v] == 0 {
			t.Errorf("no random text produced %q; outcomes: %v", v, outcomes)
		}
	}
	t.Logf("outcomes of %d texts: %v", len(texts), outcomes)

	// Every text in the grammar, whatever its case, spacing and the order
	// of its options, parses to the operation it says.
	addrs := []string{"alice@contoso.com", "Bob.Smith@Example.org", "x+y@a.b.co", "<mailto:ann@contoso.com|ann@contoso.com>"}
	people := []string{"p1@contoso.com", "P2@Contoso.com", "<mailto:p3@contoso.com|p3@contoso.com>", "p4@fabrikam.com"}
	randCase := func(s string) string {
		r := []rune(s)
		for i := range r {
			if rng.IntN(2) == 0 {
				r[i] = []rune(strings.ToUpper(string(r[i])))[0]
			}
		}
		return string(r)
	}
	space := func() string { return strings.Repeat(seps[rng.IntN(len(seps)-2)], 1+rng.IntN(3)) } // no empty separator
	pick := func() ([]string, []string) {                                                        // typed, and what they mean
		var typed, want []string
		for _, p := range people {
			if rng.IntN(2) == 0 {
				typed = append(typed, p)
				a, _ := mailbox.ParseAddress(p)
				want = append(want, a)
			}
		}
		if len(typed) == 0 {
			typed, want = []string{people[0]}, []string{"p1@contoso.com"}
		}
		return typed, want
	}
	joinList := func(typed []string) string {
		seps := []string{",", ", ", " ,", " "}
		var b strings.Builder
		for i, a := range typed {
			if i > 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			b.WriteString(a)
		}
		return b.String()
	}
	for range 400 {
		addr := addrs[rng.IntN(len(addrs))]
		mb, _ := mailbox.ParseAddress(addr)
		want := mailbox.Operation{Kind: shared, Mailbox: mb}
		var opts []string
		dir := ""
		switch rng.IntN(3) {
		case 1:
			dir = randCase("to") + space() + randCase("shared")
		case 2:
			dir = randCase("to") + space() + randCase([]string{"regular", "user"}[rng.IntN(2)])
			want.Kind = regular
		}
		if dir != "" {
			opts = append(opts, dir)
		}
		o := &want.Options
		flag := func(word string, set *bool) {
			if rng.IntN(3) == 0 {
				opts = append(opts, randCase(word))
				*set = true
			}
		}
		flag("dry-run", &o.DryRun)
		if rng.IntN(3) == 0 {
			at := gNow.Add(time.Duration(1+rng.IntN(89*24)) * time.Hour).Truncate(time.Minute)
			if rng.IntN(2) == 0 {
				opts = append(opts, randCase("at")+space()+at.Format("2006-01-02")+space()+at.Format("15:04"))
			} else {
				opts = append(opts, randCase("at")+space()+at.In(time.FixedZone("", 3600)).Format(time.RFC3339))
			}
			o.At = at
		}
		if want.Kind == shared {
			flag("keep-signin", &o.KeepSignIn)
			flag("keep-sessions", &o.KeepSessions)
			flag("keep-license", &o.KeepLicenses)
			flag("add-license", &o.AddLicense)
			switch rng.IntN(4) {
			case 1:
				typed, got := pick()
				opts = append(opts, randCase("members")+space()+joinList(typed))
				o.FullAccess, o.SendAs = got, got
				flag("no-automap", &o.NoAutoMapping)
			case 2:
				typed, got := pick()
				opts = append(opts, randCase("full-access")+space()+joinList(typed))
				o.FullAccess = got
				flag("no-automap", &o.NoAutoMapping)
			case 3:
				typed, got := pick()
				opts = append(opts, randCase("send-as")+space()+joinList(typed))
				o.SendAs = got
			}
		} else {
			flag("password", &o.Password)
			if rng.IntN(2) == 0 {
				opts = append(opts, randCase("license")+space()+"SPE_E3")
				o.License = "SPE_E3"
			}
		}
		rng.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
		text := space() + addr
		for _, w := range opts {
			text += space() + w
		}
		if rng.IntN(2) == 0 {
			text += space()
		}
		p, err := ParseConvert(text, gNow)
		checkParseInvariants(t, text, p, err)
		if err != nil || !reflect.DeepEqual(p, Parsed{Verb: VerbConvert, Op: want}) {
			t.Fatalf("ParseConvert(%q) = %+v, %v; want %+v", text, p, err, want)
		}
	}
}

func FuzzParseConvert(f *testing.F) {
	for _, s := range []string{"", "help", "alice@contoso.com to shared", "<mailto:a@b.co|a@b.co>", "a@b.co to regular",
		"status x", "status req_abc12345", "list", "cancel REQ_K7Q3ZD2M.", "alice@", "<@U1>", "a@b.co b@c.de", "a@b.co to", "\xff",
		"a@b.co members c@d.ef,g@h.ij no-automap dry-run", "a@b.co to regular license SPE_E3 password at 2025-11-22 18:00",
		"a@b.co at 2025-11-22T18:00:00+01:00", "a@b.co full-access a@b.co"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseConvert(text, gNow)
		checkParseInvariants(t, text, p, err)
	})
}
