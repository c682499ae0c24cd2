package exchangetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

const tenant = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"

// oneMailbox is a backend with one mailbox; it records the changes it makes.
type oneMailbox struct {
	mb      mailbox.Mailbox
	changes []string
}

func (o *oneMailbox) find(id string) error {
	if !strings.EqualFold(id, o.mb.UserPrincipalName) {
		return mailbox.ErrNotFound
	}
	return nil
}

func (o *oneMailbox) MailboxStatistics(_ context.Context, id string) (mailbox.MailboxStatistics, error) {
	return mailbox.MailboxStatistics{TotalItemSize: 15687850951, ItemCount: 48211}, o.find(id)
}

func (o *oneMailbox) MailboxPermissions(_ context.Context, id string) ([]mailbox.Permission, error) {
	return []mailbox.Permission{
		{User: `NT AUTHORITY\SELF`, AccessRights: []string{"FullAccess", "ReadPermission"}},
		{User: "Administrator", AccessRights: []string{"FullAccess"}, IsInherited: true, Deny: true},
	}, o.find(id)
}

func (o *oneMailbox) RecipientPermissions(_ context.Context, id string) ([]mailbox.Permission, error) {
	return []mailbox.Permission{
		{User: "bob@contoso.com", AccessRights: []string{"SendAs"}},
		{User: "eve@contoso.com", AccessRights: []string{"SendAs"}, Deny: true},
	}, o.find(id)
}

func (o *oneMailbox) change(id, what string) error {
	if err := o.find(id); err != nil {
		return err
	}
	o.changes = append(o.changes, what)
	return nil
}

func (o *oneMailbox) AddFullAccess(_ context.Context, id, user string, autoMapping bool) error {
	return o.change(id, fmt.Sprintf("AddFullAccess %s %t", user, autoMapping))
}

func (o *oneMailbox) RemoveFullAccess(_ context.Context, id, user string) error {
	return o.change(id, "RemoveFullAccess "+user)
}

func (o *oneMailbox) AddSendAs(_ context.Context, id, trustee string) error {
	return o.change(id, "AddSendAs "+trustee)
}

func (o *oneMailbox) RemoveSendAs(_ context.Context, id, trustee string) error {
	return o.change(id, "RemoveSendAs "+trustee)
}

func (o *oneMailbox) GetMailbox(_ context.Context, id string) (mailbox.Mailbox, error) {
	if !strings.EqualFold(id, o.mb.UserPrincipalName) {
		return mailbox.Mailbox{}, mailbox.ErrNotFound
	}
	return o.mb, nil
}

func (o *oneMailbox) SetMailboxType(context.Context, string, mailbox.MailboxType) error { return nil }

func (o *oneMailbox) SetSendOnBehalf(_ context.Context, id string, add, remove []string) error {
	return o.change(id, fmt.Sprintf("SetSendOnBehalf %q %q", add, remove))
}

// NewSharedMailbox refuses alice's address as Exchange does, in the
// backend's words (the fake adds the exception name).
func (o *oneMailbox) NewSharedMailbox(_ context.Context, name, displayName, address string) (mailbox.Mailbox, error) {
	if strings.EqualFold(address, o.mb.UserPrincipalName) {
		return mailbox.Mailbox{}, &mailbox.RemoteError{Status: 400, Code: "BadRequest", Message: AddressTakenMessage(address)}
	}
	o.changes = append(o.changes, fmt.Sprintf("NewSharedMailbox %s|%s|%s", name, displayName, address))
	return mailbox.Mailbox{Identity: name, DisplayName: displayName, UserPrincipalName: address,
		PrimarySMTPAddress: address, RecipientTypeDetails: mailbox.RecipientSharedMailbox}, nil
}

func (o *oneMailbox) AcceptedDomains(context.Context) ([]string, error) {
	return []string{"contoso.com", "contoso.onmicrosoft.com"}, nil
}

