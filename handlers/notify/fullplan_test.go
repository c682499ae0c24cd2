package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What the approver sees is what runs: every surface that shows a request
// for a decision, or records it, shows the whole plan.

// weakenings are the options that weaken a default, as the command types them.
var weakenings = []string{"keep-signin", "keep-sessions", "keep-license", "add-license"}

// members are n addresses, as `members` adds them to Full Access and Send As.
func members(n int) []string {
	var l []string
	for i := range n {
		l = append(l, fmt.Sprintf("member%02d@contoso.com", i))
	}
	return l
}

// allOptions is a conversion to shared with every option on and n members.
func allOptions(n int) mailbox.Options {
	m := members(n)
	return mailbox.Options{KeepSignIn: true, KeepSessions: true, KeepLicenses: true, AddLicense: true,
		FullAccess: m, SendAs: m, NoAutoMapping: true, DryRun: true,
		At: time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC)}
}

// batchOf is a pending batch of n mailboxes converted with opts: every
// third mailbox too big to lose its license, every fifth a deleted user's,
// each with a warning of its own.
func batchOf(n int, opts mailbox.Options) (*bot.Batch, []*bot.Request) {
	b := &bot.Batch{ID: "bat_01JD3K7Q", Requester: requester, Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Options: opts},
		Approvers: []string{manager}, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	var reqs []*bot.Request
	for i := range n {
		p := convertPlan()
		addr := fmt.Sprintf("user%03d@contoso.com", i)
		p.Op.Mailbox, p.Op.Options = addr, opts
		p.Target.UserPrincipalName, p.Target.DisplayName = addr, fmt.Sprintf("User %03d", i)
		p.Target.SizeBytes = int64(i+1) * 1_000_000_000
		p.Target.LicensesKept = ""
		p.Findings = []mailbox.Finding{{Severity: mailbox.Warning, Rule: 3, Text: addr + " has a litigation hold: the license stays after the conversion."}}
		if i%3 == 0 {
			p.Target.SizeBytes = sizeBig
			p.Target.LicensesKept = "the mailbox holds 63.2 GB (rule 2)"
		}
		if i%5 == 0 {
			p.Target.Deleted = true
		}
		r := requestOf(p)
		r.ID, r.Batch = fmt.Sprintf("req_01JD3K7Q_%d", i+1), b.ID
		b.RequestIDs = append(b.RequestIDs, r.ID)
		reqs = append(reqs, r)
	}
	return b, reqs
}

// confirmTexts are the texts of the confirm dialogs in blocks.
func confirmTexts(blocks []slack.Block) []string {
	var out []string
	for _, b := range blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			continue
		}
		for _, el := range a.Elements.ElementSet {
			if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.Confirm != nil {
				out = append(out, btn.Confirm.Text.Text)
			}
		}
	}
	return out
}

// checkLimits checks Slack's limits on a message: 50 blocks, 3000
// characters a section, 300 a confirm text, 100 a plain_text title.
func checkLimits(t *testing.T, blocks []slack.Block) {
	t.Helper()
	checkValid(t, message{"x", blocks})
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > 3000 {
				t.Errorf("section %s: %d characters", b.BlockID, n)
			}
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if tx, ok := el.(*slack.TextBlockObject); ok && utf8.RuneCountInString(tx.Text) > 3000 {
					t.Errorf("context %s: %d characters", b.BlockID, utf8.RuneCountInString(tx.Text))
				}
			}
		case *slack.ActionBlock:
			for _, el := range b.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.Confirm != nil {
					if n := utf8.RuneCountInString(btn.Confirm.Text.Text); n > 300 {
						t.Errorf("confirm text of %s: %d characters", btn.ActionID, n)
					}
					if n := utf8.RuneCountInString(btn.Confirm.Title.Text); n > 100 {
						t.Errorf("confirm title of %s: %d characters", btn.ActionID, n)
					}
				}
			}
		}
	}
}

func TestBatchApprovalShowsEveryGrantAndWeakenedDefault(t *testing.T) {
	b, reqs := batchOf(2, mailbox.Options{KeepSignIn: true, FullAccess: []string{"rita@contoso.com"}, SendAs: []string{"rita@contoso.com"}})
	raw := string(encode(t, message{"x", notify.BatchApprovalBlocks(b, reqs, t0)}))
	for _, want := range []string{
		"Full Access", "Send As", "rita@contoso.com", "⚠️ sign-in stays allowed (keep-signin)", "sessions revoked",
		// What differs per mailbox: type, size, deleted, licenses kept and why, warnings.
		"user000@contoso.com", "UserMailbox", "63.2 GB", "a deleted user", "the mailbox holds 63.2 GB (rule 2)",
		"user001@contoso.com has a litigation hold",
		// Why the reader is the approver.
		"You are asked because",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("batch approval lacks %q:\n%s", want, raw)
		}
	}
	for _, c := range confirmTexts(notify.BatchApprovalBlocks(b, reqs, t0)) {
		for _, want := range []string{"Full Access", "Send As", "rita@contoso.com", "keep-signin"} {
			if !strings.Contains(c, want) {
				t.Errorf("batch confirm dialog lacks %q: %s", want, c)
			}
		}
	}
}

