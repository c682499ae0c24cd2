package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// fakeViews records the forms opened.
type fakeViews struct {
	mu     sync.Mutex
	err    error
	opened []openedView
}

type openedView struct {
	trigger string
	view    slack.ModalViewRequest
}

func (f *fakeViews) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, openedView{triggerID, view})
	if f.err != nil {
		return "", f.err
	}
	return "V0FORM", nil
}

func (f *fakeViews) calls() []openedView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]openedView(nil), f.opened...)
}

func TestEmptyCommandOpensForm(t *testing.T) {
	for _, tc := range []struct {
		command, callback string
	}{
		{"/convert-mailbox", notify.ConvertFormID},
		{"/shared-mailbox", notify.SharedFormID},
		{"/convert-mailbox-test", notify.ConvertFormID},
	} {
		t.Run(tc.command, func(t *testing.T) {
			views := &fakeViews{}
			h := newHarness(t, func(c *Config) { c.Views = views })
			resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"command": tc.command, "text": "  "}), slackSigned)
			if resp.StatusCode != http.StatusOK || body != "" {
				t.Fatalf("status %d body %q, want an empty 200", resp.StatusCode, body)
			}
			opened := views.calls()
			if len(opened) != 1 {
				t.Fatalf("%d forms opened, want 1", len(opened))
			}
			o := opened[0]
			if o.trigger != "13345224609.738474920.8088930838d88f008e0" || o.view.CallbackID != tc.callback ||
				o.view.PrivateMetadata != `{"channel":"C2147483705"}` || o.view.Type != slack.VTModal {
				t.Errorf("opened %+v with trigger %q, want %s with the command's trigger and channel", o.view, o.trigger, tc.callback)
			}
			h.bot.assertNothing(t)
			if !strings.Contains(h.log.String(), "form opened") {
				t.Errorf("log does not record the form:\n%s", h.log.String())
			}
		})
	}
}

func TestEmptyCommandFormNotOpened(t *testing.T) {
	for _, tc := range []struct {
		name  string
		views Views
		log   string
	}{
		{"no views", nil, "no Slack client for views"},
		{"views.open fails", &fakeViews{err: errors.New("slack views.open: expired_trigger_id")}, "expired_trigger_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.Views = tc.views })
			resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"text": ""}), slackSigned)
			text := ephemeral(t, resp, body)
			if !strings.HasPrefix(text, "I couldn't open the form, so here is how to type it instead, for example `/convert-mailbox alice@contoso.com`.") ||
				!strings.Contains(text, "`/convert-mailbox help rules`") {
				t.Errorf("text %q, want the sentence and the help", text)
			}
			if !strings.Contains(h.log.String(), tc.log) {
				t.Errorf("log does not say %q:\n%s", tc.log, h.log.String())
			}
			h.bot.assertNothing(t)
		})
	}
}

// A views.open that hangs must not make Slack wait past its 3 seconds.
func TestEmptyCommandViewsHang(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.AcceptTimeout = 50 * time.Millisecond
		c.Views = hangingViews{}
	})
	start := time.Now()
	resp, body := h.post(t, "/slack/commands", commandForm(t, map[string]string{"text": ""}), slackSigned)
	if text := ephemeral(t, resp, body); !strings.HasPrefix(text, "I couldn't open the form") {
		t.Errorf("text %q, want the fallback", text)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("answered after %s", d)
	}
}

type hangingViews struct{}