func (o *oneMailbox) RecipientExists(_ context.Context, address string) (bool, error) {
	return strings.EqualFold(address, o.mb.UserPrincipalName) || strings.EqualFold(address, "team@contoso.com"), nil
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends one raw InvokeCommand request, the way the real client does.
func post(t *testing.T, s *Server, token, anchor, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/adminapi/beta/"+tenant+"/InvokeCommand", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if anchor != "" {
		req.Header.Set("X-AnchorMailbox", anchor)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

var anchor = fmt.Sprintf(AnchorMailboxFormat, tenant)

const getAlice = `{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"alice@contoso.com"}}}`

func newServer(t *testing.T) *Server {
	s, _ := newServerBackend(t)
	return s
}

func newServerBackend(t *testing.T) (*Server, *oneMailbox) {
	be := &oneMailbox{mb: mailbox.Mailbox{Identity: "Alice", UserPrincipalName: "alice@contoso.com", RecipientTypeDetails: "UserMailbox"}}
	s := New(be, Options{TenantID: tenant, Token: "good"})
	t.Cleanup(s.Close)
	return s, be
}

func TestWireShape(t *testing.T) {
	s := newServer(t)
	r := post(t, s, "good", anchor, getAlice)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	for _, k := range []string{"@odata.context", "adminapi.warnings@odata.type", "@adminapi.warnings", "value"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("answer lacks %q: %s", k, r.raw)
		}
	}
	v := r.body["value"].([]any)[0].(map[string]any)
	if v["UserPrincipalName"] != "alice@contoso.com" || v["RecipientTypeDetails"] != "UserMailbox" || v["InPlaceHolds@odata.type"] != "#Collection(String)" {
		t.Errorf("value = %v", v)
	}
}

func TestRejections(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		name          string
		token, anchor string
		body          string
		status        int
	}{
		{"no bearer", "", anchor, getAlice, 401},
		{"wrong bearer", "bad", anchor, getAlice, 401},
		{"no anchor", "good", "", getAlice, 400},
		{"wrong anchor", "good", "APP:SystemMailbox{x}@other", getAlice, 400},
		{"unknown cmdlet", "good", anchor, `{"CmdletInput":{"CmdletName":"Remove-Mailbox","Parameters":{"Identity":"a"}}}`, 400},
		{"unsupported parameter", "good", anchor, `{"CmdletInput":{"CmdletName":"Set-Mailbox","Parameters":{"Identity":"alice@contoso.com","Type":"Shared","ForwardingAddress":"x"}}}`, 400},
		{"not found", "good", anchor, `{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"nobody@contoso.com"}}}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, tc.token, tc.anchor, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			e, ok := r.body["error"].(map[string]any)
			if !ok || e["code"] == "" {
				t.Errorf("no error body: %s", r.raw)
			}
			if tc.status == 404 {
				d := e["details"].([]any)[0].(map[string]any)["message"].(string)
				if !strings.Contains(d, "|The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found") {
					t.Errorf("detail = %q", d)
				}
			}
		})
	}
	if n := s.Count("get-mailbox"); n != 5 {
		t.Errorf("Count(get-mailbox) = %d, want 5", n)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	s.FailNext(1, 429, "7", "")
	r := post(t, s, "good", anchor, getAlice)
	if r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Errorf("FailNext: %d %q", r.status, r.header.Get("Retry-After"))
	}
	s.FailEvery(3, 503, "")
	var got []int
	for range 6 {
		got = append(got, post(t, s, "good", anchor, getAlice).status)
	}
	if fmt.Sprint(got) != "[200 200 503 200 200 503]" {
		t.Errorf("FailEvery(3): %v", got)
	}
	s.FailEvery(0, 0, "")
	if r := post(t, s, "good", anchor, getAlice); r.status != 200 {
		t.Errorf("after FailEvery(0): %d", r.status)
	}
	// At one call a second, the second call at once is throttled.
	s.Throttle(1)
	if r := post(t, s, "good", anchor, getAlice); r.status != 200 {
		t.Errorf("first call under the throttle: %d", r.status)
	}
	if r := post(t, s, "good", anchor, getAlice); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("second call under the throttle: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if c := s.FaultCounts(); c.Throttled != 1 || c.Injected != 3 || c.Served != 6 {
		t.Errorf("counts %+v, want 6 served, 3 injected, 1 throttled", c)
	}
}

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B (0 bytes)"},
		{1023, "1023 B (1,023 bytes)"},
		{1024, "1.00 KB (1,024 bytes)"},
		{1536, "1.50 KB (1,536 bytes)"},
		{5 << 20, "5.00 MB (5,242,880 bytes)"},
		{15687850951, "14.61 GB (15,687,850,951 bytes)"},
		{1649267441664, "1.50 TB (1,649,267,441,664 bytes)"},
		{1 << 52, "4096.00 TB (4,503,599,627,370,496 bytes)"},
	} {
		if got := FormatSize(tc.n); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func cmdlet(name, params string) string {
	return `{"CmdletInput":{"CmdletName":"` + name + `","Parameters":` + params + `}}`
}

func TestNewCmdletsWireShape(t *testing.T) {
	s := newServer(t)
	value := func(r reply, i int) map[string]any {
		t.Helper()
		vs, ok := r.body["value"].([]any)
		if r.status != 200 || !ok || len(vs) <= i {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		return vs[i].(map[string]any)
	}

	st := value(post(t, s, "good", anchor, cmdlet("Get-MailboxStatistics", `{"Identity":"alice@contoso.com"}`)), 0)
	if st["TotalItemSize"] != "14.61 GB (15,687,850,951 bytes)" || st["ItemCount"] != float64(48211) {
		t.Errorf("statistics = %v", st)
	}

	r := post(t, s, "good", anchor, cmdlet("Get-MailboxPermission", `{"Identity":"alice@contoso.com"}`))
	p := value(r, 1)
	if p["User"] != "Administrator" || p["AccessRights@odata.type"] != "#Collection(String)" ||
		fmt.Sprint(p["AccessRights"]) != "[FullAccess]" || p["IsInherited"] != true || p["Deny"] != true || p["InheritanceType"] != "All" {
		t.Errorf("mailbox permission = %v", p)
	}
	if _, ok := p["AccessRights"].([]any); !ok {
		t.Errorf("AccessRights is not an array: %s", r.raw)
	}

	p = value(post(t, s, "good", anchor, cmdlet("Get-RecipientPermission", `{"Identity":"alice@contoso.com"}`)), 1)
	if p["Trustee"] != "eve@contoso.com" || p["AccessControlType"] != "Deny" || p["AccessRights@odata.type"] != "#Collection(String)" ||
		fmt.Sprint(p["AccessRights"]) != "[SendAs]" {
		t.Errorf("recipient permission = %v", p)
	}
	if _, ok := p["User"]; ok {
		t.Errorf("a recipient permission has a Trustee, not a User: %v", p)
	}
}

func TestNewCmdletsReachBackend(t *testing.T) {
	s, be := newServerBackend(t)
	for _, body := range []string{
		cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob@contoso.com","AccessRights":["FullAccess"],"InheritanceType":"All","AutoMapping":false,"Confirm":false}`),
		cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"carol@contoso.com","AccessRights":"FullAccess"}`),
		cmdlet("Remove-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob@contoso.com","AccessRights":["FullAccess"],"InheritanceType":"All","Confirm":false}`),
		cmdlet("Add-RecipientPermission", `{"Identity":"alice@contoso.com","Trustee":"bob@contoso.com","AccessRights":["SendAs"],"Confirm":false}`),
		cmdlet("Remove-RecipientPermission", `{"Identity":"alice@contoso.com","Trustee":"bob@contoso.com","AccessRights":["SendAs"],"Confirm":false}`),
	} {
		if r := post(t, s, "good", anchor, body); r.status != 200 {
			t.Errorf("%s: status %d: %s", body, r.status, r.raw)
		}
	}
	want := "[AddFullAccess bob@contoso.com false AddFullAccess carol@contoso.com true RemoveFullAccess bob@contoso.com AddSendAs bob@contoso.com RemoveSendAs bob@contoso.com]"
	if got := fmt.Sprint(be.changes); got != want {
		t.Errorf("backend changes = %s, want %s", got, want)
	}
}