func TestBatchApprovalMarksDryRun(t *testing.T) {
	b, reqs := batchOf(2, mailbox.Options{DryRun: true})
	raw := string(encode(t, message{"x", notify.BatchApprovalBlocks(b, reqs, t0)}))
	if !strings.Contains(raw, notify.DryRunNote) {
		t.Errorf("batch approval of a dry run lacks %q:\n%s", notify.DryRunNote, raw)
	}
	for _, c := range confirmTexts(notify.BatchApprovalBlocks(b, reqs, t0)) {
		if !strings.Contains(c, "Dry run") {
			t.Errorf("confirm dialog of a dry run does not say so: %s", c)
		}
	}
	raw = string(encode(t, message{"x", notify.BatchReportBlocks(b, reqs, t0)}))
	if !strings.Contains(raw, notify.DryRunNote) {
		t.Errorf("batch report of a dry run lacks %q:\n%s", notify.DryRunNote, raw)
	}
	e := setup(t, 0)
	ref, err := e.notify.BatchApproval(t.Context(), b, reqs, manager, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := e.slack.Message(ref.Channel, ref.TS); !strings.HasPrefix(m.RawText, "[DRY RUN] ") {
		t.Errorf("fallback text of a dry run = %q", m.RawText)
	}
}

func TestBatchApprovalSaysWhenItExpired(t *testing.T) {
	b, reqs := batchOf(2, mailbox.Options{})
	raw := string(encode(t, message{"x", notify.BatchApprovalBlocks(b, reqs, b.ExpiresAt.Add(time.Second))}))
	if !strings.Contains(raw, "Expired <!date") || strings.Contains(raw, "Expires <!date") {
		t.Errorf("batch approval after its expiry:\n%s", raw)
	}
}

func TestBatchReportShowsOptionsAndTruncatesFailures(t *testing.T) {
	b, reqs := batchOf(2, mailbox.Options{KeepSessions: true, FullAccess: []string{"rita@contoso.com"}})
	reqs[0].State, reqs[0].Failure = bot.StateFailed, strings.Repeat("very long failure ", 500)
	blocks := notify.BatchReportBlocks(b, reqs, t0)
	checkLimits(t, blocks)
	raw := string(encode(t, message{"x", blocks}))
	for _, want := range []string{"rita@contoso.com", "⚠️ sessions stay signed in (keep-sessions)", "very long failure", "…"} {
		if !strings.Contains(raw, want) {
			t.Errorf("batch report lacks %q:\n%s", want, raw)
		}
	}
	if strings.Count(raw, "very long failure") > 100 {
		t.Errorf("failure not truncated:\n%s", raw)
	}
}

// TestOverflowSaysSoAndPointsToStatus renders the largest batch: 100
// mailboxes, 20 members each, every option on. It stays within Slack's
// limits; every member and every weakening option is there; the mailboxes
// that do not fit are counted and the status command shown.
func TestOverflowSaysSoAndPointsToStatus(t *testing.T) {
	b, reqs := batchOf(100, allOptions(20))
	b.Refused = []string{"zed@contoso.com: synchronised from on-premises"}
	// Findings of their own on every mailbox, more than one message holds.
	for _, r := range reqs {
		for i := range 6 {
			r.Plan.Findings = append(r.Plan.Findings, mailbox.Finding{Severity: mailbox.Warning, Rule: 13,
				Text: fmt.Sprintf("%s is hidden from the address lists (%d): Send As does not work in classic Outlook for Windows until it is visible in the global address list.", r.Op.Mailbox, i),
				Fix:  "Show it in the address lists: Set-Mailbox -Identity " + r.Op.Mailbox + " -HiddenFromAddressListsEnabled $false"})
		}
	}
	for name, blocks := range map[string][]slack.Block{
		"approval": notify.BatchApprovalBlocks(b, reqs, t0),
		"report":   notify.BatchReportBlocks(b, reqs, t0),
	} {
		t.Run(name, func(t *testing.T) {
			checkLimits(t, blocks)
			raw := string(encode(t, message{"x", blocks}))
			for _, want := range append(members(20), weakenings...) {
				if !strings.Contains(raw, want) {
					t.Errorf("lacks %q", want)
				}
			}
			if !strings.Contains(raw, notify.DryRunNote) {
				t.Error("no DRY RUN mark")
			}
			cut := false
			for i, r := range reqs {
				if !strings.Contains(raw, r.Op.Mailbox) {
					more := fmt.Sprintf("…and %d more mailboxes: `/convert-mailbox status %s`", len(reqs)-i, b.ID)
					if !strings.Contains(raw, more) {
						t.Errorf("mailbox %d left out without %q:\n%s", i, more, raw)
					}
					cut = true
					break
				}
			}
			if name == "approval" && !cut {
				t.Error("every mailbox fits: this test does not reach the overflow")
			}
			if !strings.Contains(raw, "zed@contoso.com") {
				t.Error("the mailboxes not requested are left out")
			}
			for _, c := range confirmTexts(blocks) {
				if !strings.Contains(strings.ToLower(c), "see the full plan above") {
					for _, w := range weakenings {
						if !strings.Contains(c, w) {
							t.Errorf("confirm dialog lacks %q and does not point to the plan: %s", w, c)
						}
					}
				}
			}
		})
	}
}

func TestHomeWaitingItemShowsGrants(t *testing.T) {
	grants := withID(optionsReq(), "req_01JD3K7W", 3)
	grants.Op.Options.KeepSignIn = true
	grants.Op.Options.DryRun = true
	grants.Plan.Op = grants.Op
	blocked := withID(requestOf(blockedPlan()), "req_01JD3K7Z", 4)
	h := bot.Home{User: manager, Now: t0.Add(30 * time.Minute), Waiting: []*bot.Request{grants, blocked}}
	blocks := notify.HomeBlocks(h)
	checkHome(t, blocks)
	raw := string(encode(t, message{"x", blocks}))
	for _, want := range []string{
		notify.DryRunNote, "Full Access (automapping off) and Send As: bob@contoso.com, carol@contoso.com",
		"⚠️ sign-in stays allowed (keep-signin)", "⚠️ sessions stay signed in (keep-sessions)", "scheduled:",
		"License kept: the mailbox is 63.2 GB", "⛔ bob@contoso.com is synchronised", "You are asked because",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("Home waiting item lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "🧪 *DRY RUN* ") {
		t.Errorf("Home has its own dry-run mark, not DryRunNote:\n%s", raw)
	}
}

func TestConfirmDialogNamesTheRights(t *testing.T) {
	withSignIn := optionsReq()
	withSignIn.Op.Options.KeepSignIn, withSignIn.Op.Options.AddLicense = true, true
	many := requestOf(convertPlan())
	many.Op.Options = allOptions(20)
	regular := requestOf(regularPlan())
	regular.Op.Options.License = "ENTERPRISEPACK"
	for _, tc := range []struct {
		name string
		r    *bot.Request
		want []string
	}{
		{"grants and weakened defaults", withSignIn, []string{"Full Access", "bob@contoso.com", "carol@contoso.com", "Send As",
			"keep-signin", "keep-sessions", "add-license", "licenses"}},
		{"default conversion", requestOf(convertPlan()), []string{"sign-in blocked", "sessions revoked", "licenses"}},
		{"back to regular", regular, []string{"ENTERPRISEPACK", "@" + requester}},
		{"group grant", requestOf(grantGroupPlan()), []string{"each member"}},
		{"create", requestOf(createPlan()), []string{"Full Access", "Send As", "kim@contoso.com", "@U0LEE"}},
		{"too many to name", many, []string{"see the full plan above", "keep-signin", "keep-sessions", "keep-license", "add-license", "Full Access", "Send As"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks := notify.ApprovalBlocks(tc.r, t0)
			checkLimits(t, blocks)
			cs := confirmTexts(blocks)
			if len(cs) != 1 {
				t.Fatalf("%d confirm dialogs", len(cs))
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.ToLower(cs[0]), strings.ToLower(w)) {
					t.Errorf("confirm dialog lacks %q: %s", w, cs[0])
				}
			}
		})
	}
}

// TestDecidedAuditAndTellShowTheFullPlan: the decided update, the audit
// message and Tell's message show the options and the findings too.
func TestDecidedAuditAndTellShowTheFullPlan(t *testing.T) {
	r := optionsReq()
	r.Op.Options.KeepSignIn = true
	r.Plan.Op = r.Op
	for name, blocks := range map[string][]slack.Block{
		"decided": notify.DecidedBlocks(r),
		"audit":   notify.AuditBlocks(r),
		"tell":    notify.TellBlocks(r, "done", t0),
	} {
		raw := string(encode(t, message{"x", blocks}))
		for _, want := range []string{"⚠️ sign-in stays allowed (keep-signin)", "Full Access (automapping off) and Send As: bob@contoso.com", "License kept: the mailbox is 63.2 GB"} {
			if !strings.Contains(raw, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, raw)
			}
		}
	}
}