func (hangingViews) OpenView(ctx context.Context, _ string, _ slack.ModalViewRequest) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// submission returns the sample view_submission with the callback id and
// state values replaced, as a form body.
func submission(t *testing.T, callback string, values map[string]map[string]any, edit func(p map[string]any)) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(readTestdata(t, "slack-view-submission.json")), &p); err != nil {
		t.Fatal(err)
	}
	v := p["view"].(map[string]any)
	if callback != "" {
		v["callback_id"] = callback
	}
	if values != nil {
		v["state"] = map[string]any{"values": values}
	}
	if edit != nil {
		edit(p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// Element states as Slack sends them.
func users(ids ...string) map[string]any {
	return map[string]any{notify.FormActionUsers: map[string]any{"type": "multi_users_select", "selected_users": ids}}
}

func text(s string) map[string]any {
	return map[string]any{notify.FormActionText: map[string]any{"type": "plain_text_input", "value": s}}
}

func radio(value string) map[string]any {
	return map[string]any{notify.FormActionChoice: map[string]any{"type": "radio_buttons",
		"selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": value}, "value": value}}}
}

func checks(values ...string) map[string]any {
	opts := []any{}
	for _, v := range values {
		opts = append(opts, map[string]any{"text": map[string]any{"type": "plain_text", "text": v}, "value": v})
	}
	return map[string]any{notify.FormActionOptions: map[string]any{"type": "checkboxes", "selected_options": opts}}
}

func date(d string) map[string]any {
	var v any
	if d != "" {
		v = d
	}
	return map[string]any{notify.FormActionDate: map[string]any{"type": "datepicker", "selected_date": v}}
}

func clock(c string) map[string]any {
	var v any
	if c != "" {
		v = c
	}
	return map[string]any{notify.FormActionTime: map[string]any{"type": "timepicker", "selected_time": v}}
}

// convertValues is a convert form as submitted with its defaults and
// nothing filled in, changed by set.
func convertValues(set map[string]map[string]any) map[string]map[string]any {
	v := map[string]map[string]any{
		notify.FormBlockMailboxes:  users(),
		notify.FormBlockAddresses:  {notify.FormActionText: map[string]any{"type": "plain_text_input", "value": nil}},
		notify.FormBlockDirection:  radio(notify.FormToShared),
		notify.FormBlockOptions:    checks(notify.FormOptBlockSignIn, notify.FormOptRevokeSessions, notify.FormOptRemoveLicenses),
		notify.FormBlockCredential: radio(notify.FormCredentialTAP),
		notify.FormBlockMembers:    users(),
		notify.FormBlockDate:       date(""),
		notify.FormBlockTime:       clock(""),
	}
	for k, x := range set {
		v[k] = x
	}
	return v
}

// answer decodes the body of the answer to a view_submission.
func answer(t *testing.T, resp *http.Response, body string) map[string]any {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", resp.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, body)
	}
	return m
}

var cleared = map[string]any{"response_action": "clear"}

func TestConvertFormSubmitted(t *testing.T) {
	h := newHarness(t)
	body := submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{
		notify.FormBlockAddresses: text(" Alice@Contoso.com\n\nbob@contoso.com, alice@contoso.com;\n"),
		notify.FormBlockOptions:   checks(notify.FormOptBlockSignIn, notify.FormOptDryRun),
		notify.FormBlockMembers:   users("U0KIM", "U0LEE", "U0KIM"),
		notify.FormBlockDate:      date("2025-11-22"),
		notify.FormBlockTime:      clock("18:30"),
	}), nil)
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("answer %v, want %v", a, cleared)
	}
	cmds, clicks := h.bot.calls()
	members := []string{"<@U0KIM>", "<@U0LEE>"}
	opts := mailbox.Options{KeepSessions: true, KeepLicenses: true, DryRun: true, FullAccess: members, SendAs: members,
		At: time.Date(2025, 11, 22, 18, 30, 0, 0, time.UTC)}
	// Several mailboxes make one request for all of them (a batch).
	want := []bot.Command{{
		Op:   mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: opts},
		User: "U2147483697", TeamID: "T0001", Channel: "C2147483705", TriggerID: "V0FORM",
		Mailboxes: []string{"alice@contoso.com", "bob@contoso.com"},
	}}
	if !reflect.DeepEqual(cmds, want) || len(clicks) != 0 {
		t.Fatalf("bot got\n%+v\nwant\n%+v", cmds, want)
	}
	if cmds[0].Op.Options.At.Location() != time.UTC {
		t.Errorf("At %v is not in UTC", cmds[0].Op.Options.At)
	}
}

