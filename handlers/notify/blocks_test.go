package notify_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
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
	got := notify.Date(t0)
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
