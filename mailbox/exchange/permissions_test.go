package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
)

const sampleSize = "14.61 GB (15,687,850,951 bytes)"

// wireParams returns the raw JSON of each parameter of a recorded call.
func wireParams(t *testing.T, c exchangetest.Call) map[string]string {
	t.Helper()
	var body struct {
		CmdletInput struct {
			CmdletName string
			Parameters map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(c.Body, &body); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range body.CmdletInput.Parameters {
		out[k] = string(v)
	}
	return out
}

func TestCmdletsAndParameters(t *testing.T) {
	const id, bob = "alice@contoso.com", "bob@contoso.com"
	read := map[string]any{"Identity": id}
	for _, tc := range []struct {
		name   string
		call   func(ctx context.Context, c *Client) error
		cmdlet string
		params map[string]any    // as decoded JSON: arrays are []any, booleans bool
		raw    map[string]string // exact JSON of some parameters
		change string            // what the backend must have done, once
	}{
		{"statistics", func(ctx context.Context, c *Client) error { _, err := c.MailboxStatistics(ctx, id); return err },
			"Get-MailboxStatistics", read, nil, ""},
		{"mailbox permissions", func(ctx context.Context, c *Client) error { _, err := c.MailboxPermissions(ctx, id); return err },
			"Get-MailboxPermission", read, nil, ""},
		{"recipient permissions", func(ctx context.Context, c *Client) error { _, err := c.RecipientPermissions(ctx, id); return err },
			"Get-RecipientPermission", read, nil, ""},
		{"add full access, no automapping", func(ctx context.Context, c *Client) error { return c.AddFullAccess(ctx, id, bob, false) },
			"Add-MailboxPermission",
			map[string]any{"Identity": id, "User": bob, "AccessRights": []any{"FullAccess"}, "InheritanceType": "All", "AutoMapping": false, "Confirm": false},
			map[string]string{"AccessRights": `["FullAccess"]`, "AutoMapping": "false", "Confirm": "false"},
			"AddFullAccess alice@contoso.com bob@contoso.com false"},
		{"add full access, automapping", func(ctx context.Context, c *Client) error { return c.AddFullAccess(ctx, id, bob, true) },
			"Add-MailboxPermission",
			map[string]any{"Identity": id, "User": bob, "AccessRights": []any{"FullAccess"}, "InheritanceType": "All", "AutoMapping": true, "Confirm": false},
			map[string]string{"AutoMapping": "true"},
			"AddFullAccess alice@contoso.com bob@contoso.com true"},
		{"remove full access", func(ctx context.Context, c *Client) error { return c.RemoveFullAccess(ctx, id, bob) },
			"Remove-MailboxPermission",
			map[string]any{"Identity": id, "User": bob, "AccessRights": []any{"FullAccess"}, "InheritanceType": "All", "Confirm": false},
			map[string]string{"AccessRights": `["FullAccess"]`, "Confirm": "false"},
			"RemoveFullAccess alice@contoso.com bob@contoso.com"},
		{"add send as", func(ctx context.Context, c *Client) error { return c.AddSendAs(ctx, id, bob) },
			"Add-RecipientPermission",
			map[string]any{"Identity": id, "Trustee": bob, "AccessRights": []any{"SendAs"}, "Confirm": false},
			map[string]string{"AccessRights": `["SendAs"]`, "Confirm": "false"},
			"AddSendAs alice@contoso.com bob@contoso.com"},
		{"remove send as", func(ctx context.Context, c *Client) error { return c.RemoveSendAs(ctx, id, bob) },
			"Remove-RecipientPermission",
			map[string]any{"Identity": id, "Trustee": bob, "AccessRights": []any{"SendAs"}, "Confirm": false},
			map[string]string{"AccessRights": `["SendAs"]`, "Confirm": "false"},
			"RemoveSendAs alice@contoso.com bob@contoso.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newBackend(alice())
			f := setup(t, be, exchangetest.Options{}, nil)
			if err := tc.call(t.Context(), f.c); err != nil {
				t.Fatal(err)
			}
			calls := f.srv.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls, want 1", len(calls))
			}
			if calls[0].Cmdlet != tc.cmdlet {
				t.Errorf("cmdlet %q, want %q", calls[0].Cmdlet, tc.cmdlet)
			}
			if !reflect.DeepEqual(calls[0].Parameters, tc.params) {
				t.Errorf("parameters\n got %#v\nwant %#v", calls[0].Parameters, tc.params)
			}
			raw := wireParams(t, calls[0])
			for k, want := range tc.raw {
				if raw[k] != want {
					t.Errorf("%s on the wire = %s, want %s", k, raw[k], want)
				}
			}
			var want []string
			if tc.change != "" {
				want = []string{tc.change}
			}
			if got := be.changed(); !reflect.DeepEqual(got, want) {
				t.Errorf("backend changes = %q, want %q", got, want)
			}
		})
	}
}