func TestConvertFormPeopleToRegular(t *testing.T) {
	h := newHarness(t)
	body := submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes:  users("U0ALICE", "U0BOB"),
		notify.FormBlockAddresses:  text("carol@contoso.com"),
		notify.FormBlockDirection:  radio(notify.FormToRegular),
		notify.FormBlockCredential: radio(notify.FormCredentialPassword),
		// The to-shared checkboxes do not apply.
		notify.FormBlockOptions: checks(),
	}), nil)
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("answer %v, want %v", a, cleared)
	}
	cmds, _ := h.bot.calls()
	var mbs []string
	for _, c := range cmds {
		mbs = append(mbs, c.Op.Mailbox)
		if want := (mailbox.Options{Password: true}); c.Op.Kind != mailbox.KindConvertToRegular || !reflect.DeepEqual(c.Op.Options, want) {
			t.Errorf("command %+v, want to regular with %+v", c.Op, want)
		}
	}
	if want := []string{"<@U0ALICE>", "<@U0BOB>", "carol@contoso.com"}; !reflect.DeepEqual(mbs, want) {
		t.Errorf("mailboxes %v, want %v", mbs, want)
	}
}

func TestSharedFormSubmitted(t *testing.T) {
	h := newHarness(t)
	body := submission(t, notify.SharedFormID, map[string]map[string]any{
		notify.FormBlockName:    text("  Sales   Team & Co "),
		notify.FormBlockAddress: text("Sales@Contoso.com"),
		notify.FormBlockMembers: users("U0KIM"),
		notify.FormBlockOptions: checks(),
	}, nil)
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("answer %v, want %v", a, cleared)
	}
	cmds, _ := h.bot.calls()
	want := []bot.Command{{
		Op: mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "sales@contoso.com", DisplayName: "Sales Team & Co",
			Members: []string{"<@U0KIM>"}},
		User: "U2147483697", TeamID: "T0001", Channel: "C2147483705", TriggerID: "V0FORM:0",
	}}
	if !reflect.DeepEqual(cmds, want) {
		t.Fatalf("bot got %+v, want %+v", cmds, want)
	}
}

