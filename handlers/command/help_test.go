package command

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

var pages = []Page{PageOverview, PageOptions, PageRules, PageApproval}

// codeSpan is an inline code span of mrkdwn.
var codeSpan = regexp.MustCompile("`[^`]*`")

// wantAll checks that the help page h, called name, holds every one of
// wants.
func wantAll(t *testing.T, name, h string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(h, want) {
			t.Errorf("%s lacks %q:\n%s", name, want, h)
		}
	}
}

// TestHelpPages: every page of both helps fits in one Slack section, is
// safe mrkdwn, and every command it shows in full parses.
func TestHelpPages(t *testing.T) {
	for _, cmd := range []string{"/convert-mailbox", "/shared-mailbox", "/convert-mailbox-test-environment", "/shared-mailbox-test-environment"} {
		shared := strings.Contains(cmd, "shared")
		for _, page := range pages {
			help := ConvertHelp(cmd, page, nil)
			parse := func(text string) (Parsed, error) { return ParseConvert(text, gNow) }
			if shared {
				help = SharedHelp(cmd, page, nil)
				parse = ParseShared
			}
			name := cmd + " help " + string(page)
			n := utf8.RuneCountInString(help)
			t.Logf("%s: %d characters", name, n)
			switch {
			case n > MaxHelp || len(help) > MaxHelp+500:
				t.Errorf("%s: %d characters (%d bytes), more than a Slack section's %d", name, n, len(help), MaxHelp)
			case strings.ContainsAny(unescapeCode(help), "<>"):
				t.Errorf("%s has a raw < or >:\n%s", name, help)
			case strings.Count(help, "`")%2 != 0:
				t.Errorf("%s: unbalanced code spans:\n%s", name, help)
			case strings.HasSuffix(help, "\n") || strings.TrimSpace(help) == "":
				t.Errorf("%s: %q", name, help)
			}
			for _, span := range codeSpan.FindAllString(help, -1) {
				text, ok := strings.CutPrefix(strings.Trim(span, "`"), cmd+" ")
				if !ok || strings.ContainsAny(text, "[|…") || strings.Contains(text, "&lt;") {
					continue // a syntax, not an example
				}
				if p, err := parse(text); err != nil || p.Verb == "" {
					t.Errorf("%s: example %s: %+v, %v", name, span, p, err)
				}
			}
		}
		// The overview points to every other page, and each of them is
		// what "help <page>" asks for.
		overview := ConvertHelp(cmd, PageOverview, nil)
		if shared {
			overview = SharedHelp(cmd, PageOverview, nil)
		}
		for _, page := range pages[1:] {
			if !strings.Contains(overview, "`"+cmd+" help "+string(page)+"`") {
				t.Errorf("%s help does not point to %q:\n%s", cmd, page, overview)
			}
		}
	}
}

func TestHelpPageParsed(t *testing.T) {
	for text, want := range map[string]Page{
		"help": PageOverview, "help status": PageOverview, "help options": PageOptions, "HELP Option": PageOptions,
		"help --rules": PageRules, "? approval": PageApproval, "help approvers now": PageApproval,
	} {
		for _, parse := range []func(string) (Parsed, error){ParseShared, func(s string) (Parsed, error) { return ParseConvert(s, gNow) }} {
			if p, err := parse(text); err != nil || p.Verb != VerbHelp || p.Help != want {
				t.Errorf("parse(%q) = %+v, %v; want help page %q", text, p, err, want)
			}
		}
	}
}

// TestUsagePointsToHelp: a usage error's line points to the page that
// explains it.
func TestUsagePointsToHelp(t *testing.T) {
	for _, tc := range []struct {
		shared     bool
		text, want string
	}{
		{false, "alice", "try `/cm help`."},
		{false, "status alice@contoso.com", "try `/cm help`."},
		{false, "alice@contoso.com bob@contoso.com to regular", "try `/cm help`."},
		{false, "alice@contoso.com frobnicate", "try `/cm help options`."},
		{false, "alice@contoso.com at tomorrow", "try `/cm help options`."},
		{true, "frobnicate", "Usage: `/cm create|grant|revoke|members …` — try `/cm help`."},
		{true, "members info", "Usage: `/cm members &lt;mailbox&gt;` — try `/cm help`."},
		{true, "grant info@contoso.com kim@contoso.com read", "— try `/cm help options`."},
		{true, "create Sales", "— try `/cm help options`."},
		{true, "cancel", "Usage: `/cm cancel &lt;request id&gt;` — try `/cm help`."},
	} {
		var usage string
		if tc.shared {
			_, err := ParseShared(tc.text)
			usage = SharedUsage("/cm", err)
		} else {
			_, err := ParseConvert(tc.text, gNow)
			usage = ConvertUsage("/cm", err)
		}
		if !strings.HasSuffix(usage, tc.want) {
			t.Errorf("usage after %q = %q, want it to end %q", tc.text, usage, tc.want)
		}
	}
}

// TestConvertHelpFollowsConfiguration: the approval page says who approves
// a conversion as the policy in force says.
func TestConvertHelpFollowsConfiguration(t *testing.T) {
	h := ConvertHelp("/cm", PageApproval, map[mailbox.Kind]string{mailbox.KindConvertToRegular: bot.PolicyManager}) // the policy before issue 15
	wantAll(t, "help approval", h, "\n• To shared: the mailbox owner's manager in Microsoft Entra approves", "\n• To regular: the mailbox owner's manager",
		"\n• Several mailboxes in one request: one approval for all of them")
	h = ConvertHelp("/cm", PageApproval, map[mailbox.Kind]string{mailbox.KindConvertToShared: bot.PolicyNone, mailbox.KindConvertToRegular: bot.PolicyApprovers})
	wantAll(t, "help approval with a configuration", h, "\n• To shared: no approval: it runs as soon as the checks pass", "\n• To regular: the approvers configured for the bot approve")
	if strings.Contains(h, "Several mailboxes") {
		t.Errorf("help approval speaks of an approval that is not asked for:\n%s", h)
	}
}

// TestHelpSaysTheDefaultPolicy: with nothing configured the approval pages
// say the defaults of issue 15: converting back by the configured
// approvers, grant and revoke by the mailbox's owners, then the approvers.
func TestHelpSaysTheDefaultPolicy(t *testing.T) {
	h := ConvertHelp("/cm", PageApproval, nil)
	wantAll(t, "convert", h, "\n• To shared: the mailbox owner's manager in Microsoft Entra approves",
		"\n• To regular: the approvers configured for the bot approve\n", "nor a change that gives them access")
	h = SharedHelp("/sm", PageApproval, nil)
	owners := "the people who already hold Full Access on the mailbox, granted directly, approve (matched to Slack users by e-mail); when there is nobody, the approvers configured for the bot approve\n"
	wantAll(t, "shared", h, "\n• `create`: the approvers configured for the bot approve\n", "\n• `grant`: "+owners, "\n• `revoke`: "+owners,
		"\n• `members`: no approval: it changes nothing; only for shared mailboxes, and only for the people who may grant or revoke")
}
