package graphtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// groupsPath is GET /groups with filter, encoded as the SDK does.
func groupsPath(filter string) string {
	return "/groups?$filter=" + url.PathEscape(filter) + "&$select=id,displayName,mail,securityEnabled"
}

func TestParseMailFilter(t *testing.T) {
	for _, tc := range []struct {
		filter, address string
		ok              bool
	}{
		{`mail eq 'sales@contoso.com'`, "sales@contoso.com", true},
		{`mail eq 'o''brien team@contoso.com'`, "o'brien team@contoso.com", true},
		{`mail eq ''''`, "'", true},
		{` mail eq 'a@b' `, "a@b", true},
		{`mail eq 'o'brien@contoso.com'`, "", false},
		{`mail eq sales@contoso.com`, "", false},
		{`mail eq 'sales@contoso.com`, "", false},
		{`displayName eq 'Sales'`, "", false},
		{`mail eq 'a' or mail eq 'b'`, "", false},
		{`startswith(mail,'sales')`, "", false},
		{``, "", false},
	} {
		address, ok, msg := parseMailFilter(tc.filter)
		if address != tc.address || ok != tc.ok || ok == (msg != "") {
			t.Errorf("parseMailFilter(%q) = %q, %t, %q; want %q, %t", tc.filter, address, ok, msg, tc.address, tc.ok)
		}
	}
}

func TestGroupsByMailShape(t *testing.T) {
	s, _ := newServer(t)
	status, _, got := do(t, s, "GET", groupsPath(`mail eq 'o''brien team@contoso.com'`), "tok", nil, false)
	if status != 200 {
		t.Fatalf("status %d: %v", status, got)
	}
	vs, _ := got["value"].([]any)
	if len(vs) != 1 || got["@odata.context"] != s.URL()+"/$metadata#groups(id,displayName,mail,securityEnabled)" {
		t.Fatalf("answer = %v", got)
	}
	want := map[string]any{"id": oneGroupID, "displayName": "Sales", "mail": "o'brien team@contoso.com", "securityEnabled": true}
	if fmt.Sprint(vs[0]) != fmt.Sprint(want) {
		t.Errorf("group = %v, want %v", vs[0], want)
	}

	// No such group: an empty list, not a 404 (the backend's ErrNotFound).
	status, _, got = do(t, s, "GET", groupsPath(`mail eq 'nobody@contoso.com'`), "tok", nil, false)
	if vs, ok := got["value"].([]any); status != 200 || !ok || len(vs) != 0 {
		t.Errorf("no group: %d %v", status, got)
	}
}

func TestGroupsFilterRejected(t *testing.T) {
	s, _ := newServer(t)
	for _, path := range []string{
		groupsPath(`mail eq 'o'brien team@contoso.com'`), // the quote not doubled
		groupsPath(`displayName eq 'Sales'`),
		groupsPath(`mail eq 'sales@contoso.com' or mail eq 'x@contoso.com'`),
		"/groups",
	} {
		status, _, got := do(t, s, "GET", path, "tok", nil, false)
		code, msg := graphError(t, got)
		if status != 400 || code == "" || msg == "" {
			t.Errorf("%s: %d %v", path, status, got)
		}
	}
}

// twoGroups lists two groups for every address.
type twoGroups struct{ *oneUser }

func (twoGroups) GroupsByMail(_ context.Context, address string) ([]mailbox.Group, error) {
	return []mailbox.Group{{ID: "g1", DisplayName: "One", Mail: address}, {ID: "g2", DisplayName: "Two", Mail: address}}, nil
}

func TestGroupsByMailListerPaged(t *testing.T) {
	s := New(twoGroups{&oneUser{}}, Options{PageSize: 1})
	t.Cleanup(s.Close)
	status, _, got := do(t, s, "GET", groupsPath(`mail eq 'x@contoso.com'`), "tok", nil, false)
	next, _ := got["@odata.nextLink"].(string)
	if vs, _ := got["value"].([]any); status != 200 || len(vs) != 1 || next == "" {
		t.Fatalf("page 1: %d %v", status, got)
	}
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("$filter") != `mail eq 'x@contoso.com'` {
		t.Fatalf("next link %q loses the filter", next)
	}
	status, _, got = do(t, s, "GET", strings.TrimPrefix(next, s.URL()), "tok", nil, false)
	vs, _ := got["value"].([]any)
	if status != 200 || len(vs) != 1 || vs[0].(map[string]any)["id"] != "g2" || got["@odata.nextLink"] != nil {
		t.Errorf("page 2: %d %v", status, got)
	}
}

func TestGroupMembersShape(t *testing.T) {
	s, _ := newServer(t)
	for _, seg := range []string{"microsoft.graph.user", "graph.user"} {
		status, _, got := do(t, s, "GET", "/groups/"+oneGroupID+"/members/"+seg+"?$select=id,mail,accountEnabled", "tok", nil, false)
		vs, _ := got["value"].([]any)
		if status != 200 || len(vs) != 1 {
			t.Fatalf("%s: %d %v", seg, status, got)
		}
		want := map[string]any{"@odata.type": "#microsoft.graph.user", "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
			"mail": "alice@contoso.com", "accountEnabled": true}
		if fmt.Sprint(vs[0]) != fmt.Sprint(want) || got["@odata.context"] != s.URL()+"/$metadata#users(id,mail,accountEnabled)" {
			t.Errorf("%s: %v", seg, got)
		}
	}

	status, _, got := do(t, s, "GET", "/groups/nope/members/microsoft.graph.user", "tok", nil, false)
	if code, _ := graphError(t, got); status != 404 || code != "Request_ResourceNotFound" {
		t.Errorf("unknown group: %d %v", status, got)
	}
	status, _, got = do(t, s, "GET", "/groups/"+oneGroupID+"/members/microsoft.graph.user?$filter=accountEnabled%20eq%20true", "tok", nil, false)
	if code, _ := graphError(t, got); status != 400 || code != "Request_UnsupportedQuery" {
		t.Errorf("filtered members: %d %v", status, got)
	}
	if status, _, _ := do(t, s, "POST", "/groups/"+oneGroupID+"/members/microsoft.graph.user", "tok", []byte(`{}`), false); status != 405 {
		t.Errorf("POST members: %d", status)
	}
}

func TestTransitiveMembersShape(t *testing.T) {
	s, _ := newServer(t)
	for _, seg := range []string{"microsoft.graph.user", "graph.user"} {
		status, _, got := do(t, s, "GET", "/groups/"+oneGroupID+"/transitiveMembers/"+seg+"?$select=id,userPrincipalName,mail,proxyAddresses", "tok", nil, false)
		vs, _ := got["value"].([]any)
		if status != 200 || len(vs) != 1 {
			t.Fatalf("%s: %d %v", seg, status, got)
		}
		want := map[string]any{"@odata.type": "#microsoft.graph.user", "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
			"userPrincipalName": "alice@contoso.com", "mail": "alice@contoso.com",
			"proxyAddresses": []any{"SMTP:alice@contoso.com", "smtp:a.andersen@contoso.com"}}
		if fmt.Sprint(vs[0]) != fmt.Sprint(want) || got["@odata.context"] != s.URL()+"/$metadata#users(id,userPrincipalName,mail,proxyAddresses)" {
			t.Errorf("%s: %v", seg, got)
		}
	}
	status, _, got := do(t, s, "GET", "/groups/nope/transitiveMembers/microsoft.graph.user", "tok", nil, false)
	if code, _ := graphError(t, got); status != 404 || code != "Request_ResourceNotFound" {
		t.Errorf("unknown group: %d %v", status, got)
	}
}
