package notify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// message is what the notifier sends: the fallback text and the blocks.
type message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

func encode(t *testing.T, m message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	// slack-go's own MarshalJSON methods escape <, > and & as \u003c and
	// so on; show them as they are (both are the same JSON string).
	out := buf.Bytes()
	for _, r := range []struct{ from, to string }{{`\u003c`, "<"}, {`\u003e`, ">"}, {`\u0026`, "&"}} {
		out = bytes.ReplaceAll(out, []byte(r.from), []byte(r.to))
	}
	return out
}

// checkValid checks what Slack would refuse: empty or over-long text
// objects, and blocks that slack-go cannot read back.
func checkValid(t *testing.T, m message) {
	t.Helper()
	if m.Text == "" {
		t.Error("no fallback text")
	}
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var back slack.Blocks
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("blocks do not read back: %v", err)
	}
	if len(back.BlockSet) != len(m.Blocks) {
		t.Fatalf("read back %d blocks, want %d", len(back.BlockSet), len(m.Blocks))
	}
	if len(m.Blocks) > 50 {
		t.Errorf("%d blocks; Slack allows 50", len(m.Blocks))
	}
	for _, b := range m.Blocks {
		s, ok := b.(*slack.SectionBlock)
		if !ok {
			continue
		}
		if s.Text != nil {
			if err := s.Text.Validate(); err != nil {
				t.Errorf("section %s: %v", s.BlockID, err)
			}
		}
		if len(s.Fields) > 10 {
			t.Errorf("section %s: %d fields; Slack allows 10", s.BlockID, len(s.Fields))
		}
	}
}