func TestFormErrors(t *testing.T) {
	// testNow is 2025-11-21 10:01:40 UTC.
	addr := text("alice@contoso.com")
	for _, tc := range []struct {
		name     string
		callback string
		values   map[string]map[string]any
		want     map[string]string
	}{
		{"no mailbox", notify.ConvertFormID, convertValues(nil),
			map[string]string{notify.FormBlockMailboxes: "Pick at least one person, or paste an address below."}},
		{"blank addresses", notify.ConvertFormID, convertValues(map[string]map[string]any{notify.FormBlockAddresses: text(" ,\n ")}),
			map[string]string{notify.FormBlockMailboxes: "Pick at least one person, or paste an address below."}},
		{"a bad address", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockMailboxes: users("U0ALICE"), notify.FormBlockAddresses: text("bob@contoso.com\nalice@")}),
			map[string]string{notify.FormBlockAddresses: "“alice@” is not a valid e-mail address."}},
		{"bad addresses", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: text("a@, b@, Alice <alice@contoso.com>, d@")}),
			map[string]string{notify.FormBlockAddresses: "These are not valid e-mail addresses: “a@”, “b@”, “Alice” and 2 more."}},
		{"too many", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: text("x@contoso.com\n" + manyAddresses(MaxFormMailboxes))}),
			map[string]string{notify.FormBlockAddresses: "At most 100 mailboxes in one form; there are 101. Ask for the others in another form."}},
		{"time earlier today", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockDate: date("2025-11-21"), notify.FormBlockTime: clock("10:01")}),
			map[string]string{notify.FormBlockTime: "2025-11-21 10:01 UTC is in the past: it is now 2025-11-21 10:01 UTC."}},
		{"a day in the past", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockDate: date("2025-11-20"), notify.FormBlockTime: clock("18:00")}),
			map[string]string{notify.FormBlockDate: "2025-11-20 18:00 UTC is in the past: it is now 2025-11-21 10:01 UTC."}},
		{"too far ahead", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockDate: date("2026-12-01"), notify.FormBlockTime: clock("09:00")}),
			map[string]string{notify.FormBlockDate: "At most 90 days ahead: by 2026-02-19 10:01 UTC."}},
		{"a day without a time", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockDate: date("2025-11-22")}),
			map[string]string{notify.FormBlockTime: "Pick the time of day (UTC) too."}},
		{"a time without a day", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockTime: clock("18:00")}),
			map[string]string{notify.FormBlockDate: "Pick the day to run it on too, or clear the time to run it once approved."}},
		{"members to regular", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: addr, notify.FormBlockDirection: radio(notify.FormToRegular), notify.FormBlockMembers: users("U0KIM")}),
			map[string]string{notify.FormBlockMembers: "Members are for a shared mailbox: remove them to convert back to a user mailbox."}},
		{"several at once", notify.ConvertFormID, convertValues(map[string]map[string]any{
			notify.FormBlockAddresses: text("bob@"), notify.FormBlockDirection: radio(notify.FormToRegular),
			notify.FormBlockMembers: users("U0KIM"), notify.FormBlockTime: clock("18:00")}),
			map[string]string{
				notify.FormBlockAddresses: "“bob@” is not a valid e-mail address.",
				notify.FormBlockMembers:   "Members are for a shared mailbox: remove them to convert back to a user mailbox.",
				notify.FormBlockDate:      "Pick the day to run it on too, or clear the time to run it once approved.",
			}},
		// The sample as Slack sent it: a users_select, a day without a time, too far ahead.
		{"sample", "", nil, map[string]string{notify.FormBlockTime: "Pick the time of day (UTC) too."}},
		{"shared: bad name and address", notify.SharedFormID, map[string]map[string]any{
			notify.FormBlockName: text("Sales/EU"), notify.FormBlockAddress: text("sales@"), notify.FormBlockMembers: users()},
			map[string]string{
				notify.FormBlockName:    `Exchange refuses \/:*?"<>| in a name: remove the “/”.`,
				notify.FormBlockAddress: "“sales@” is not a valid e-mail address.",
			}},
		{"shared: blank name", notify.SharedFormID, map[string]map[string]any{
			notify.FormBlockName: text("   "), notify.FormBlockAddress: text("sales@contoso.com")},
			map[string]string{notify.FormBlockName: "Give the new mailbox a display name, for example Sales Team."}},
		{"shared: long name", notify.SharedFormID, map[string]map[string]any{
			notify.FormBlockName: text(strings.Repeat("n", 65)), notify.FormBlockAddress: text("sales@contoso.com")},
			map[string]string{notify.FormBlockName: "At most 64 characters; this has 65."}},
		{"shared: control character", notify.SharedFormID, map[string]map[string]any{
			notify.FormBlockName: text("Sales\u200bTeam"), notify.FormBlockAddress: text("sales@contoso.com")},
			map[string]string{notify.FormBlockName: "The name holds an invisible control character (U+200B): type it again without it."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Checker = checkerFunc(func(context.Context, bot.Command) (string, error) {
					t.Error("the checker was called on a form with errors")
					return "", nil
				})
			})
			resp, got := h.post(t, "/slack/interactions", submission(t, tc.callback, tc.values, nil), slackSigned)
			a := answer(t, resp, got)
			want := map[string]any{"response_action": "errors", "errors": map[string]any{}}
			for k, v := range tc.want {
				want["errors"].(map[string]any)[k] = v
			}
			if !reflect.DeepEqual(a, want) {
				t.Fatalf("answer\n%v, want\n%v", a, want)
			}
			h.bot.assertNothing(t)
		})
	}
}