// TestBatchGolden: the messages of a batch of three mailboxes given to
// rita with sign-in kept, one of them a deleted user's, one too big to
// lose its license.
func TestBatchGolden(t *testing.T) {
	b, reqs := batchOf(3, mailbox.Options{KeepSignIn: true, FullAccess: []string{"rita@contoso.com"}, SendAs: []string{"rita@contoso.com"}})
	b.Refused = []string{"bob@contoso.com: synchronised from on-premises Active Directory"}
	golden(t, "batch_approval", message{"x", notify.BatchApprovalBlocks(b, reqs, t0)})
	reqs[0].State, reqs[0].Failure = bot.StateFailed, "Verify that Exchange reports SharedMailbox failed: Microsoft answered HTTP 404 NotFound."
	reqs[1].State = bot.StateSucceeded
	reqs[2].State = bot.StateRunning
	b.Decision = &bot.Decision{By: manager, At: t0.Add(12 * time.Minute), Approved: true}
	golden(t, "batch_report", message{"x", notify.BatchReportBlocks(b, reqs, t0)})
	dry, dreqs := batchOf(2, mailbox.Options{DryRun: true, KeepSessions: true})
	golden(t, "batch_approval_dry_run", message{"x", notify.BatchApprovalBlocks(dry, dreqs, t0)})
}

