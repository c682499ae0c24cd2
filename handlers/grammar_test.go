package handlers

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func convertOf(addr string) Parsed {
	return Parsed{Verb: VerbConvert, Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: addr}}
}

func TestParseConvert(t *testing.T) {
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

		{text: "alice@contoso.com to regular", want: Parsed{Verb: VerbNotYet, Feature: "to regular"}},
		{text: "alice@contoso.com TO User", want: Parsed{Verb: VerbNotYet, Feature: "to regular"}},
		{text: "status", want: Parsed{Verb: VerbNotYet, Feature: "status"}},
		{text: "STATUS alice@contoso.com", want: Parsed{Verb: VerbNotYet, Feature: "status"}},
		{text: "List", want: Parsed{Verb: VerbNotYet, Feature: "list"}},
		{text: "cancel req_01JD3K7Q", want: Parsed{Verb: VerbNotYet, Feature: "cancel"}},

		{text: "alice@", problem: "`alice@` is not a valid e-mail address."},
		{text: "alice@contoso", problem: "`alice@contoso` is not a valid e-mail address."},
		{text: "alice@@contoso.com", problem: "`alice@@contoso.com` is not a valid e-mail address."},
		{text: "<mailto:alice@|alice@>", problem: "`alice@` is not a valid e-mail address."},
		{text: "al`ice@contoso", problem: "`al'ice@contoso` is not a valid e-mail address."},
		{text: "alice", problem: "`alice` is neither an e-mail address nor a command I know."},
		{text: "convert alice@contoso.com", problem: "`convert` is neither an e-mail address nor a command I know."},
		{text: "to shared alice@contoso.com", problem: "`to` is neither an e-mail address nor a command I know."},
		{text: "<@U0ALICE|alice>", problem: "`&lt;@U0ALICE|alice&gt;` is a Slack user: give the e-mail address of the mailbox instead."},
		{text: "@alice", problem: "`@alice` is a Slack user: give the e-mail address of the mailbox instead."},
		{text: "<#C0123|general>", problem: "`&lt;#C0123|general&gt;` is a Slack channel: give the e-mail address of the mailbox instead."},
		{text: "<!channel>", problem: "`&lt;!channel&gt;` is neither an e-mail address nor a command I know."},
		{text: "alice@contoso.com bob@contoso.com", problem: "Give one address at a time: I read `alice@contoso.com` and `bob@contoso.com`."},
		{text: "alice@contoso.com to", problem: "`to` must be followed by `shared`."},
		{text: "alice@contoso.com to archive", problem: "`archive` is not a mailbox type I know: say `to shared`."},
		{text: "alice@contoso.com shared", problem: "I don't understand `shared` after the address."},
		{text: "alice@contoso.com   now  please", problem: "I don't understand `now please` after the address."},
		{text: "alice@contoso.com to shared now", problem: "I don't understand `now` after `to shared`."},
		{text: strings.Repeat("x", 100), problem: "`" + strings.Repeat("x", 59) + "…` is neither an e-mail address nor a command I know."},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, err := ParseConvert(tc.text)
			checkParseInvariants(t, tc.text, got, err)
			if tc.problem != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || ue.Problem != tc.problem {
					t.Fatalf("ParseConvert(%q) = %+v, %v; want problem %q", tc.text, got, err, tc.problem)
				}
				return
			}
			if err != nil || got != tc.want {
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
		var ue *UsageError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUsage) {
			t.Fatalf("ParseConvert(%q): error %v (%T) is not a *UsageError", text, err, err)
		}
		if p != (Parsed{}) {
			t.Fatalf("ParseConvert(%q): both a result %+v and an error %v", text, p, err)
		}
		msg := ue.Problem
		switch {
		case strings.TrimSpace(msg) == "":
			t.Fatalf("ParseConvert(%q): empty problem", text)
		case !utf8.ValidString(msg):
			t.Fatalf("ParseConvert(%q): problem is not UTF-8: %q", text, msg)
		case strings.ContainsAny(msg, "<>"):
			t.Fatalf("ParseConvert(%q): problem has a raw < or > that Slack would read as a link or mention: %q", text, msg)
		case strings.Count(msg, "`")%2 != 0:
			t.Fatalf("ParseConvert(%q): unbalanced code spans in %q", text, msg)
		case utf8.RuneCountInString(unescape(msg)) > 250:
			t.Fatalf("ParseConvert(%q): problem too long as shown (%d runes): %q", text, utf8.RuneCountInString(unescape(msg)), msg)
		}
		return
	}
	words := strings.Fields(text)
	switch p.Verb {
	case VerbHelp:
		if p.Empty != (len(words) == 0) || p.Op != (mailbox.Operation{}) || p.Feature != "" {
			t.Fatalf("ParseConvert(%q) = %+v: bad help", text, p)
		}
	case VerbNotYet:
		switch p.Feature {
		case "to regular", "status", "list", "cancel":
		default:
			t.Fatalf("ParseConvert(%q) = %+v: unknown feature", text, p)
		}
	case VerbConvert:
		if p.Op.Kind != mailbox.KindConvertToShared || p.Empty || p.Feature != "" {
			t.Fatalf("ParseConvert(%q) = %+v: bad convert", text, p)
		}
		again, err := mailbox.ParseAddress(p.Op.Mailbox)
		if err != nil || again != p.Op.Mailbox || p.Op.Mailbox != strings.ToLower(p.Op.Mailbox) {
			t.Fatalf("ParseConvert(%q) = %+v: mailbox is not a valid lower-case address (%v)", text, p, err)
		}
	default:
		t.Fatalf("ParseConvert(%q) = %+v: unknown verb", text, p)
	}
	// An address alone is always a conversion of that address.
	if len(words) == 1 {
		if addr, err := mailbox.ParseAddress(words[0]); err == nil && p != convertOf(addr) {
			t.Fatalf("ParseConvert(%q) = %+v, want a conversion of %s", text, p, addr)
		}
	}
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
	}
	seps := []string{" ", "  ", "\t", "\n", "\u00a0", "", "\r\n"}
	rng := rand.New(rand.NewPCG(2026, 11))
	texts := make([]string, 0, 600)
	for range 500 {
		var b strings.Builder
		for i := range rng.IntN(6) {
			if i > 0 || rng.IntN(4) == 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			b.WriteString(pieces[rng.IntN(len(pieces))])
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
	verbs := map[Verb]int{}
	for _, text := range texts {
		p, err := ParseConvert(text)
		checkParseInvariants(t, text, p, err)
		if err != nil {
			verbs["error"]++
		} else {
			verbs[p.Verb]++
		}
	}
	// The generator must reach every outcome, or the test proves little.
	for _, v := range []Verb{VerbHelp, VerbConvert, VerbNotYet, "error"} {
		if verbs[v] == 0 {
			t.Errorf("no random text produced %q; outcomes: %v", v, verbs)
		}
	}
	t.Logf("outcomes of %d texts: %v", len(texts), verbs)

	// Every text in the grammar, whatever its case and spacing, converts.
	addrs := []string{"alice@contoso.com", "Bob.Smith@Example.org", "x+y@a.b.co", "<mailto:ann@contoso.com|ann@contoso.com>"}
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
	for range 200 {
		addr := addrs[rng.IntN(len(addrs))]
		text := space() + addr
		if rng.IntN(2) == 0 {
			text += space() + randCase("to") + space() + randCase("shared")
		}
		if rng.IntN(2) == 0 {
			text += space()
		}
		p, err := ParseConvert(text)
		checkParseInvariants(t, text, p, err)
		want, _ := mailbox.ParseAddress(addr)
		if err != nil || p != convertOf(want) {
			t.Fatalf("ParseConvert(%q) = %+v, %v; want a conversion of %s", text, p, err, want)
		}
	}
}

func FuzzParseConvert(f *testing.F) {
	for _, s := range []string{"", "help", "alice@contoso.com to shared", "<mailto:a@b.co|a@b.co>", "a@b.co to regular",
		"status x", "alice@", "<@U1>", "a@b.co b@c.de", "a@b.co to", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParseConvert(text)
		checkParseInvariants(t, text, p, err)
	})
}
