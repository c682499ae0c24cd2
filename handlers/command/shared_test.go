package command

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

func sharedOp(op mailbox.Operation) Parsed { return Parsed{Verb: VerbShared, Op: op} }

func create(name, addr string, members ...string) Parsed {
	return sharedOp(mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: addr, DisplayName: name, Members: members})
}

func grant(kind mailbox.Kind, mb, who string, r mailbox.Right, o mailbox.Options) Parsed {
	return sharedOp(mailbox.Operation{Kind: kind, Mailbox: mb, Trustee: who, Right: r, Options: o})
}

func TestParseShared(t *testing.T) {
	const (
		G = mailbox.KindGrant
		R = mailbox.KindRevoke
	)
	dry := func(p Parsed) Parsed { p.Op.Options.DryRun = true; return p }
	many := make([]string, MaxListed+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@contoso.com", i)
	}
	for _, tc := range []struct {
		text    string
		want    Parsed
		problem string // the UsageError's sentence, when an error is expected
		sub     string // and its subcommand
	}{
		{text: "", want: Parsed{Verb: VerbHelp, Empty: true}},
		{text: " \u00a0\n", want: Parsed{Verb: VerbHelp, Empty: true}},
		{text: "help", want: Parsed{Verb: VerbHelp}},
		{text: "HELP create", want: Parsed{Verb: VerbHelp}},
		{text: "--help", want: Parsed{Verb: VerbHelp}},
		{text: "?", want: Parsed{Verb: VerbHelp}},

		// create: quoted display names, typewriter and smart quotes.
		{text: `create "Sales Team" support@contoso.com`, want: create("Sales Team", "support@contoso.com")},
		{text: `CREATE “Sales Team” Support@Contoso.com`, want: create("Sales Team", "support@contoso.com")},
		{text: `create „Verkoop  Noord” <mailto:verkoop@contoso.nl|verkoop@contoso.nl>`, want: create("Verkoop Noord", "verkoop@contoso.nl")},
		{text: `create "  Sales,  Marketing & Co  "support@contoso.com`, want: create("Sales, Marketing & Co", "support@contoso.com")},
		{text: `create "info@contoso.com desk" desk@contoso.com`, want: create("info@contoso.com desk", "desk@contoso.com")},
		// Unquoted: every word before the first address.
		{text: `create Sales Team support@contoso.com`, want: create("Sales Team", "support@contoso.com")},
		{text: "create\u00a0Sales\tTeam\u00a0support@contoso.com", want: create("Sales Team", "support@contoso.com")},
		{text: `create Sales, Marketing support@contoso.com`, want: create("Sales, Marketing", "support@contoso.com")},
		{text: `create R&amp;D desk support@contoso.com`, want: create("R&D desk", "support@contoso.com")}, // Slack escapes &
		{text: `create Info <http://contoso.nl|contoso.nl> support@contoso.com`, want: create("Info contoso.nl", "support@contoso.com")},
		{text: `create Help 💥 Desk support@contoso.com`, want: create("Help 💥 Desk", "support@contoso.com")},
		{text: `create ` + strings.Repeat("é", MaxDisplayName) + ` support@contoso.com`, want: create(strings.Repeat("é", MaxDisplayName), "support@contoso.com")},
		// Members: addresses and mentions, spaces or commas, after "members" or not.
		{text: `create "Sales Team" support@contoso.com kim@contoso.com <@U0LEE|lee>`,
			want: create("Sales Team", "support@contoso.com", "kim@contoso.com", "<@U0LEE>")},
		{text: `create Sales Team support@contoso.com members Kim@Contoso.com,<@U0LEE>, <mailto:ann@contoso.com|ann@contoso.com> ,bo@contoso.com`,
			want: create("Sales Team", "support@contoso.com", "kim@contoso.com", "<@U0LEE>", "ann@contoso.com", "bo@contoso.com")},
		{text: `create Sales support@contoso.com MEMBERS kim@contoso.com KIM@contoso.com <@U0LEE|lee> <@U0LEE> <@W0ENT>`,
			want: create("Sales", "support@contoso.com", "kim@contoso.com", "<@U0LEE>", "<@W0ENT>")},
		{text: `create Sales support@contoso.com dry-run kim@contoso.com`, want: dry(create("Sales", "support@contoso.com", "kim@contoso.com"))},
		{text: `create “Sales” support@contoso.com members kim@contoso.com --DRY-RUN`, want: dry(create("Sales", "support@contoso.com", "kim@contoso.com"))},
		{text: `create Sales support@contoso.com members ` + strings.Join(many[:MaxListed], ","), want: create("Sales", "support@contoso.com", many[:MaxListed]...)},

		// grant and revoke: every right and its aliases, and the flags.
		{text: "grant info@contoso.com kim@contoso.com full-access", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{})},
		{text: "Grant <mailto:Info@contoso.com|Info@contoso.com> <@U0KIM|kim> FULL", want: grant(G, "info@contoso.com", "<@U0KIM>", mailbox.FullAccess, mailbox.Options{})},
		{text: "grant info@contoso.com kim@contoso.com fullaccess no-automap", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{NoAutoMapping: true})},
		{text: "grant info@contoso.com sales@contoso.com full-access each-member no-automapping dry-run",
			want: grant(G, "info@contoso.com", "sales@contoso.com", mailbox.FullAccess, mailbox.Options{EachMember: true, NoAutoMapping: true, DryRun: true})},
		{text: "grant info@contoso.com kim@contoso.com send-as", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.SendAs, mailbox.Options{})},
		{text: "grant info@contoso.com kim@contoso.com SendAs send-as", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.SendAs, mailbox.Options{})},
		{text: "grant info@contoso.com sales@contoso.com send-as each-member", want: grant(G, "info@contoso.com", "sales@contoso.com", mailbox.SendAs, mailbox.Options{EachMember: true})},
		{text: "grant info@contoso.com kim@contoso.com send-on-behalf", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.SendOnBehalf, mailbox.Options{})},
		{text: "grant info@contoso.com kim@contoso.com sendonbehalf", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.SendOnBehalf, mailbox.Options{})},
		{text: "grant info@contoso.com, kim@contoso.com, on-behalf", want: grant(G, "info@contoso.com", "kim@contoso.com", mailbox.SendOnBehalf, mailbox.Options{})},
		{text: "revoke info@contoso.com kim@contoso.com full-access", want: grant(R, "info@contoso.com", "kim@contoso.com", mailbox.FullAccess, mailbox.Options{})},
		{text: "REVOKE info@contoso.com <@U0KIM> sendas dry-run", want: grant(R, "info@contoso.com", "<@U0KIM>", mailbox.SendAs, mailbox.Options{DryRun: true})},
		{text: "revoke info@contoso.com kim@contoso.com On-Behalf", want: grant(R, "info@contoso.com", "kim@contoso.com", mailbox.SendOnBehalf, mailbox.Options{})},

		// members.
		{text: "members info@contoso.com", want: sharedOp(mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"})},
		{text: " Member  <mailto:Info@Contoso.com|Info@Contoso.com> ", want: sharedOp(mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"})},

		// Request commands, as for /convert-mailbox.
		{text: "status req_abc12345", want: Parsed{Verb: VerbRequest, Action: "status", RequestID: "req_ABC12345"}},
		{text: "LIST", want: Parsed{Verb: VerbRequest, Action: "list"}},
		{text: "--list", want: Parsed{Verb: VerbRequest, Action: "list"}},
		{text: " Cancel REQ_K7Q3ZD2M ", want: Parsed{Verb: VerbRequest, Action: "cancel", RequestID: "req_K7Q3ZD2M"}},
		{text: "status", problem: "`status` needs a request id, for example `status req_K7Q3ZD2M`; `list` shows your requests and their ids.", sub: "status"},
		{text: "cancel info@contoso.com", problem: "`cancel` takes a request id such as `req_K7Q3ZD2M`, not a mailbox: `list` shows your requests and their ids.", sub: "cancel"},
		{text: "cancel req_K7Q3ZD2", problem: "`req_K7Q3ZD2` is not a request id: they look like `req_K7Q3ZD2M`, and `list` shows yours.", sub: "cancel"},
		{text: "status req_K7Q3ZD2M,req_AAAAAAAA", problem: "One request at a time: I read `req_K7Q3ZD2M` and `req_AAAAAAAA`.", sub: "status"},
		{text: "list info@contoso.com", problem: "`list` shows your requests; to see who may use a mailbox, say `members info@contoso.com`.", sub: "members"},
		{text: "list mine", problem: "`list` takes nothing after it: it shows your requests and those waiting for your decision. I don't understand `mine`.", sub: "list"},

		// Errors: the subcommand.
		{text: "info@contoso.com", problem: "Start with what to do: `create`, `grant`, `revoke` or `members`, for example `members info@contoso.com`."},
		{text: "frobnicate x", problem: "`frobnicate` is not something I can do with a shared mailbox: say `create`, `grant`, `revoke` or `members`."},
		{text: "add info@contoso.com kim@contoso.com send-as", problem: "I don't know `add`: did you mean `grant`?", sub: "grant"},
		{text: "remove info@contoso.com", problem: "I don't know `remove`: did you mean `revoke`?", sub: "revoke"},
		{text: "show info@contoso.com", problem: "I don't know `show`: did you mean `members`?", sub: "members"},
		{text: "<!channel>", problem: "`&lt;!channel&gt;` is not something I can do with a shared mailbox: say `create`, `grant`, `revoke` or `members`."},

		// Errors: create.
		{text: "create", problem: "`create` needs a display name and an address, for example `create \"Sales Team\" sales@contoso.com kim@contoso.com`.", sub: "create"},
		{text: "create support@contoso.com kim@contoso.com", problem: "Give the display name first, then the address, for example `create \"Sales Team\" sales@contoso.com kim@contoso.com`.", sub: "create"},
		{text: "create Sales Team", problem: "`create` needs the new mailbox's address after the display name, for example `create \"Sales Team\" sales@contoso.com kim@contoso.com`.", sub: "create"},
		{text: "create Sales support@contoso", problem: "`support@contoso` is not a valid e-mail address.", sub: "create"},
		{text: `create "Sales Team support@contoso.com`, problem: "The display name's quotes are not closed: I read `\"Sales Team support@contoso.com`.", sub: "create"},
		{text: `create "Sales Team"`, problem: "After the display name comes the new mailbox's address, for example `create \"Sales Team\" sales@contoso.com kim@contoso.com`.", sub: "create"},
		{text: `create "Sales" Team support@contoso.com`, problem: "After the display name comes the new mailbox's address: I read `Team`.", sub: "create"},
		{text: `create "Sales" support@contoso`, problem: "`support@contoso` is not a valid e-mail address.", sub: "create"},
		{text: `create Sales "Team" support@contoso.com`, problem: "Put the whole display name in quotes, or none of it: I read `\"Team\"`.", sub: "create"},
		{text: `create "" support@contoso.com`, problem: "The display name is empty: give one before the address, for example `create \"Sales Team\" sales@contoso.com`.", sub: "create"},
		{text: "create “ \u00a0” support@contoso.com", problem: "The display name is empty: give one before the address, for example `create \"Sales Team\" sales@contoso.com`.", sub: "create"},
		{text: `create ` + strings.Repeat("x", MaxDisplayName+1) + ` support@contoso.com`,
			problem: "The display name has 65 characters; Exchange takes at most 64: `" + strings.Repeat("x", 59) + "…`.", sub: "create"},
		{text: `create Sales/EU support@contoso.com`, problem: "The display name cannot hold `/`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create "Sales: EU" support@contoso.com`, problem: "The display name cannot hold `:`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create Sales \ EU support@contoso.com`, problem: "The display name cannot hold `\\`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create "Sales*" support@contoso.com`, problem: "The display name cannot hold `*`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create Sales? support@contoso.com`, problem: "The display name cannot hold `?`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create Sales | EU support@contoso.com`, problem: "The display name cannot hold `|`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create Sales &lt;EU&gt; support@contoso.com`, problem: "The display name cannot hold `&lt;`: Exchange refuses `\\/:*?\"&lt;&gt;|` in a name.", sub: "create"},
		{text: `create “Sales "EU"” support@contoso.com`, problem: "After the display name comes the new mailbox's address: I read `EU\"”`.", sub: "create"},
		{text: "create Sales\u202eEU support@contoso.com", problem: "The display name holds an invisible control character (U+202E): type it again without it.", sub: "create"},
		{text: `create Sales <@U0KIM> support@contoso.com`, problem: "The display name cannot hold a Slack mention or channel (`&lt;@U0KIM&gt;`): put the name in quotes, for example `create \"Sales Team\" sales@contoso.com`.", sub: "create"},
		{text: `create Sales support@contoso.com members`, problem: "`members` needs one or more addresses or @mentions after it.", sub: "create"},
		{text: `create Sales support@contoso.com kim@contoso.com members lee@contoso.com`, problem: "Say `members` once, before the members.", sub: "create"},
		{text: `create Sales support@contoso.com kim@contoso.com Support@Contoso.com`, problem: "`support@contoso.com` is the new mailbox itself: it cannot be one of its members.", sub: "create"},
		{text: `create Sales support@contoso.com kim`, problem: "I don't understand `kim` after the address: members are named by e-mail address or @mention.", sub: "create"},
		{text: `create Sales support@contoso.com kim@`, problem: "`kim@` is not a valid e-mail address.", sub: "create"},
		{text: `create Sales support@contoso.com @kim`, problem: "`@kim` reached me as plain text, not as a mention: pick the person from Slack's list as you type, or give their e-mail address.", sub: "create"},
		{text: `create Sales support@contoso.com <#C0123|sales>`, problem: "`&lt;#C0123|sales&gt;` is a Slack channel: name a member by e-mail address or @mention.", sub: "create"},
		{text: `create Sales support@contoso.com <!here>`, problem: "`&lt;!here&gt;` is not a person: name a member by e-mail address or @mention.", sub: "create"},
		{text: `create Sales support@contoso.com <@u0kim>`, problem: "`&lt;@u0kim&gt;` is not a Slack mention I can read: name a member by e-mail address or @mention.", sub: "create"},
		{text: `create Sales support@contoso.com full-access kim@contoso.com`, problem: "`full-access` does not go with `create`: every member gets Full Access and Send As (rule 12); for anything else, use `grant` once the mailbox exists.", sub: "create"},
		{text: `create Sales support@contoso.com kim@contoso.com no-automap`, problem: "`no-automap` does not go with `create`: every member gets Full Access and Send As (rule 12); for anything else, use `grant` once the mailbox exists.", sub: "create"},
		{text: `create Sales support@contoso.com members ` + strings.Join(many, ","), problem: "At most 50 members in one request; add the others with `grant`.", sub: "create"},

		// Errors: grant, revoke.
		{text: "grant", problem: "`grant` needs the shared mailbox's address.", sub: "grant"},
		{text: "grant Sales kim@contoso.com send-as", problem: "`Sales` is not an e-mail address: `grant` starts with the shared mailbox's e-mail address.", sub: "grant"},
		{text: "grant <@U0KIM> info@contoso.com send-as", problem: "`&lt;@U0KIM&gt;` is a Slack user: `grant` starts with the shared mailbox's e-mail address.", sub: "grant"},
		{text: "revoke <#C1|x> kim@contoso.com send-as", problem: "`&lt;#C1|x&gt;` is a Slack channel: `revoke` starts with the shared mailbox's e-mail address.", sub: "revoke"},
		{text: "grant info@ kim@contoso.com send-as", problem: "`info@` is not a valid e-mail address.", sub: "grant"},
		{text: "grant info@contoso.com", problem: "`grant` needs the person or group after the mailbox, then the right: `grant info@contoso.com kim@contoso.com send-as`.", sub: "grant"},
		{text: "revoke info@contoso.com send-as kim@contoso.com", problem: "`revoke` needs the person or group after the mailbox, then the right: `revoke info@contoso.com kim@contoso.com send-as`.", sub: "revoke"},
		{text: "grant info@contoso.com kim@contoso.com", problem: "`grant` needs the right after the person or group: `full-access`, `send-as` or `send-on-behalf`.", sub: "grant"},
		{text: "grant info@contoso.com kim send-as", problem: "`kim` is neither an e-mail address nor a Slack mention: name the person or group by e-mail address or @mention.", sub: "grant"},
		{text: "grant info@contoso.com @kim send-as", problem: "`@kim` reached me as plain text, not as a mention: pick the person from Slack's list as you type, or give their e-mail address.", sub: "grant"},
		{text: "grant info@contoso.com Info@Contoso.com send-as", problem: "`info@contoso.com` is the mailbox itself: name the person or group who gets the right.", sub: "grant"},
		{text: "grant info@contoso.com kim@contoso.com read", problem: "`read` is not a right I know: say `full-access`, `send-as` or `send-on-behalf`.", sub: "grant"},
		{text: "grant info@contoso.com kim@contoso.com lee@contoso.com send-as", problem: "One person or group at a time: I read `kim@contoso.com` and `lee@contoso.com`.", sub: "grant"},
		{text: "grant info@contoso.com kim@contoso.com send-as lee@contoso.com", problem: "One person or group at a time: I don't understand `lee@contoso.com` after the right.", sub: "grant"},
		{text: "grant info@contoso.com kim@contoso.com send-as full-access", problem: "One right at a time: I read `send-as` and `full-access`; ask for the other in another request.", sub: "grant"},
		{text: "grant info@contoso.com kim@contoso.com send-as no-automap", problem: "`no-automap` goes with `full-access` only: automapping adds a mailbox someone has Full Access to to their Outlook.", sub: "grant"},
		{text: "revoke info@contoso.com kim@contoso.com full-access no-automap", problem: "`no-automap` goes with `grant … full-access` only: taking a right away has no automapping.", sub: "revoke"},
		{text: "revoke info@contoso.com sales@contoso.com full-access each-member", problem: "`each-member` goes with `grant` only: it grants a group's members one by one.", sub: "revoke"},
		{text: "grant info@contoso.com kim@contoso.com send-as now", problem: "I don't understand `now`.", sub: "grant"},

		// Errors: members.
		{text: "members", problem: "`members` needs the shared mailbox's address.", sub: "members"},
		{text: "members Sales Team", problem: "`Sales` is not an e-mail address: `members` starts with the shared mailbox's e-mail address.", sub: "members"},
		{text: "members info@contoso.com dry-run", problem: "`members` changes nothing, so it has no `dry-run`.", sub: "members"},
		{text: "members info@contoso.com sales@contoso.com", problem: "`members` takes one mailbox only: I don't understand `sales@contoso.com`.", sub: "members"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseShared(tc.text)
			checkSharedInvariants(t, tc.text, got, err)
			if tc.problem != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Problem != tc.problem || ue.Sub != tc.sub {
					t.Fatalf("ParseShared(%q) = %+v, %#v; want problem %q about %q", tc.text, got, err, tc.problem, tc.sub)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseShared(%q) =\n%+v, %v; want\n%+v", tc.text, got, err, tc.want)
			}
		})
	}
}

// checkSharedInvariants holds for every input: a well-formed operation or a
// UsageError safe to show in Slack.
func checkSharedInvariants(t *testing.T, text string, p Parsed, err error) {
	t.Helper()
	if err != nil {
		if ue := checkUsageError(t, "ParseShared", text, p, err, 300); ue.Sub != "" && sharedUsages[ue.Sub] == "" {
			t.Fatalf("ParseShared(%q): unknown subcommand %q", text, ue.Sub)
		}
		return
	}
	switch p.Verb {
	case VerbHelp:
		if p.Empty != (strings.TrimSpace(text) == "") || !reflect.DeepEqual(p.Op, mailbox.Operation{}) {
			t.Fatalf("ParseShared(%q) = %+v: bad help", text, p)
		}
		return
	case VerbRequest:
		checkRequestInvariants(t, text, p)
		return
	case VerbShared:
	default:
		t.Fatalf("ParseShared(%q) = %+v: unexpected verb", text, p)
	}
	op := p.Op
	if a, err := mailbox.ParseAddress(op.Mailbox); err != nil || a != op.Mailbox {
		t.Fatalf("ParseShared(%q) = %+v: mailbox is not a valid lower-case address", text, p)
	}
	person := func(s string) bool {
		if a, err := mailbox.ParseAddress(s); err == nil && a == s {
			return true
		}
		return mentionPattern.MatchString(s) && ParseMention(s) == s
	}
	o := op.Options
	switch op.Kind {
	case mailbox.KindCreateShared:
		n := utf8.RuneCountInString(op.DisplayName)
		if n == 0 || n > MaxDisplayName || strings.ContainsAny(op.DisplayName, ForbiddenInName) || op.DisplayName != strings.Join(strings.Fields(op.DisplayName), " ") {
			t.Fatalf("ParseShared(%q): bad display name %q", text, op.DisplayName)
		}
		if len(op.Members) > MaxListed {
			t.Fatalf("ParseShared(%q): %d members", text, len(op.Members))
		}
		for i, m := range op.Members {
			if !person(m) || m == op.Mailbox || slices.Contains(op.Members[:i], m) {
				t.Fatalf("ParseShared(%q): bad member %q in %q", text, m, op.Members)
			}
		}
		if op.Trustee != "" || op.Right != "" || o.NoAutoMapping || o.EachMember {
			t.Fatalf("ParseShared(%q) = %+v: grant fields on create", text, op)
		}
	case mailbox.KindGrant, mailbox.KindRevoke:
		if !person(op.Trustee) || op.Trustee == op.Mailbox {
			t.Fatalf("ParseShared(%q): bad trustee %q", text, op.Trustee)
		}
		if !slices.Contains([]mailbox.Right{mailbox.FullAccess, mailbox.SendAs, mailbox.SendOnBehalf}, op.Right) {
			t.Fatalf("ParseShared(%q): bad right %q", text, op.Right)
		}
		if o.NoAutoMapping && (op.Kind != mailbox.KindGrant || op.Right != mailbox.FullAccess) {
			t.Fatalf("ParseShared(%q) = %+v: no-automap without grant full-access", text, op)
		}
		if o.EachMember && op.Kind != mailbox.KindGrant {
			t.Fatalf("ParseShared(%q) = %+v: each-member on revoke", text, op)
		}
		if op.DisplayName != "" || len(op.Members) > 0 {
			t.Fatalf("ParseShared(%q) = %+v: create fields on %s", text, op, op.Kind)
		}
	case mailbox.KindMembers:
		if !reflect.DeepEqual(op, mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: op.Mailbox}) {
			t.Fatalf("ParseShared(%q) = %+v: members with more", text, op)
		}
	default:
		t.Fatalf("ParseShared(%q) = %+v: unknown kind", text, op)
	}
	clean := o
	clean.NoAutoMapping, clean.EachMember, clean.DryRun = false, false, false
	if !reflect.DeepEqual(clean, mailbox.Options{}) {
		t.Fatalf("ParseShared(%q) = %+v: conversion options on a shared-mailbox operation", text, op)
	}
}