// TestFormBatchMax: a MAILBOXBOT_BATCH_MAX below the form's own bound is the
// form's limit too, answered before anything is checked.
func TestFormBatchMax(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.BatchMax = 3
		c.Checker = checkerFunc(func(context.Context, bot.Command) (string, error) {
			t.Error("the checker was called on a form over the limit")
			return "", nil
		})
	})
	body := submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes: users("U0ALICE"), notify.FormBlockAddresses: text(manyAddresses(3))}), nil)
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	want := map[string]any{"response_action": "errors", "errors": map[string]any{
		notify.FormBlockAddresses: "At most 3 mailboxes in one form; there are 4. Ask for the others in another form."}}
	if a := answer(t, resp, got); !reflect.DeepEqual(a, want) {
		t.Fatalf("answer\n%v, want\n%v", a, want)
	}
	h.bot.assertNothing(t)

	body = submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{
		notify.FormBlockAddresses: text(manyAddresses(3))}), nil)
	h = newHarness(t, func(c *Config) { c.BatchMax = 3 })
	resp, got = h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("3 mailboxes with BATCH_MAX=3: answer %v, want %v", a, cleared)
	}
	if cmds, _ := h.bot.calls(); len(cmds) != 1 || len(cmds[0].Mailboxes) != 3 {
		t.Errorf("bot got %+v, want one command for 3 mailboxes", cmds)
	}
}

func manyAddresses(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "user%d@contoso.com,", i)
	}
	return b.String()
}

// checkerFunc checks each mailbox with itself; everyone may ask.
type checkerFunc func(context.Context, bot.Command) (string, error)

func (f checkerFunc) CheckRequester(context.Context, bot.Command) string { return "" }

func (f checkerFunc) CheckMailbox(ctx context.Context, c bot.Command) (string, error) {
	return f(ctx, c)
}

// requesterChecker: a requester who may not ask, the lookups counted.
type requesterChecker struct {
	mu                  sync.Mutex
	requesters, mailbox int
}

func (r *requesterChecker) CheckRequester(context.Context, bot.Command) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requesters++
	return "You may not ask for this: ask someone in @it-admins."
}

func (r *requesterChecker) CheckMailbox(context.Context, bot.Command) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mailbox++
	return "", nil
}

// TestFormCheckerRequesterOnce: who may ask is looked up once per form, not
// once per mailbox, and said once next to each field that names one.
func TestFormCheckerRequesterOnce(t *testing.T) {
	check := &requesterChecker{}
	h := newHarness(t, func(c *Config) { c.Checker = check })
	values := convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes: users("U0ALICE", "U0BOB"),
		notify.FormBlockAddresses: text(manyAddresses(50)),
	})
	resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, nil), slackSigned)
	said := "You may not ask for this: ask someone in @it-admins."
	want := map[string]any{"response_action": "errors", "errors": map[string]any{
		notify.FormBlockMailboxes: said, notify.FormBlockAddresses: said}}
	if a := answer(t, resp, got); !reflect.DeepEqual(a, want) {
		t.Fatalf("answer\n%v, want\n%v", a, want)
	}
	h.bot.assertNothing(t)
	if check.requesters != 1 || check.mailbox != 0 {
		t.Errorf("who may ask checked %d times, mailboxes %d; want 1 and 0", check.requesters, check.mailbox)
	}
}

