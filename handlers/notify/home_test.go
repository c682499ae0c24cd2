package notify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
)

// The App Home tab.

const adminUser = "U0ADMIN"

// withID returns r under another id, created minutes after t0.
func withID(r *bot.Request, id string, minutes int) *bot.Request {
	r.ID = id
	r.CreatedAt = t0.Add(time.Duration(minutes) * time.Minute)
	return r
}

// homeView is what views.publish carries.
type homeView struct {
	Type   string        `json:"type"`
	Blocks []slack.Block `json:"blocks"`
}

// checkHome checks what Slack would refuse in a Home view: more than 100
// blocks, a block id used twice, text objects over their limits, blocks
// slack-go cannot read back.
func checkHome(t *testing.T, blocks []slack.Block) {
	t.Helper()
	if len(blocks) > notify.MaxHomeBlocks {
		t.Errorf("%d blocks; Slack allows %d in a view", len(blocks), notify.MaxHomeBlocks)
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var back slack.Blocks
	if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockSet) != len(blocks) {
		t.Fatalf("blocks do not read back: %d of %d, %v", len(back.BlockSet), len(blocks), err)
	}
	var ids []struct {
		BlockID string `json:"block_id"`
	}
	if err := json.Unmarshal(raw, &ids); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, b := range ids {
		if b.BlockID != "" && seen[b.BlockID] {
			t.Errorf("block id %q used twice", b.BlockID)
		}
		seen[b.BlockID] = true
	}
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			if err := s.Text.Validate(); err != nil {
				t.Errorf("section %s: %v", s.BlockID, err)
			}
		}
	}
}