func golden(t *testing.T, name string, m message) {
	t.Helper()
	checkValid(t, m)
	got := encode(t, m)
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers/notify -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./handlers/notify -update rewrites it).\ngot:\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	plan, blocked := convertPlan(), blockedPlan()
	for _, tc := range []struct {
		name string
		msg  func() message
	}{
		{"approval", func() message {
			r := pending()
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"approval_configured", func() message {
			r := pending()
			r.Approvers, r.ApproverSource = []string{"U0HELPLEAD", "U0ITADMIN"}, "configured"
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"decided_approved", func() message {
			r := decided(true)
			return message{notify.DecidedText(r), notify.DecidedBlocks(r)}
		}},
		{"decided_rejected", func() message {
			r := decided(false)
			return message{notify.DecidedText(r), notify.DecidedBlocks(r)}
		}},
		{"decided_expired", func() message {
			r := expired()
			return message{notify.DecidedText(r), notify.DecidedBlocks(r)}
		}},
		{"answer_plan", func() message {
			a := bot.Answer{Text: "Here is what converting *alice@contoso.com* involves. I have asked <@U0MARIA> to approve.", Plan: &plan}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"answer_blocked", func() message {
			a := bot.Answer{Text: "I cannot convert *bob@contoso.com*: see the blocker below.", Plan: &blocked}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"answer_request", func() message {
			a := bot.Answer{Text: "Your request for *alice@contoso.com*:", Request: running()}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"tell_waiting", func() message {
			r := running()
			h := "⏳ *alice@contoso.com* is being converted; Exchange has not caught up yet. I will check again."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, t0)}
		}},
		{"tell_succeeded", func() message {
			r := succeeded()
			h := "✅ *alice@contoso.com* is now a shared mailbox."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, t0)}
		}},
		{"tell_failed", func() message {
			r := failedReq()
			h := "❌ Converting *alice@contoso.com* failed."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, t0)}
		}},
		{"approval_options_scheduled", func() message {
			r := optionsReq()
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"approval_deleted", func() message {
			r := requestOf(deletedPlan())
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"approval_dry_run", func() message {
			r := pending()
			r.Op.Options.DryRun = true
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"answer_plan_regular", func() message {
			p := regularPlan()
			a := bot.Answer{Text: "Here is what converting *alice@contoso.com* back to a user mailbox involves. I have asked <@U0MARIA> to approve.", Plan: &p}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"answer_plan_deleted", func() message {
			p := deletedPlan()
			a := bot.Answer{Text: "*dan@contoso.com* belongs to a deleted user. Here is how its mailbox would be recovered and converted.", Plan: &p}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"tell_dry_run", func() message {
			r := dryRunDone()
			h := "✅ Request `req_01JD3K7Q` is done: this was a dry run: nothing was changed. Each step shows what it would have sent."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, r.UpdatedAt)}
		}},
		{"tell_failed_retry", func() message {
			r := retryable()
			h := "❌ Converting *alice@contoso.com* failed."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, r.UpdatedAt.Add(time.Minute))}
		}},
		{"tell_retrying", func() message {
			r := retrying()
			h := "⏳ Microsoft is busy; I will try again shortly."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, r.UpdatedAt)}
		}},
		{"secret", func() message {
			r := requestOf(regularPlan())
			return message{notify.SecretText(r), notify.SecretBlocks(r, "🔑 Temporary Access Pass for *alice@contoso.com*: `T3mp-Acc3ss-Pass`")}
		}},
		{"audit_dry_run", func() message {
			r := dryRunDone()
			return message{notify.AuditText(r), notify.AuditBlocks(r)}
		}},
		{"audit_pending", func() message {
			r := pending()
			return message{notify.AuditText(r), notify.AuditBlocks(r)}
		}},
		{"audit_succeeded", func() message {
			r := succeeded()
			return message{notify.AuditText(r), notify.AuditBlocks(r)}
		}},
		{"audit_failed", func() message {
			r := failedReq()
			return message{notify.AuditText(r), notify.AuditBlocks(r)}
		}},

		// /shared-mailbox.
		{"answer_plan_create", func() message {
			p := createPlan()
			a := bot.Answer{Text: "Here is what creating *support@contoso.com* involves. I have asked <@U0MARIA> to approve.", Plan: &p}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"approval_create", func() message {
			r := requestOf(createPlan())
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"approval_grant_hidden", func() message {
			r := requestOf(grantHiddenPlan())
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"approval_grant_group", func() message {
			r := requestOf(grantGroupPlan())
			r.Approvers, r.ApproverSource = []string{"U0HELPLEAD"}, "configured"
			return message{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)}
		}},
		{"audit_revoke", func() message {
			r := revokeSucceeded()
			return message{notify.AuditText(r), notify.AuditBlocks(r)}
		}},
		{"tell_revoke", func() message {
			r := revokeSucceeded()
			h := "✅ " + mrkdwn.Capitalize(words.SharedPhrase(r.Op, mailbox.Target{}, true)) + ": done."
			return message{notify.TellText(r, h), notify.TellBlocks(r, h, t0)}
		}},
		{"answer_request_revoke", func() message {
			a := bot.Answer{Text: "Your request:", Request: revokeSucceeded()}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
		{"answer_members_long", func() message {
			a := bot.Answer{Text: membersTable(60)}
			return message{notify.AnswerText(a), notify.AnswerBlocks(a)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.msg()) })
	}
}

// TestEscaping: user-provided text cannot form Slack markup.
func TestEscaping(t *testing.T) {
	blocked := blockedPlan()
	raw := string(encode(t, message{"x", notify.AnswerBlocks(bot.Answer{Text: "hi", Plan: &blocked})}))
	if strings.Contains(raw, "<Sales>") || strings.Contains(raw, "Bob & Sons") {
		t.Errorf("display name not escaped:\n%s", raw)
	}
	if !strings.Contains(raw, "Bob &amp; Sons &lt;Sales&gt;") {
		t.Errorf("escaped display name missing:\n%s", raw)
	}

	r := pending()
	r.Op.Mailbox = "<!channel>@contoso.com"
	r.Plan.Target.DisplayName = "<@U0CEO>"
	for _, m := range []message{
		{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)},
		{notify.DecidedText(r), notify.DecidedBlocks(r)},
		{notify.AuditText(r), notify.AuditBlocks(r)},
		{notify.TellText(r, "done"), notify.TellBlocks(r, "done", t0)},
	} {
		raw := string(encode(t, m))
		if strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<@U0CEO>") {
			t.Errorf("user text forms markup:\n%s", raw)
		}
	}
}

func TestDate(t *testing.T) {
	got := mrkdwn.Date(t0)
	want := "<!date^1763719200^{date_short_pretty} at {time}|2025-11-21 10:00 UTC>"
	if got != want {
		t.Errorf("Date = %q, want %q", got, want)
	}
}

// TestApprovalBeforeAndAfterExpiry: the approval message says whether the
// request still expires or already did.
func TestApprovalBeforeAndAfterExpiry(t *testing.T) {
	r := pending()
	text := func(now bool) string {
		at := t0
		if !now {
			at = r.ExpiresAt.Add(1)
		}
		return string(encode(t, message{"x", notify.ApprovalBlocks(r, at)}))
	}
	if s := text(true); !strings.Contains(s, "Expires <!date^1763805600^") {
		t.Errorf("before expiry: %s", s)
	}
	if s := text(false); !strings.Contains(s, "Expired <!date^1763805600^") {
		t.Errorf("after expiry: %s", s)
	}
}