func TestHomeRecentRequestShowsGrantsAndWeakenedDefaults(t *testing.T) {
	r := withID(optionsReq(), "req_01JD3K7W", 3)
	r.Op.Options.KeepSignIn = true
	h := bot.Home{User: requester, Now: t0.Add(30 * time.Minute), Mine: []*bot.Request{r}}
	raw := string(encode(t, message{"x", notify.HomeBlocks(h)}))
	for _, want := range []string{"⚠️ sign-in stays allowed (keep-signin)", "Full Access (automapping off) and Send As: bob@contoso.com, carol@contoso.com"} {
		if !strings.Contains(raw, want) {
			t.Errorf("recent request lacks %q:\n%s", want, raw)
		}
	}
}

// TestHomeWaitingItemCountsManyPeople: a request giving rights to more
// people than the Home item's section holds counts them and says where
// they are named, rather than being cut.
func TestHomeWaitingItemCountsManyPeople(t *testing.T) {
	r := withID(optionsReq(), "req_01JD3K7W", 3)
	r.Op.Options = allOptions(200)
	h := bot.Home{User: manager, Now: t0, Waiting: []*bot.Request{r}}
	blocks := notify.HomeBlocks(h)
	checkLimits(t, blocks)
	raw := string(encode(t, message{"x", blocks}))
	for _, want := range append([]string{"Full Access (automapping off) and Send As for 200 people", "see the approval message"}, weakenings...) {
		if !strings.Contains(raw, want) {
			t.Errorf("Home waiting item lacks %q:\n%s", want, raw)
		}
	}
}

// The Approve button binds the click to the plan the message shows: its
// value carries the request's plan fingerprint (issue 15).
func TestApproveButtonCarriesThePlanFingerprint(t *testing.T) {
	r := pending()
	r.Fingerprint = "0123abcd"
	raw, err := json.Marshal(notify.ApprovalBlocks(r, t0))
	if err != nil {
		t.Fatal(err)
	}
	want := `"value":"` + bot.ButtonValue(r.ID, r.Fingerprint) + `"`
	if !strings.Contains(string(raw), want) || !strings.Contains(want, "0123abcd") {
		t.Fatalf("approval blocks lack %s:\n%s", want, raw)
	}
}

// The status of a batch — where an approval too long for Slack points —
// shows what the batch does to every mailbox: each member's rights and each
// weakened default, never cut.
func TestBatchStatusShowsEveryGrant(t *testing.T) {
	b, _ := batchOf(3, allOptions(20))
	raw, err := json.Marshal(notify.AnswerBlocks(bot.Answer{Text: "Request `bat_01JD3K7Q` for 3 mailboxes", Batch: b}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append(members(20), weakenings...) {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the batch status does not show %s", want)
		}
	}
}