// TestParseSharedProperties throws random and adversarial texts at the
// parser: it never panics, always returns an operation or a message, and
// reaches every kind.
func TestParseSharedProperties(t *testing.T) {
	pieces := []string{
		"help", "create", "CREATE", "grant", "revoke", "members", "member", "status", "list", "cancel", "req_K7Q3ZD2M", `"Sales Team"`, "“Sales", "Team”", `"`, "“", "„",
		"Sales", "Team", "R&amp;D", "&lt;x&gt;", "info@contoso.com", "Kim@Contoso.com", "<mailto:a@b.co|a@b.co>", "<mailto:x>",
		"<@U0KIM>", "<@U0LEE|lee>", "<@u1>", "<@>", "<#C1|x>", "<!here>", "@kim", "kim@", "a@b", "<http://x.nl|x.nl>",
		"full-access", "full", "fullaccess", "send-as", "sendas", "send-on-behalf", "on-behalf", "sendonbehalf", "read",
		"no-automap", "each-member", "dry-run", "--dry-run", ",", ",,", "kim@contoso.com,lee@contoso.com", "\\", "/", ":", "*",
		"?", "|", "`", "\x00", "\xff", "\u202e", "\u200d", "\u00a0", "💥", strings.Repeat("x", 70), strings.Repeat("é", 40),
	}
	seps := []string{" ", "  ", "\t", "\n", "\u00a0", "", ","}
	rng := rand.New(rand.NewPCG(2026, 4))
	var texts []string
	for range 3000 {
		var b strings.Builder
		switch rng.IntN(5) {
		case 0:
			b.WriteString(`create "Sales Team" support@contoso.com`)
		case 1:
			b.WriteString("grant info@contoso.com kim@contoso.com")
		case 2:
			b.WriteString("revoke info@contoso.com <@U0KIM>")
		case 3:
			b.WriteString("members info@contoso.com")
		}
		for range rng.IntN(6) {
			b.WriteString(seps[rng.IntN(len(seps))])
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for range 200 {
		buf := make([]byte, rng.IntN(80))
		for i := range buf {
			buf[i] = byte(rng.IntN(256))
		}
		texts = append(texts, string(buf))
	}
	outcomes := map[string]int{}
	for _, text := range texts {
		p, err := ParseShared(text)
		checkSharedInvariants(t, text, p, err)
		switch {
		case err != nil:
			outcomes["error"]++
		case p.Verb == VerbShared:
			outcomes[string(p.Op.Kind)]++
		default:
			outcomes[string(p.Verb)]++
		}
	}
	for _, v := range []string{"error", string(VerbHelp), string(mailbox.KindCreateShared), string(mailbox.KindGrant), string(mailbox.KindRevoke), string(mailbox.KindMembers)} {
		if outcomes[v] == 0 {
			t.Errorf("no random text produced %q; outcomes: %v", v, outcomes)
		}
	}
	t.Logf("outcomes of %d texts: %v", len(texts), outcomes)
}

func FuzzParseShared(f *testing.F) {
	for _, s := range []string{"", "help", `create "Sales Team" a@b.co <@U1X> c@d.ef`, "create “x” a@b.co", "create Sales Team a@b.co members c@d.ef,<@U0K|k>",
		"grant a@b.co c@d.ef full-access no-automap each-member dry-run", "revoke a@b.co <@U0K> send-on-behalf", "members a@b.co", `create "`, "create \xff a@b.co",
		"status req_abc12345", "list", "cancel `req_K7Q3ZD2M`", "status req_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseShared(text)
		checkSharedInvariants(t, text, p, err)
	})
}

func TestSharedHelp(t *testing.T) {
	h := SharedHelp("/shared-mailbox", PageOptions, nil)
	wantAll(t, "help options", h, "`/shared-mailbox create \"&lt;display name&gt;\" &lt;address&gt; [members &lt;address or @person&gt;…] [dry-run]`",
		"`/shared-mailbox grant &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [no-automap] [each-member] [dry-run]`",
		"`/shared-mailbox revoke &lt;mailbox&gt; &lt;person or group&gt; full-access|send-as|send-on-behalf [dry-run]`",
		"Examples: `/shared-mailbox create \"Sales Team\" sales@contoso.com")
	// Every example in the help parses.
	for _, ex := range strings.Split(strings.SplitN(h, "Examples: ", 2)[1], " · ") {
		ex = strings.TrimSpace(strings.SplitN(ex, "\n", 2)[0])
		ex = strings.TrimPrefix(strings.Trim(ex, "`"), "/shared-mailbox ")
		if p, err := ParseShared(ex); err != nil || p.Verb != VerbShared {
			t.Errorf("example %q: %+v, %v", ex, p, err)
		}
	}
	h = SharedHelp("/shared-mailbox", PageOverview, nil)
	wantAll(t, "help", h, "`/shared-mailbox members &lt;mailbox&gt;`", "`/shared-mailbox help options`")
	h = SharedHelp("/shared-mailbox", PageRules, nil)
	wantAll(t, "help rules", h, "(rule 11)", "(rule 12)", "(rule 13)", "(rule 14)")
	// The policy before issue 15 (see TestHelpSaysTheDefaultPolicy for today's defaults).
	oldPolicy := map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyManager, mailbox.KindGrant: bot.PolicyManager, mailbox.KindRevoke: bot.PolicyNone}
	h = SharedHelp("/shared-mailbox", PageApproval, oldPolicy)
	wantAll(t, "help approval", h, "\n• `create`: your manager in Microsoft Entra approves", "\n• `grant`: your manager in Microsoft Entra approves",
		"\n• `revoke`: no approval: it runs as soon as the checks pass", "\n• `members`: no approval: it changes nothing")
	// The approvals follow the configuration.
	h = SharedHelp("/sm", PageApproval, map[mailbox.Kind]string{mailbox.KindCreateShared: bot.PolicyApprovers, mailbox.KindGrant: bot.PolicyNone, mailbox.KindRevoke: bot.PolicyManager})
	wantAll(t, "help with a configuration", h, "\n• `create`: the approvers configured for the bot approve", "\n• `grant`: no approval: it runs as soon as the checks pass",
		"\n• `revoke`: your manager in Microsoft Entra approves", "\n• `members`: no approval: it changes nothing")
	if h := SharedHelp("/sm", PageOverview, nil); !strings.Contains(h, "`/sm members &lt;mailbox&gt;`") {
		t.Errorf("help does not follow the command's name:\n%s", h)
	}
}