// TestLongErrorTruncated: Microsoft's text is quoted but kept within
// Slack's limits.
func TestLongErrorTruncated(t *testing.T) {
	r := failedReq()
	r.Steps[1].Error = strings.Repeat("very long error ", 1000)
	m := message{notify.TellText(r, "failed"), notify.TellBlocks(r, "failed", t0)}
	checkValid(t, m)
	raw := string(encode(t, m))
	if !strings.Contains(raw, "> very long error") || !strings.Contains(raw, "…") {
		t.Errorf("error not quoted and truncated:\n%s", raw)
	}
}

// membersTable is an answer to /shared-mailbox members as the bot might
// write it: a sentence, then a preformatted table of n people.
func membersTable(n int) string {
	var b strings.Builder
	b.WriteString("*Who may use info@contoso.com* (Info Desk, SharedMailbox):\n```\n")
	fmt.Fprintf(&b, "%-34s %-12s %-8s %-14s\n", "Who", "Full Access", "Send As", "Send on Behalf")
	for i := range n {
		fmt.Fprintf(&b, "%-34s %-12s %-8s %-14s\n", fmt.Sprintf("person.number%02d@contoso.com", i), "yes (auto)", "yes", "-")
	}
	b.WriteString("```\nInherited entries and NT AUTHORITY\\SELF are left out.")
	return b.String()
}

// TestSharedPhrase: what a /shared-mailbox operation does, as the start of
// a sentence.
func TestSharedPhrase(t *testing.T) {
	for _, tc := range []struct {
		op   mailbox.Operation
		want string
	}{
		{mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Sales Team", Members: []string{"kim@contoso.com", "<@U0LEE>"}},
			"Create the shared mailbox *Sales Team* &lt;support@contoso.com&gt; with 2 members"},
		{mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "R&D <x>"},
			"Create the shared mailbox *R&amp;D &lt;x&gt;* &lt;support@contoso.com&gt; with no members yet"},
		{mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Desk", Members: []string{"kim@contoso.com"}},
			"Create the shared mailbox *Desk* &lt;support@contoso.com&gt; with 1 member"},
		{mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.FullAccess},
			"Give kim@contoso.com Full Access to *info@contoso.com* (automapping on)"},
		{mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "<@U0KIM>", Right: mailbox.FullAccess, Options: mailbox.Options{NoAutoMapping: true}},
			"Give <@U0KIM> Full Access to *info@contoso.com* (automapping off)"},
		{mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "sales@contoso.com", Right: mailbox.SendOnBehalf, Options: mailbox.Options{EachMember: true}},
			"Give sales@contoso.com Send on Behalf on *info@contoso.com* (to each member of the group)"},
		{mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs},
			"Take Send As on *info@contoso.com* away from kim@contoso.com"},
		{mailbox.Operation{Kind: mailbox.KindRevoke, Mailbox: "info@contoso.com", Trustee: "<!channel>", Right: mailbox.SendAs},
			"Take Send As on *info@contoso.com* away from &lt;!channel&gt;"},
		{mailbox.Operation{Kind: mailbox.KindMembers, Mailbox: "info@contoso.com"}, "List who may use *info@contoso.com*"},
	} {
		if got := mrkdwn.Capitalize(words.SharedPhrase(tc.op, mailbox.Target{}, true)); got != tc.want {
			t.Errorf("SharedPhrase(%+v) =\n%q, want\n%q", tc.op, got, tc.want)
		}
	}
	for k, want := range map[mailbox.Kind]string{mailbox.KindCreateShared: "Create a shared mailbox", mailbox.KindGrant: "Grant a right on a mailbox",
		mailbox.KindRevoke: "Revoke a right on a mailbox", mailbox.KindMembers: "List who may use a mailbox"} {
		if got := words.OperationTitle(k); got != want {
			t.Errorf("OperationTitle(%s) = %q, want %q", k, got, want)
		}
	}
}

// TestSharedEscaping: a display name or trustee cannot form Slack markup;
// a mention kept in the operation renders as a mention.
func TestSharedEscaping(t *testing.T) {
	p := createPlan()
	p.Op.DisplayName = "<!channel> & <@U0CEO>"
	p.Op.Members = []string{"<@U0LEE>", "<!here>"}
	r := requestOf(p)
	g := requestOf(grantGroupPlan())
	g.Op.Trustee = "<@U0CEO|ceo>" // not the form the handlers keep: escaped
	for _, m := range []message{
		{notify.ApprovalText(r), notify.ApprovalBlocks(r, t0)},
		{notify.AuditText(r), notify.AuditBlocks(r)},
		{notify.AnswerText(bot.Answer{Plan: &p}), notify.AnswerBlocks(bot.Answer{Plan: &p})},
		{notify.ApprovalText(g), notify.ApprovalBlocks(g, t0)},
	} {
		checkValid(t, m)
		raw := string(encode(t, m))
		for _, bad := range []string{"<!channel>", "<@U0CEO>", "<!here>", "<@U0CEO|ceo>"} {
			if strings.Contains(raw, bad) {
				t.Errorf("user text %s forms markup:\n%s", bad, raw)
			}
		}
	}
	raw := string(encode(t, message{"x", notify.ApprovalBlocks(r, t0)}))
	if !strings.Contains(raw, "members: <@U0LEE>, &lt;!here&gt;") || !strings.Contains(raw, "*&lt;!channel&gt; &amp; &lt;@U0CEO&gt;*") {
		t.Errorf("mention or escaped text missing:\n%s", raw)
	}
}