func TestNewCmdletsRejections(t *testing.T) {
	s, be := newServerBackend(t)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"statistics: unknown parameter", cmdlet("Get-MailboxStatistics", `{"Identity":"alice@contoso.com","Archive":true}`), 400},
		{"permission: unknown parameter", cmdlet("Get-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob"}`), 400},
		{"add full access: unknown parameter", cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["FullAccess"],"Owner":"x"}`), 400},
		{"add full access: other right", cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["ReadPermission"]}`), 400},
		{"add full access: automapping as text", cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["FullAccess"],"AutoMapping":"false"}`), 400},
		{"add full access: inheritance", cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["FullAccess"],"InheritanceType":"None"}`), 400},
		{"add full access: no user", cmdlet("Add-MailboxPermission", `{"Identity":"alice@contoso.com","AccessRights":["FullAccess"]}`), 400},
		{"remove full access: automapping", cmdlet("Remove-MailboxPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["FullAccess"],"AutoMapping":true}`), 400},
		{"add send as: user not trustee", cmdlet("Add-RecipientPermission", `{"Identity":"alice@contoso.com","User":"bob","AccessRights":["SendAs"]}`), 400},
		{"add send as: confirm as text", cmdlet("Add-RecipientPermission", `{"Identity":"alice@contoso.com","Trustee":"bob","AccessRights":["SendAs"],"Confirm":"false"}`), 400},
		{"remove send as: two rights", cmdlet("Remove-RecipientPermission", `{"Identity":"alice@contoso.com","Trustee":"bob","AccessRights":["SendAs","FullAccess"]}`), 400},
		{"statistics: not found", cmdlet("Get-MailboxStatistics", `{"Identity":"nobody@contoso.com"}`), 404},
		{"add send as: not found", cmdlet("Add-RecipientPermission", `{"Identity":"nobody@contoso.com","Trustee":"bob","AccessRights":["SendAs"],"Confirm":false}`), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "good", anchor, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			e, _ := r.body["error"].(map[string]any)
			ds, _ := e["details"].([]any)
			if len(ds) == 0 {
				t.Fatalf("no error details: %s", r.raw)
			}
			d := ds[0].(map[string]any)["message"].(string)
			if tc.status == 404 && !strings.Contains(d, "|The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found") {
				t.Errorf("detail = %q", d)
			}
		})
	}
	if len(be.changes) != 0 {
		t.Errorf("rejected requests changed the backend: %q", be.changes)
	}
}