func TestFormChecker(t *testing.T) {
	values := convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes: users("U0ALICE", "U0GONE"),
		notify.FormBlockAddresses: text("bob@contoso.com\ncarol@contoso.com\ndave@contoso.com"),
	})
	problems := map[string]string{
		"<@U0GONE>":         "I can't find the e-mail address of this person in Slack.",
		"carol@contoso.com": "carol@contoso.com is synchronised from on-premises Active Directory: convert it there.",
		"dave@contoso.com":  "dave@contoso.com is not a user in Microsoft Entra ID.",
	}
	t.Run("problems next to the fields", func(t *testing.T) {
		var mu sync.Mutex
		var checked []bot.Command
		h := newHarness(t, func(c *Config) {
			c.Checker = checkerFunc(func(ctx context.Context, cmd bot.Command) (string, error) {
				mu.Lock()
				checked = append(checked, cmd)
				mu.Unlock()
				if _, ok := ctx.Deadline(); !ok {
					t.Error("the check has no deadline")
				}
				return problems[cmd.Op.Mailbox], nil
			})
		})
		resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, nil), slackSigned)
		want := map[string]any{"response_action": "errors", "errors": map[string]any{
			notify.FormBlockMailboxes: problems["<@U0GONE>"],
			notify.FormBlockAddresses: problems["carol@contoso.com"] + " " + problems["dave@contoso.com"],
		}}
		if a := answer(t, resp, got); !reflect.DeepEqual(a, want) {
			t.Fatalf("answer\n%v, want\n%v", a, want)
		}
		h.bot.assertNothing(t)
		if len(checked) != 5 || checked[0].User != "U2147483697" || checked[0].TriggerID == "" {
			t.Errorf("checked %+v, want the 5 commands as they would be queued", checked)
		}
	})
	t.Run("no problem", func(t *testing.T) {
		h := newHarness(t, func(c *Config) {
			c.Checker = checkerFunc(func(context.Context, bot.Command) (string, error) { return "", nil })
		})
		resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, nil), slackSigned)
		if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
			t.Fatalf("answer %v, want %v", a, cleared)
		}
		if cmds, _ := h.bot.calls(); len(cmds) != 1 || len(cmds[0].Mailboxes) != 5 {
			t.Fatalf("%d commands queued, want 1 for the 5 mailboxes", len(cmds))
		}
	})
	for _, tc := range []struct {
		name  string
		check checkerFunc
		log   string
	}{
		{"timeout", func(ctx context.Context, c bot.Command) (string, error) {
			if c.Op.Mailbox == "carol@contoso.com" {
				<-ctx.Done() // Microsoft is slow for this one
				return "too late", ctx.Err()
			}
			return "", nil
		}, "form checks out of time"},
		{"check ignores its deadline", func(ctx context.Context, c bot.Command) (string, error) {
			if c.Op.Mailbox == "carol@contoso.com" {
				time.Sleep(300 * time.Millisecond)
				return "too late", nil
			}
			return "", nil
		}, "form checks out of time"},
		{"error", func(ctx context.Context, c bot.Command) (string, error) {
			if c.Op.Mailbox == "carol@contoso.com" {
				return "", errors.New("graph: 503 Service Unavailable")
			}
			return "", nil
		}, "503 Service Unavailable"},
	} {
		t.Run(tc.name+" goes ahead", func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.Checker = tc.check
				c.FormCheckTimeout = 50 * time.Millisecond
			})
			start := time.Now()
			resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, nil), slackSigned)
			if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
				t.Fatalf("answer %v, want %v", a, cleared)
			}
			if d := time.Since(start); d > 1500*time.Millisecond {
				t.Errorf("answered after %s, with a budget of 50ms", d)
			}
			if cmds, _ := h.bot.calls(); len(cmds) != 1 || len(cmds[0].Mailboxes) != 5 {
				t.Fatalf("%d commands queued, want 1 for the 5 mailboxes", len(cmds))
			}
			if !strings.Contains(h.log.String(), tc.log) {
				t.Errorf("log does not say %q:\n%s", tc.log, h.log.String())
			}
		})
	}
}

// partialBot fails from the nth command on.
type partialBot struct {
	fakeBot
	failFrom int
}

func (b *partialBot) AcceptCommand(ctx context.Context, c bot.Command) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.commands) >= b.failFrom {
		return errors.New("enqueue: connection refused")
	}
	b.commands = append(b.commands, c)
	return nil
}