// unescapeCode drops Slack's entities, leaving any raw < or > visible.
func unescapeCode(s string) string { return strings.NewReplacer("&lt;", "", "&gt;", "").Replace(s) }

// TestParseSharedRoundTrip: every text in the grammar, whatever its
// spelling, case, spacing, quotes and the order of its flags, parses to the
// operation it says.
func TestParseSharedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2026))
	pick := func(l ...string) string { return l[rng.IntN(len(l))] }
	space := func() string { return strings.Repeat(pick(" ", "\t", "\u00a0", "\n"), 1+rng.IntN(2)) }
	randCase := func(s string) string {
		r := []rune(s)
		for i := range r {
			if rng.IntN(2) == 0 {
				r[i] = []rune(strings.ToUpper(string(r[i])))[0]
			}
		}
		return string(r)
	}
	names := []string{"Sales", "Sales Team", "Verkoop & Inkoop", "Info, NL", "Équipe Ventes", "Help 💥 Desk"}
	type person struct{ typed, want string }
	people := []person{
		{"kim@contoso.com", "kim@contoso.com"}, {"Lee@Contoso.com", "lee@contoso.com"},
		{"<mailto:ann@contoso.com|ann@contoso.com>", "ann@contoso.com"}, {"<@U0BO>", "<@U0BO>"}, {"<@U0CY|cy>", "<@U0CY>"},
		{"grp-sales@fabrikam.com", "grp-sales@fabrikam.com"},
	}
	aliases := map[mailbox.Right][]string{
		mailbox.FullAccess:   {"full-access", "fullaccess", "full", "--full-access"},
		mailbox.SendAs:       {"send-as", "sendas"},
		mailbox.SendOnBehalf: {"send-on-behalf", "sendonbehalf", "on-behalf"},
	}
	for range 500 {
		var text string
		var want mailbox.Operation
		switch rng.IntN(4) {
		case 0: // create
			name := names[rng.IntN(len(names))]
			want = mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: name}
			typedName := strings.ReplaceAll(strings.ReplaceAll(name, "&", "&amp;"), " ", space())
			switch rng.IntN(3) {
			case 1:
				typedName = `"` + typedName + `"`
			case 2:
				typedName = "“" + typedName + "”"
			}
			parts := []string{}
			for _, p := range people {
				if rng.IntN(2) == 0 {
					parts = append(parts, p.typed)
					want.Members = append(want.Members, p.want)
					if rng.IntN(4) == 0 { // a duplicate
						parts = append(parts, p.typed)
					}
				}
			}
			var list string
			for i, p := range parts {
				if i > 0 {
					list += pick(",", ", ", " ,", space())
				}
				list += p
			}
			if list != "" && rng.IntN(2) == 0 {
				list = randCase("members") + space() + list
			}
			text = randCase("create") + space() + typedName + space() + pick("support@contoso.com", "Support@Contoso.COM", "<mailto:support@contoso.com|support@contoso.com>")
			if list != "" {
				text += space() + list
			}
			if rng.IntN(3) == 0 {
				text += space() + randCase("dry-run")
				want.Options.DryRun = true
			}
		case 1, 2: // grant, revoke
			kind, sub := mailbox.KindGrant, "grant"
			if rng.IntN(2) == 0 {
				kind, sub = mailbox.KindRevoke, "revoke"
			}
			p := people[rng.IntN(len(people))]
			r := []mailbox.Right{mailbox.FullAccess, mailbox.SendAs, mailbox.SendOnBehalf}[rng.IntN(3)]
			want = mailbox.Operation{Kind: kind, Mailbox: "info@contoso.com", Trustee: p.want, Right: r}
			text = randCase(sub) + space() + pick("info@contoso.com", "<mailto:Info@contoso.com|Info@contoso.com>") + space() + p.typed + space() + randCase(pick(aliases[r]...))
			var flags []string
			if rng.IntN(3) == 0 {
				flags = append(flags, "dry-run")
				want.Options.DryRun = true
			}
			if kind == mailbox.KindGrant && rng.IntN(3) == 0 {
				flags = append(flags, pick("each-member", "eachmember"))
				want.Options.EachMember = true
			}
			if kind == mailbox.KindGrant && r == mailbox.FullAccess && rng.IntN(2) == 0 {
				flags = append(flags, pick("no-automap", "no-automapping"))
				want.Options.NoAutoMapping = true
			}
			rng.Shuffle(len(flags), func(i, j int) { flags[i], flags[j] = flags[j], flags[i] })
			for _, f := range flags {
				text += space() + randCase(f)
			}
		case 3:
			want = mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"}
			text = randCase(pick("members", "member")) + space() + pick("info@contoso.com", "INFO@contoso.com")
		}
		if rng.IntN(2) == 0 {
			text = space() + text + space()
		}
		p, err := ParseShared(text)
		checkSharedInvariants(t, text, p, err)
		if err != nil || !reflect.DeepEqual(p, Parsed{Verb: VerbShared, Op: want}) {
			t.Fatalf("ParseShared(%q) =\n%+v, %v; want\n%+v", text, p.Op, err, want)
		}
	}
}