func TestQuotedIdentityAndTrusteeAreJSONValues(t *testing.T) {
	const id = `o'brien test@contoso.com`
	const who = `d'arcy "dee" smith@contoso.com`
	const rawID = `"o'brien test@contoso.com"`
	const rawWho = `"d'arcy \"dee\" smith@contoso.com"`
	mb := alice()
	mb.UserPrincipalName = id
	be := newBackend(mb)
	f := setup(t, be, exchangetest.Options{}, nil)
	ctx := t.Context()

	if _, err := f.c.MailboxStatistics(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.MailboxPermissions(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.RecipientPermissions(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		f.c.AddFullAccess(ctx, id, who, true),
		f.c.RemoveFullAccess(ctx, id, who),
		f.c.AddSendAs(ctx, id, who),
		f.c.RemoveSendAs(ctx, id, who),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range f.srv.Calls() {
		raw := wireParams(t, c)
		if raw["Identity"] != rawID {
			t.Errorf("%s: Identity on the wire = %s, want %s", c.Cmdlet, raw["Identity"], rawID)
		}
		if k := map[string]string{"Add-MailboxPermission": "User", "Remove-MailboxPermission": "User",
			"Add-RecipientPermission": "Trustee", "Remove-RecipientPermission": "Trustee"}[c.Cmdlet]; k != "" && raw[k] != rawWho {
			t.Errorf("%s: %s on the wire = %s, want %s", c.Cmdlet, k, raw[k], rawWho)
		}
	}
	want := []string{
		"AddFullAccess " + id + " " + who + " true",
		"RemoveFullAccess " + id + " " + who,
		"AddSendAs " + id + " " + who,
		"RemoveSendAs " + id + " " + who,
	}
	if got := be.changed(); !reflect.DeepEqual(got, want) {
		t.Errorf("backend changes\n got %q\nwant %q", got, want)
	}
}

func TestMailboxStatisticsSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/exchange-get-mailboxstatistics.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	f.srv.Handle("Get-MailboxStatistics", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{sample.Value[0]}, nil, nil
	})
	got, err := f.c.MailboxStatistics(t.Context(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := (mailbox.MailboxStatistics{TotalItemSize: 15687850951, ItemCount: 48211}); got != want {
		t.Errorf("MailboxStatistics = %+v, want %+v", got, want)
	}
}

// TestMailboxStatisticsFromBackend goes through the fake's formatting of the
// backend's bytes and back.
func TestMailboxStatisticsFromBackend(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		text  string
	}{
		{15687850951, sampleSize},
		{0, "0 B (0 bytes)"},
		{1649267441664, "1.50 TB (1,649,267,441,664 bytes)"},
		{53687091200, "50.00 GB (53,687,091,200 bytes)"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			be := newBackend(alice())
			be.stats["alice@contoso.com"] = mailbox.MailboxStatistics{TotalItemSize: tc.bytes, ItemCount: 7}
			f := setup(t, be, exchangetest.Options{}, nil)
			res, err := f.c.Invoke(t.Context(), "Get-MailboxStatistics", map[string]any{"Identity": "alice@contoso.com"})
			if err != nil {
				t.Fatal(err)
			}
			var w struct{ TotalItemSize string }
			if len(res.Values) != 1 || json.Unmarshal(res.Values[0], &w) != nil || w.TotalItemSize != tc.text {
				t.Errorf("wire TotalItemSize = %q, want %q (values %s)", w.TotalItemSize, tc.text, res.Values)
			}
			got, err := f.c.MailboxStatistics(t.Context(), "alice@contoso.com")
			if err != nil {
				t.Fatal(err)
			}
			if want := (mailbox.MailboxStatistics{TotalItemSize: tc.bytes, ItemCount: 7}); got != want {
				t.Errorf("MailboxStatistics = %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{sampleSize, 15687850951},
		{"0 B (0 bytes)", 0},
		{"1 B (1 byte)", 1},
		{"1.50 TB (1,649,267,441,664 bytes)", 1649267441664},
		{"15687850951", 15687850951},
		{" 1,024 ", 1024},
	} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"Unlimited", "unlimited", "", "garbage", "14.61 GB", "14.61 GB (lots of bytes)", "14.61 GB (15,687,850,951",
		"14.61 GB (15.687.850.951 bytes)", "-5", "+5", "(bytes)", "99999999999999999999",
	} {
		if got, err := parseSize(in); !errors.Is(err, ErrBadResponse) {
			t.Errorf("parseSize(%q) = %d, %v; want ErrBadResponse", in, got, err)
		}
	}
}

func TestMailboxStatisticsShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string // one Get-MailboxStatistics object
		want  mailbox.MailboxStatistics
		err   error
	}{
		{"plain number", `{"TotalItemSize":123456,"ItemCount":3}`, mailbox.MailboxStatistics{TotalItemSize: 123456, ItemCount: 3}, nil},
		{"count as text", `{"TotalItemSize":"1.00 KB (1,024 bytes)","ItemCount":"1,234"}`, mailbox.MailboxStatistics{TotalItemSize: 1024, ItemCount: 1234}, nil},
		{"no item count", `{"TotalItemSize":"0 B (0 bytes)"}`, mailbox.MailboxStatistics{}, nil},
		{"unlimited", `{"TotalItemSize":"Unlimited","ItemCount":3}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"garbage", `{"TotalItemSize":"big","ItemCount":3}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"no size", `{"ItemCount":3}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"null size", `{"TotalItemSize":null}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"negative", `{"TotalItemSize":-1}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"fraction", `{"TotalItemSize":1.5}`, mailbox.MailboxStatistics{}, ErrBadResponse},
		{"bad count", `{"TotalItemSize":1,"ItemCount":"many"}`, mailbox.MailboxStatistics{}, ErrBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, newBackend(), exchangetest.Options{}, nil)
			f.srv.Handle("Get-MailboxStatistics", func(context.Context, map[string]any) ([]any, []string, error) {
				return []any{json.RawMessage(tc.value)}, nil, nil
			})
			got, err := f.c.MailboxStatistics(t.Context(), "alice@contoso.com")
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("MailboxStatistics = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestMailboxStatisticsNotFound(t *testing.T) {
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	_, err := f.c.MailboxStatistics(t.Context(), "nobody@contoso.com")
	re := remote(t, err)
	if !errors.Is(err, mailbox.ErrNotFound) || re.Status != 404 || re.Op != "Get-MailboxStatistics" || re.Message != notFoundSentence {
		t.Errorf("err = %v", err)
	}
	if n := f.srv.Count("Get-MailboxStatistics"); n != 1 {
		t.Errorf("%d calls; a 404 must not be retried", n)
	}
	// An empty answer is not a size of zero.
	f.srv.Handle("Get-MailboxStatistics", func(context.Context, map[string]any) ([]any, []string, error) { return nil, nil, nil })
	if _, err := f.c.MailboxStatistics(t.Context(), "alice@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("empty answer: err = %v, want ErrNotFound", err)
	}
}

func TestPermissionsMapping(t *testing.T) {
	full := []mailbox.Permission{
		{User: `NT AUTHORITY\SELF`, AccessRights: []string{"FullAccess", "ReadPermission"}},
		{User: "bob@contoso.com", AccessRights: []string{"FullAccess"}},
		{User: "Administrator", AccessRights: []string{"FullAccess"}, IsInherited: true, Deny: true},
		{User: `CONTOSO\Organization Management`, AccessRights: []string{"FullAccess"}, IsInherited: true},
	}
	sendAs := []mailbox.Permission{
		{User: `NT AUTHORITY\SELF`, AccessRights: []string{"SendAs"}},
		{User: "eve@contoso.com", AccessRights: []string{"SendAs"}, Deny: true},
		{User: "carol@contoso.com", AccessRights: []string{"SendAs"}, IsInherited: true},
	}
	be := newBackend(alice())
	be.full["alice@contoso.com"] = full
	be.sendAs["alice@contoso.com"] = sendAs
	f := setup(t, be, exchangetest.Options{}, nil)
	got, err := f.c.MailboxPermissions(t.Context(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Errorf("MailboxPermissions\n got %+v\nwant %+v", got, full)
	}
	got, err = f.c.RecipientPermissions(t.Context(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sendAs) {
		t.Errorf("RecipientPermissions\n got %+v\nwant %+v", got, sendAs)
	}

	// None at all is an empty list, not an error.
	be.sendAs["alice@contoso.com"] = nil
	got, err = f.c.RecipientPermissions(t.Context(), "alice@contoso.com")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("no permissions = %#v, %v; want an empty list", got, err)
	}
	if _, err := f.c.MailboxPermissions(t.Context(), "nobody@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) || remote(t, err).Message != notFoundSentence {
		t.Errorf("unknown mailbox: err = %v", err)
	}
}

// TestPermissionsWireShapes reads the entries in the shapes Exchange sends,
// including a single string for AccessRights.
func TestPermissionsWireShapes(t *testing.T) {
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	f.srv.Handle("Get-MailboxPermission", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{
			json.RawMessage(`{"Identity":"alice","User":"bob@contoso.com","AccessRights@odata.type":"#Collection(String)","AccessRights":["FullAccess"],"IsInherited":false,"Deny":false,"InheritanceType":"All"}`),
			json.RawMessage(`{"Identity":"alice","User":"NT AUTHORITY\\SELF","AccessRights":"FullAccess, ReadPermission","IsInherited":false,"Deny":false,"InheritanceType":"All"}`),
			json.RawMessage(`{"Identity":"alice","User":"Administrator","AccessRights":"FullAccess","IsInherited":true,"Deny":true,"InheritanceType":"All"}`),
		}, nil, nil
	})
	f.srv.Handle("Get-RecipientPermission", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{
			json.RawMessage(`{"Identity":"alice","Trustee":"bob@contoso.com","AccessControlType":"Allow","AccessRights@odata.type":"#Collection(String)","AccessRights":["SendAs"],"IsInherited":false,"InheritanceType":"None"}`),
			json.RawMessage(`{"Identity":"alice","Trustee":"eve@contoso.com","AccessControlType":"Deny","AccessRights":"SendAs","IsInherited":true,"InheritanceType":"All"}`),
		}, nil, nil
	})
	got, err := f.c.MailboxPermissions(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := []mailbox.Permission{
		{User: "bob@contoso.com", AccessRights: []string{"FullAccess"}},
		{User: `NT AUTHORITY\SELF`, AccessRights: []string{"FullAccess", "ReadPermission"}},
		{User: "Administrator", AccessRights: []string{"FullAccess"}, IsInherited: true, Deny: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MailboxPermissions\n got %+v\nwant %+v", got, want)
	}
	got, err = f.c.RecipientPermissions(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	want = []mailbox.Permission{
		{User: "bob@contoso.com", AccessRights: []string{"SendAs"}},
		{User: "eve@contoso.com", AccessRights: []string{"SendAs"}, IsInherited: true, Deny: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RecipientPermissions\n got %+v\nwant %+v", got, want)
	}

	f.srv.Handle("Get-MailboxPermission", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{json.RawMessage(`{"User":"bob","AccessRights":7}`)}, nil, nil
	})
	if _, err := f.c.MailboxPermissions(t.Context(), "alice"); !errors.Is(err, ErrBadResponse) {
		t.Errorf("AccessRights 7: err = %v, want ErrBadResponse", err)
	}
}

func TestChangeWarningIsNotAnError(t *testing.T) {
	const warning = `The appropriate access control entry is already present on the object "alice" for account "bob@contoso.com".`
	var logs bytes.Buffer
	f := setup(t, newBackend(alice()), exchangetest.Options{}, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	f.srv.Handle("Add-MailboxPermission", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{}, []string{warning}, nil
	})
	if err := f.c.AddFullAccess(t.Context(), "alice@contoso.com", "bob@contoso.com", true); err != nil {
		t.Fatalf("a warning became an error: %v", err)
	}
	if !strings.Contains(logs.String(), "already present on the object") || !strings.Contains(logs.String(), "op=Add-MailboxPermission") {
		t.Errorf("warning not logged: %s", logs.String())
	}
}

func TestChangeErrors(t *testing.T) {
	be := newBackend(alice())
	f := setup(t, be, exchangetest.Options{}, nil)
	ctx := t.Context()
	for name, call := range map[string]func() error{
		"Add-MailboxPermission":      func() error { return f.c.AddFullAccess(ctx, "nobody@contoso.com", "bob@contoso.com", true) },
		"Remove-MailboxPermission":   func() error { return f.c.RemoveFullAccess(ctx, "nobody@contoso.com", "bob@contoso.com") },
		"Add-RecipientPermission":    func() error { return f.c.AddSendAs(ctx, "nobody@contoso.com", "bob@contoso.com") },
		"Remove-RecipientPermission": func() error { return f.c.RemoveSendAs(ctx, "nobody@contoso.com", "bob@contoso.com") },
	} {
		err := call()
		if !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			continue
		}
		if re := remote(t, err); re.Op != name || re.Message != notFoundSentence {
			t.Errorf("%s: RemoteError = %+v", name, re)
		}
		if n := f.srv.Count(name); n != 1 {
			t.Errorf("%s: %d calls; a 404 must not be retried", name, n)
		}
	}

	// Microsoft's own sentence of any other refusal reaches the caller.
	f.srv.Handle("Add-RecipientPermission", func(context.Context, map[string]any) ([]any, []string, error) {
		return nil, nil, &mailbox.RemoteError{Status: 400, Code: "BadRequest",
			Message: "Ex1C7A22|Microsoft.Exchange.Management.Tasks.ManagementObjectNotFoundException|The user 'ghost' couldn't be found."}
	})
	err := f.c.AddSendAs(ctx, "alice@contoso.com", "ghost")
	if re := remote(t, err); re.Status != 400 || re.Message != "The user 'ghost' couldn't be found." || re.Temporary() {
		t.Errorf("RemoteError = %+v", re)
	}

	// Nothing to name: no call at all.
	n := len(f.srv.Calls())
	for _, err := range []error{
		f.c.AddFullAccess(ctx, "alice@contoso.com", "", true),
		f.c.RemoveFullAccess(ctx, "", "bob@contoso.com"),
		f.c.AddSendAs(ctx, "alice@contoso.com", ""),
		f.c.RemoveSendAs(ctx, "", "bob@contoso.com"),
		func() error { _, err := f.c.MailboxStatistics(ctx, ""); return err }(),
		func() error { _, err := f.c.MailboxPermissions(ctx, ""); return err }(),
		func() error { _, err := f.c.RecipientPermissions(ctx, ""); return err }(),
	} {
		if !errors.Is(err, mailbox.ErrInvalidAddress) {
			t.Errorf("empty argument: err = %v, want ErrInvalidAddress", err)
		}
	}
	if len(f.srv.Calls()) != n || len(be.changed()) != 0 {
		t.Errorf("calls went out for empty arguments: %d, changes %q", len(f.srv.Calls())-n, be.changed())
	}
}

// TestEveryFifthCallFails: with every 5th request failing, every call still
// completes, each change reaches the backend exactly once, and a Retry-After
// is honoured.
func TestEveryFifthCallFails(t *testing.T) {
	for _, tc := range []struct {
		status     int
		retryAfter string
	}{
		{503, ""},
		{429, "3"},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			be := newBackend(alice())
			be.stats["alice@contoso.com"] = mailbox.MailboxStatistics{TotalItemSize: 63_200_000_000, ItemCount: 9}
			f := setup(t, be, exchangetest.Options{}, nil)
			f.srv.FailEvery(5, tc.status, tc.retryAfter)
			ctx := t.Context()
			const id = "alice@contoso.com"
			var want []string
			calls := 0
			check := func(err error) {
				t.Helper()
				calls++
				if err != nil {
					t.Errorf("call %d: %v", calls, err)
				}
			}
			for i := range 4 {
				who := fmt.Sprintf("user%d@contoso.com", i)
				st, err := f.c.MailboxStatistics(ctx, id)
				check(err)
				if st.TotalItemSize != 63_200_000_000 {
					t.Errorf("size = %d", st.TotalItemSize)
				}
				check(f.c.AddFullAccess(ctx, id, who, i%2 == 0))
				check(f.c.AddSendAs(ctx, id, who))
				_, err = f.c.MailboxPermissions(ctx, id)
				check(err)
				_, err = f.c.RecipientPermissions(ctx, id)
				check(err)
				check(f.c.RemoveFullAccess(ctx, id, who))
				check(f.c.RemoveSendAs(ctx, id, who))
				want = append(want,
					fmt.Sprintf("AddFullAccess %s %s %t", id, who, i%2 == 0),
					"AddSendAs "+id+" "+who,
					"RemoveFullAccess "+id+" "+who,
					"RemoveSendAs "+id+" "+who)
			}
			if got := be.changed(); !reflect.DeepEqual(got, want) {
				t.Errorf("backend changes\n got %q\nwant %q", got, want)
			}
			// Requests 5, 10, ... failed: calls successes take calls + (calls-1)/4 requests.
			failures := (calls - 1) / 4
			if n := len(f.srv.Calls()); n != calls+failures {
				t.Errorf("%d requests for %d calls, want %d", n, calls, calls+failures)
			}
			sl := f.sl.got()
			if len(sl) != failures {
				t.Errorf("%d waits, want %d", len(sl), failures)
			}
			if tc.retryAfter != "" {
				for _, d := range sl {
					if d != 3*time.Second {
						t.Errorf("wait %v, want the Retry-After of 3s", d)
					}
				}
			}
		})
	}
}