func homeGolden(t *testing.T, name string, h bot.Home) {
	t.Helper()
	blocks := notify.HomeBlocks(h)
	checkHome(t, blocks)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(homeView{Type: "home", Blocks: blocks}); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	for _, r := range []struct{ from, to string }{{`\u003c`, "<"}, {`\u003e`, ">"}, {`\u0026`, "&"}} {
		got = bytes.ReplaceAll(got, []byte(r.from), []byte(r.to))
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
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

// The three Homes of the golden files.
func homeOfRequester() bot.Home {
	failed := withID(failedReq(), "req_01JD3K7R", -60)
	failed.Op.Mailbox, failed.Plan.Target.UserPrincipalName, failed.Plan.Target.DisplayName = "frank@contoso.com", "frank@contoso.com", "Frank Fox"
	return bot.Home{User: requester, Now: t0.Add(30 * time.Minute), Mine: []*bot.Request{
		withID(pending(), "req_01JD3K7S", 5),
		withID(succeeded(), "req_01JD3K7T", 0),
		failed,
		withID(expired(), "req_01JD3K7U", -120),
	}}
}

func homeOfApprover() bot.Home {
	create := withID(requestOf(createPlan()), "req_01JD3K7V", 10)
	create.Op.Options.DryRun = true
	grant := withID(requestOf(grantHiddenPlan()), "req_01JD3K7W", 3)
	return bot.Home{User: manager, Now: t0.Add(30 * time.Minute), Waiting: []*bot.Request{create, grant}}
}

func homeOfAdmin() bot.Home {
	h := homeOfRequester()
	everyone := append([]*bot.Request{withID(decided(false), "req_01JD3K7X", 20)}, h.Mine...)
	everyone = append(everyone, withID(revokeSucceeded(), "req_01JD3K7Y", -200))
	return bot.Home{User: adminUser, Admin: true, Now: t0.Add(30 * time.Minute), Everyone: everyone}
}

func TestHomeGolden(t *testing.T) {
	homeGolden(t, "home_requester", homeOfRequester())
	homeGolden(t, "home_approver", homeOfApprover())
	homeGolden(t, "home_admin", homeOfAdmin())
}

// actionBlock returns the JSON of the action block with id in blocks.
func actionBlock(t *testing.T, blocks []slack.Block, id string) string {
	t.Helper()
	for _, b := range blocks {
		if a, ok := b.(*slack.ActionBlock); ok && a.BlockID == id {
			raw, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			return string(raw)
		}
	}
	return ""
}

func TestHomeButtonsAreTheApprovalButtons(t *testing.T) {
	h := homeOfApprover()
	home := notify.HomeBlocks(h)
	for _, r := range h.Waiting {
		id := notify.DecisionBlockID + r.ID
		got, want := actionBlock(t, home, id), actionBlock(t, notify.ApprovalBlocks(r, h.Now), id)
		if got == "" || got != want {
			t.Errorf("buttons of %s on the Home tab:\n %s\nin the approval message:\n %s", r.ID, got, want)
		}
		for _, s := range []string{`"action_id":"approve"`, `"action_id":"reject"`, `"value":"` + r.ID + `"`, `"confirm":`} {
			if !strings.Contains(got, s) {
				t.Errorf("buttons of %s lack %s: %s", r.ID, s, got)
			}
		}
	}
	// Nobody else's Home has buttons.
	for _, h := range []bot.Home{homeOfRequester(), homeOfAdmin()} {
		for _, b := range notify.HomeBlocks(h) {
			if _, ok := b.(*slack.ActionBlock); ok {
				t.Errorf("home of %s has buttons", h.User)
			}
		}
	}
}

// manyRequests returns n pending requests with distinct ids.
func manyRequests(n int) []*bot.Request {
	var rs []*bot.Request
	for i := range n {
		r := withID(pending(), fmt.Sprintf("req_%08d", i), -i)
		r.Op.Mailbox = fmt.Sprintf("user%d@contoso.com", i)
		rs = append(rs, r)
	}
	return rs
}

func TestHomeStaysUnderSlacksLimit(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		waiting, mine, everyone int
		admin                   bool
		shown                   [3]int // waiting, mine, everyone
	}{
		{"fits", 20, 10, 20, true, [3]int{20, 10, 20}},
		{"waiting overflows", 60, 10, 20, true, [3]int{30, 10, 20}},
		{"all overflow", 80, 80, 80, true, [3]int{29, 11, 20}},
		{"not admin", 80, 5, 80, false, [3]int{44, 5, 0}},
		{"many recent", 2, 200, 0, false, [3]int{2, 89, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bot.Home{User: manager, Admin: tc.admin, Now: t0,
				Waiting: manyRequests(tc.waiting), Mine: manyRequests(tc.mine), Everyone: manyRequests(tc.everyone)}
			blocks := notify.HomeBlocks(h)
			checkHome(t, blocks)
			count := map[string]int{}
			var text strings.Builder
			for _, b := range blocks {
				raw, _ := json.Marshal(b)
				text.Write(raw)
				if s, ok := b.(*slack.SectionBlock); ok {
					prefix, _, _ := strings.Cut(s.BlockID, ":")
					count[prefix]++
				}
			}
			for i, part := range []struct {
				prefix, title string
				total         int
				present       bool
			}{
				{"waiting", "Waiting for your decision", tc.waiting, true},
				{"mine", "Your recent requests", tc.mine, true},
				{"everyone", "Everyone's recent requests", tc.everyone, tc.admin},
			} {
				if got := strings.Contains(text.String(), part.title); got != part.present {
					t.Errorf("part %q present = %v, want %v", part.title, got, part.present)
				}
				if count[part.prefix] != tc.shown[i] {
					t.Errorf("%s: %d requests shown, want %d", part.prefix, count[part.prefix], tc.shown[i])
				}
				note := fmt.Sprintf("…and %d more, not shown here.", part.total-tc.shown[i])
				if cut := part.present && tc.shown[i] < part.total; cut != strings.Contains(text.String(), note) {
					t.Errorf("%s: %d of %d shown; note %q present = %v", part.prefix, tc.shown[i], part.total, note, !cut)
				}
			}
		})
	}
}

func TestPublishHome(t *testing.T) {
	e := setup(t, 0)
	h := homeOfApprover()
	if err := e.notify.PublishHome(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	v, ok := e.slack.Home(manager)
	if !ok {
		t.Fatal("no Home view published for the approver")
	}
	var got []block
	if err := json.Unmarshal(v.Blocks, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(notify.HomeBlocks(h))
	var wantBlocks []block
	json.Unmarshal(want, &wantBlocks)
	if len(got) != len(wantBlocks) || !strings.Contains(v.Text, "Waiting for your decision") || !strings.Contains(v.Text, "[Approve] [Reject]") {
		t.Errorf("published %d blocks (want %d):\n%s", len(got), len(wantBlocks), v.Text)
	}
	var buttons []string
	for _, b := range got {
		for _, el := range b.Elements {
			if el.ActionID != "" {
				buttons = append(buttons, el.ActionID+"="+el.Value)
			}
		}
	}
	if w := []string{"approve=req_01JD3K7V", "reject=req_01JD3K7V", "approve=req_01JD3K7W", "reject=req_01JD3K7W"}; strings.Join(buttons, " ") != strings.Join(w, " ") {
		t.Errorf("buttons %v, want %v", buttons, w)
	}
	if _, ok := e.slack.Home(requester); ok {
		t.Error("a Home was published for someone else")
	}

	// Published again: replaced.
	h.Waiting = nil
	if err := e.notify.PublishHome(t.Context(), h); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.slack.Home(manager); v.Seq != 2 || !strings.Contains(v.Text, "Nothing waits for your decision.") {
		t.Errorf("second publish: seq %d\n%s", v.Seq, v.Text)
	}
}

func TestPublishHomeRateLimited(t *testing.T) {
	e := setup(t, 0)
	e.slack.RateLimitNext("views.publish", 1, 1)
	start := time.Now()
	if err := e.notify.PublishHome(t.Context(), homeOfRequester()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", waited)
	}
	if n := e.slack.Calls("views.publish"); n != 2 {
		t.Errorf("views.publish called %d times, want 2 (429, then success)", n)
	}
	if _, ok := e.slack.Home(requester); !ok {
		t.Error("not published after the wait")
	}
}

func TestPublishHomeErrors(t *testing.T) {
	e := setup(t, 0)
	h := homeOfRequester()
	h.User = "U0NOBODY"
	err := e.notify.PublishHome(t.Context(), h)
	if err == nil || !strings.Contains(err.Error(), "user_not_found") || !strings.Contains(err.Error(), "U0NOBODY") {
		t.Errorf("err = %v, want user_not_found naming the user", err)
	}
	// The biggest Home still passes Slack's checks (100 blocks, unique
	// block ids).
	big := bot.Home{User: manager, Admin: true, Now: t0, Waiting: manyRequests(80), Mine: manyRequests(80), Everyone: manyRequests(80)}
	for i, r := range big.Mine {
		r.ID = fmt.Sprintf("req_M%07d", i)
	}
	if err := e.notify.PublishHome(t.Context(), big); err != nil {
		t.Fatalf("publish the biggest Home: %v", err)
	}
}