func TestFormQueueUnreachable(t *testing.T) {
	values := convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes: users("U0ALICE"),
		notify.FormBlockAddresses: text("bob@contoso.com\ncarol@contoso.com"),
	})
	for _, tc := range []struct {
		failFrom int
		want     map[string]any
	}{
		{0, map[string]any{notify.FormBlockMailboxes: "I can't take requests right now: my queue is unreachable. Nothing was requested; please submit again in a minute."}},
	} {
		b := &partialBot{failFrom: tc.failFrom}
		h := newHarness(t, func(c *Config) { c.Bot = b })
		resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, nil), slackSigned)
		want := map[string]any{"response_action": "errors", "errors": tc.want}
		if a := answer(t, resp, got); !reflect.DeepEqual(a, want) {
			t.Errorf("answer\n%v, want\n%v", a, want)
		}
		if !strings.Contains(h.log.String(), "level=ERROR") || !strings.Contains(h.log.String(), "connection refused") {
			t.Errorf("the failure is not logged:\n%s", h.log.String())
		}
	}
}

func TestFormSubmissionsIgnored(t *testing.T) {
	values := convertValues(map[string]map[string]any{notify.FormBlockAddresses: text("alice@contoso.com")})
	for _, tc := range []struct {
		name string
		edit func(p map[string]any)
		log  string
	}{
		{"another form", func(p map[string]any) { p["view"].(map[string]any)["callback_id"] = "feedback" }, "slack interaction ignored"},
		{"wrong team", func(p map[string]any) { p["team"].(map[string]any)["id"] = "T0EVIL" }, "another workspace or app refused"},
		{"no user", func(p map[string]any) { delete(p, "user") }, "without a user or a view id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			resp, got := h.post(t, "/slack/interactions", submission(t, notify.ConvertFormID, values, tc.edit), slackSigned)
			if resp.StatusCode != http.StatusOK || got != "" {
				t.Fatalf("status %d body %q, want an empty 200", resp.StatusCode, got)
			}
			h.bot.assertNothing(t)
			if !strings.Contains(h.log.String(), tc.log) {
				t.Errorf("log does not say %q:\n%s", tc.log, h.log.String())
			}
		})
	}
}

// Without private_metadata the commands still go, with no channel: the bot
// then answers in a direct message.
func TestFormWithoutMetadata(t *testing.T) {
	h := newHarness(t)
	body := submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{notify.FormBlockAddresses: text("alice@contoso.com")}),
		func(p map[string]any) { p["view"].(map[string]any)["private_metadata"] = "" })
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("answer %v, want %v", a, cleared)
	}
	if cmds, _ := h.bot.calls(); len(cmds) != 1 || cmds[0].Channel != "" || cmds[0].ResponseURL != "" {
		t.Fatalf("bot got %+v, want one command without channel or response_url", cmds)
	}
}

// A person picked both as a mailbox and as a member is not made a member
// of their own mailbox; of the others', they are.
func TestConvertFormMailboxNotItsOwnMember(t *testing.T) {
	h := newHarness(t)
	body := submission(t, notify.ConvertFormID, convertValues(map[string]map[string]any{
		notify.FormBlockMailboxes: users("U0ALICE", "U0BOB"),
		notify.FormBlockMembers:   users("U0ALICE", "U0KIM"),
	}), nil)
	resp, got := h.post(t, "/slack/interactions", body, slackSigned)
	if a := answer(t, resp, got); !reflect.DeepEqual(a, cleared) {
		t.Fatalf("answer %v, want %v", a, cleared)
	}
	// One batch for both; its members are everyone picked, and the bot
	// leaves each mailbox out of its own list when it resolves them.
	cmds, _ := h.bot.calls()
	if len(cmds) != 1 || !reflect.DeepEqual(cmds[0].Mailboxes, []string{"<@U0ALICE>", "<@U0BOB>"}) {
		t.Fatalf("commands %+v", cmds)
	}
	if fa := cmds[0].Op.Options.FullAccess; !reflect.DeepEqual(fa, []string{"<@U0KIM>", "<@U0ALICE>"}) {
		t.Errorf("Full Access members %v", fa)
	}
}
