package exchangetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestSharedCmdletsWireShape(t *testing.T) {
	s, be := newServerBackend(t)
	value := func(r reply, i int) map[string]any {
		t.Helper()
		vs, ok := r.body["value"].([]any)
		if r.status != 200 || !ok || len(vs) <= i {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		return vs[i].(map[string]any)
	}

	m := value(post(t, s, "good", anchor, cmdlet("New-Mailbox",
		`{"Shared":true,"Name":"Sales","DisplayName":"Sales Team","PrimarySmtpAddress":"o'brien sales@contoso.com","Confirm":false}`)), 0)
	if m["Identity"] != "Sales" || m["DisplayName"] != "Sales Team" || m["PrimarySmtpAddress"] != "o'brien sales@contoso.com" ||
		m["RecipientTypeDetails"] != "SharedMailbox" || m["GrantSendOnBehalfTo@odata.type"] != "#Collection(String)" {
		t.Errorf("new mailbox = %v", m)
	}
	// DisplayName defaults to Name.
	value(post(t, s, "good", anchor, cmdlet("New-Mailbox", `{"Shared":true,"Name":"Help","PrimarySmtpAddress":"help@contoso.com"}`)), 0)
	want := "[NewSharedMailbox Sales|Sales Team|o'brien sales@contoso.com NewSharedMailbox Help|Help|help@contoso.com]"
	if got := fmt.Sprint(be.changes); got != want {
		t.Errorf("backend changes = %s, want %s", got, want)
	}

	r := post(t, s, "good", anchor, cmdlet("Get-AcceptedDomain", `{}`))
	d0, d1 := value(r, 0), value(r, 1)
	if d0["DomainName"] != "contoso.com" || d0["DomainType"] != "Authoritative" || d0["Default"] != true ||
		d1["DomainName"] != "contoso.onmicrosoft.com" || d1["Default"] != false || d1["InitialDomain"] != true {
		t.Errorf("accepted domains = %s", r.raw)
	}

	rc := value(post(t, s, "good", anchor, cmdlet("Get-Recipient", `{"Identity":"alice@contoso.com"}`)), 0)
	if rc["Identity"] != "Alice" || rc["RecipientTypeDetails"] != "UserMailbox" || fmt.Sprint(rc["EmailAddresses"]) != "[SMTP:alice@contoso.com]" {
		t.Errorf("recipient = %v", rc)
	}
	rc = value(post(t, s, "good", anchor, cmdlet("Get-Recipient", `{"Identity":"team@contoso.com"}`)), 0)
	if rc["PrimarySmtpAddress"] != "team@contoso.com" {
		t.Errorf("recipient = %v", rc)
	}
}

// detailOf returns details[0].message of an error answer.
func detailOf(t *testing.T, r reply) string {
	t.Helper()
	e, _ := r.body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	if len(ds) == 0 {
		t.Fatalf("no error details: %s", r.raw)
	}
	return ds[0].(map[string]any)["message"].(string)
}

func TestRecipientNotFound(t *testing.T) {
	s := newServer(t)
	r := post(t, s, "good", anchor, cmdlet("Get-Recipient", `{"Identity":"o'brien x@contoso.com"}`))
	if r.status != 404 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	d := detailOf(t, r)
	if !strings.HasPrefix(d, "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|") ||
		!strings.Contains(d, "object 'o'brien x@contoso.com' couldn't be found") {
		t.Errorf("detail = %q", d)
	}
}

func TestAddressTaken(t *testing.T) {
	s, be := newServerBackend(t)
	r := post(t, s, "good", anchor, cmdlet("New-Mailbox", `{"Shared":true,"Name":"A","DisplayName":"A","PrimarySmtpAddress":"alice@contoso.com","Confirm":false}`))
	if r.status != 400 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	want := `Ex8A5B9E|Microsoft.Exchange.Management.Tasks.WLCDManagedMemberExistsException|The proxy address "SMTP:alice@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`
	if d := detailOf(t, r); d != want {
		t.Errorf("detail\n got %q\nwant %q", d, want)
	}
	if len(be.changes) != 0 {
		t.Errorf("backend changed: %q", be.changes)
	}

	// A backend giving the whole detail (AddressTakenError) is passed as is.
	s.Handle("New-Mailbox", func(_ context.Context, _ map[string]any) ([]any, []string, error) {
		return nil, nil, AddressTakenError("alice@contoso.com")
	})
	r = post(t, s, "good", anchor, cmdlet("New-Mailbox", `{"Shared":true,"Name":"A","PrimarySmtpAddress":"alice@contoso.com"}`))
	if d := detailOf(t, r); r.status != 400 || d != want {
		t.Errorf("AddressTakenError: %d %q", r.status, d)
	}
}

func TestSendOnBehalfHashtable(t *testing.T) {
	s, be := newServerBackend(t)
	for _, params := range []string{
		`{"Identity":"alice@contoso.com","GrantSendOnBehalfTo":{"@odata.type":"#Exchange.GenericHashTable","Add":["bob@contoso.com","o'brien x@contoso.com"]},"Confirm":false}`,
		`{"Identity":"alice@contoso.com","GrantSendOnBehalfTo":{"@odata.type":"#Exchange.GenericHashTable","Remove":"bob@contoso.com"}}`,
		`{"Identity":"alice@contoso.com","GrantSendOnBehalfTo":{"@odata.type":"#Exchange.GenericHashTable","add":["carol@contoso.com"],"remove":["dave@contoso.com"]}}`,
	} {
		if r := post(t, s, "good", anchor, cmdlet("Set-Mailbox", params)); r.status != 200 {
			t.Errorf("%s: status %d: %s", params, r.status, r.raw)
		}
	}
	want := `[SetSendOnBehalf ["bob@contoso.com" "o'brien x@contoso.com"] [] SetSendOnBehalf [] ["bob@contoso.com"] SetSendOnBehalf ["carol@contoso.com"] ["dave@contoso.com"]]`
	if got := fmt.Sprint(be.changes); got != want {
		t.Errorf("backend changes\n got %s\nwant %s", got, want)
	}
	// oneMailbox's Get-Mailbox does not change: Exchange's no-change warning.
	r := post(t, s, "good", anchor, cmdlet("Set-Mailbox", `{"Identity":"alice@contoso.com","GrantSendOnBehalfTo":{"@odata.type":"#Exchange.GenericHashTable","Add":"bob@contoso.com"}}`))
	if ws, _ := r.body["@adminapi.warnings"].([]any); len(ws) != 1 || !strings.Contains(fmt.Sprint(ws[0]), "no settings of 'Alice' have been modified") {
		t.Errorf("warnings = %s", r.raw)
	}
}

func TestSharedCmdletsRejections(t *testing.T) {
	s, be := newServerBackend(t)
	sob := func(table string) string {
		return cmdlet("Set-Mailbox", `{"Identity":"alice@contoso.com","GrantSendOnBehalfTo":`+table+`,"Confirm":false}`)
	}
	for _, tc := range []struct{ name, body string }{
		{"hashtable without @odata.type", sob(`{"Add":["bob@contoso.com"]}`)},
		{"hashtable of another type", sob(`{"@odata.type":"#Exchange.Hashtable","Add":["bob@contoso.com"]}`)},
		{"plain list", sob(`["bob@contoso.com"]`)},
		{"unknown key", sob(`{"@odata.type":"#Exchange.GenericHashTable","Replace":["bob@contoso.com"]}`)},
		{"empty hashtable", sob(`{"@odata.type":"#Exchange.GenericHashTable"}`)},
		{"empty lists", sob(`{"@odata.type":"#Exchange.GenericHashTable","Add":[],"Remove":[]}`)},
		{"not a string", sob(`{"@odata.type":"#Exchange.GenericHashTable","Add":[1]}`)},
		{"empty recipient", sob(`{"@odata.type":"#Exchange.GenericHashTable","Add":[""]}`)},
		{"set-mailbox with nothing to set", cmdlet("Set-Mailbox", `{"Identity":"alice@contoso.com","Confirm":false}`)},
		{"set-mailbox type as bool", cmdlet("Set-Mailbox", `{"Identity":"alice@contoso.com","Type":true}`)},
		{"new-mailbox: shared as text", cmdlet("New-Mailbox", `{"Shared":"true","Name":"S","PrimarySmtpAddress":"s@contoso.com"}`)},
		{"new-mailbox: not shared", cmdlet("New-Mailbox", `{"Shared":false,"Name":"S","PrimarySmtpAddress":"s@contoso.com"}`)},
		{"new-mailbox: no shared", cmdlet("New-Mailbox", `{"Name":"S","PrimarySmtpAddress":"s@contoso.com"}`)},
		{"new-mailbox: no name", cmdlet("New-Mailbox", `{"Shared":true,"PrimarySmtpAddress":"s@contoso.com"}`)},
		{"new-mailbox: no address", cmdlet("New-Mailbox", `{"Shared":true,"Name":"S"}`)},
		{"new-mailbox: unknown parameter", cmdlet("New-Mailbox", `{"Shared":true,"Name":"S","PrimarySmtpAddress":"s@contoso.com","Alias":"s"}`)},
		{"new-mailbox: confirm as text", cmdlet("New-Mailbox", `{"Shared":true,"Name":"S","PrimarySmtpAddress":"s@contoso.com","Confirm":"false"}`)},
		{"accepted domain: parameter", cmdlet("Get-AcceptedDomain", `{"Identity":"contoso.com"}`)},
		{"recipient: unknown parameter", cmdlet("Get-Recipient", `{"Identity":"alice@contoso.com","RecipientType":"UserMailbox"}`)},
		{"recipient: no identity", cmdlet("Get-Recipient", `{}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "good", anchor, tc.body)
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.raw)
			}
			if d := detailOf(t, r); !strings.Contains(d, "ParameterBindingException") {
				t.Errorf("detail = %q", d)
			}
		})
	}
	if len(be.changes) != 0 {
		t.Errorf("rejected requests changed the backend: %q", be.changes)
	}
}