// TestSplitText: every piece fits a section, renders on its own (its
// preformatted blocks closed), and together they hold the whole text.
func TestSplitText(t *testing.T) {
	strip := func(s string) string { return strings.NewReplacer("\n", "", "```", "").Replace(s) }
	check := func(t *testing.T, text string, max int) []string {
		t.Helper()
		pieces := notify.SplitText(text, max)
		var all []string
		for i, p := range pieces {
			if n := utf8.RuneCountInString(p); n > max {
				t.Fatalf("piece %d has %d characters, max %d", i, n, max)
			}
			if strings.Count(text, "```")%2 == 0 && strings.Count(p, "```")%2 != 0 {
				t.Fatalf("piece %d leaves a preformatted block open:\n%s", i, p)
			}
			all = append(all, p)
		}
		if !strings.Contains(strings.ReplaceAll(text, "&lt;", ""), "&") {
			n := 0
			for _, p := range pieces {
				n += strings.Count(p, "&lt;")
			}
			if n != strings.Count(text, "&lt;") {
				t.Fatalf("an entity was cut: %q", pieces)
			}
		}
		if strip(strings.Join(all, "")) != strip(text) {
			t.Fatalf("the pieces do not hold the text:\n%q\nvs\n%q", strings.Join(all, "|"), text)
		}
		return pieces
	}
	if got := notify.SplitText("short ```x```", 3000); len(got) != 1 || got[0] != "short ```x```" {
		t.Errorf("short text split: %q", got)
	}
	// A table: two pieces, the first closing the block, the second opening it again.
	pieces := check(t, membersTable(60), 3000)
	if len(pieces) != 2 || !strings.HasSuffix(pieces[0], "\n```") || !strings.HasPrefix(pieces[1], "```\nperson.number") ||
		!strings.HasSuffix(pieces[1], "left out.") {
		t.Errorf("table pieces:\n%s\n----\n%s", pieces[0], pieces[1])
	}
	// A block that would open at the end of a piece opens in the next.
	text := strings.Repeat("a", 40) + "\n```\n" + strings.Repeat("b", 40) + "\n```"
	pieces = check(t, text, 50)
	if pieces[0] != strings.Repeat("a", 40) || !strings.HasPrefix(pieces[1], "```\n") {
		t.Errorf("fence left at the end of a piece: %q", pieces)
	}
	// A line longer than a piece is cut.
	check(t, strings.Repeat("é", 7000), 3000)
	check(t, "```\n"+strings.Repeat("x", 7000)+"\n```", 3000)
	// Random texts.
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"```", "a", "bb", "é💥", "\n", "\n", "```x```", strings.Repeat("z", 50), " ", "*", "&lt;"}
	for range 300 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(words[rng.IntN(len(words))])
		}
		check(t, b.String(), 20+rng.IntN(200))
	}
}

func TestAnswerBlocksLongText(t *testing.T) {
	p := grantHiddenPlan()
	a := bot.Answer{Text: membersTable(200), Plan: &p}
	m := message{notify.AnswerText(a), notify.AnswerBlocks(a)}
	checkValid(t, m)
	var texts int
	for _, b := range m.Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && strings.HasPrefix(s.BlockID, "text") {
			texts++
			if strings.Contains(s.Text.Text, "…") {
				t.Errorf("section %s truncated", s.BlockID)
			}
		}
	}
	if texts < 4 {
		t.Errorf("%d text sections for a 200-line table, want it split", texts)
	}
	if s := m.Blocks[texts].(*slack.SectionBlock); s.BlockID != "plan" {
		t.Errorf("block after the text is %s, want the plan", s.BlockID)
	}
	// Beyond what a message holds: cut, and said so.
	a = bot.Answer{Text: strings.Repeat("line of text\n", 20000)}
	m = message{notify.AnswerText(a), notify.AnswerBlocks(a)}
	checkValid(t, m)
	last := m.Blocks[len(m.Blocks)-1].(*slack.SectionBlock)
	if len(m.Blocks) > 50 || !strings.Contains(last.Text.Text, "too long") {
		t.Errorf("%d blocks, last %q", len(m.Blocks), last.Text.Text)
	}
}
