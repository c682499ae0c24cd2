package graph

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
)

const (
	salesID = "a1b2c3d4-0000-4000-8000-000000000001"
	teamID  = "a1b2c3d4-0000-4000-8000-000000000002"
	dupID   = "a1b2c3d4-0000-4000-8000-000000000003"
)

var mailGroups = []mailbox.Group{
	{ID: salesID, DisplayName: "Sales", Mail: "sales@contoso.com", SecurityEnabled: true},
	{ID: teamID, DisplayName: "O'Brien Team", Mail: "o'brien team@contoso.com"},
}

func TestGroupByMail(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	dir.mailGrps = mailGroups

	// A quote and a space: an OData literal with the quote doubled.
	g, err := c.GroupByMail(ctx(t), "o'brien team@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if g != mailGroups[1] {
		t.Errorf("GroupByMail = %+v, want %+v", g, mailGroups[1])
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls = %+v", calls)
	}
	call := calls[0]
	if call.Method != "GET" || call.Path != "/groups" ||
		call.Query.Get("$filter") != `mail eq 'o''brien team@contoso.com'` ||
		call.Query.Get("$select") != "id,displayName,mail,securityEnabled" {
		t.Errorf("call = %+v", call)
	}
	// The filter travels URL-encoded, the quotes and the space included.
	if !strings.Contains(call.RawQuery, "$filter=mail%20eq%20%27o%27%27brien%20team%40contoso.com%27") {
		t.Errorf("raw query = %s", call.RawQuery)
	}

	g, err = c.GroupByMail(ctx(t), "SALES@contoso.com")
	if err != nil || g != mailGroups[0] {
		t.Errorf("GroupByMail(SALES) = %+v, %v", g, err)
	}
}

func TestGroupByMailNotFound(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	dir.mailGrps = mailGroups
	// "o'brien" must not match "o'brien team": the literal is exact.
	for _, address := range []string{"nobody@contoso.com", "o'brien@contoso.com"} {
		_, err := c.GroupByMail(ctx(t), address)
		if !errors.Is(err, mailbox.ErrNotFound) || errors.Is(err, ErrAmbiguous) {
			t.Errorf("GroupByMail(%q): err = %v, want ErrNotFound", address, err)
		}
	}
	if _, err := c.GroupByMail(ctx(t), ""); !errors.Is(err, mailbox.ErrInvalidAddress) {
		t.Errorf("empty address: err = %v", err)
	}
	if n := srv.Count("GET", "/groups"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestGroupByMailTwoFound(t *testing.T) {
	for _, pageSize := range []int{0, 1} {
		c, srv, dir := setupWith(t, Config{}, graphtest.Options{PageSize: pageSize})
		dir.mailGrps = append(append([]mailbox.Group{}, mailGroups...),
			mailbox.Group{ID: dupID, DisplayName: "Sales (old)", Mail: "sales@contoso.com"})
		_, err := c.GroupByMail(ctx(t), "sales@contoso.com")
		if !errors.Is(err, ErrAmbiguous) || errors.Is(err, mailbox.ErrNotFound) ||
			!strings.Contains(err.Error(), salesID) || !strings.Contains(err.Error(), dupID) {
			t.Errorf("page size %d: err = %v, want ErrAmbiguous naming both", pageSize, err)
		}
		if want := map[int]int{0: 1, 1: 2}[pageSize]; srv.Count("GET", "/groups") != want {
			t.Errorf("page size %d: %d calls, want %d", pageSize, srv.Count("GET", "/groups"), want)
		}
	}
}

func TestGroupMembers(t *testing.T) {
	disabled := obrien
	disabled.AccountEnabled = false
	c, srv, dir := setupWith(t, Config{}, graphtest.Options{PageSize: 2})
	dir.users[disabled.ID] = disabled
	dir.members[salesID] = []string{alice.ID, bob.ID, obrien.ID}
	dir.members[teamID] = []string{}

	got, err := c.GroupMembers(ctx(t), salesID)
	if err != nil {
		t.Fatal(err)
	}
	// Only the selected properties: no licenses, no sync state.
	want := []mailbox.User{
		{ID: alice.ID, DisplayName: alice.DisplayName, UserPrincipalName: alice.UserPrincipalName, Mail: alice.Mail, AccountEnabled: true},
		{ID: bob.ID, DisplayName: bob.DisplayName, UserPrincipalName: bob.UserPrincipalName, Mail: bob.Mail, AccountEnabled: true},
		{ID: obrien.ID, DisplayName: obrien.DisplayName, UserPrincipalName: obrien.UserPrincipalName},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupMembers:\n got %+v\nwant %+v", got, want)
	}
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 pages: %+v", len(calls), calls)
	}
	for i, call := range calls {
		if call.Method != "GET" || call.Path != "/groups/"+salesID+"/members/microsoft.graph.user" || call.Status != 200 ||
			call.Query.Get("$select") != "id,displayName,userPrincipalName,mail,accountEnabled" {
			t.Errorf("call %d = %+v", i, call)
		}
		if tok := call.Query.Get("$skiptoken"); (i == 0) != (tok == "") {
			t.Errorf("call %d: $skiptoken %q", i, tok)
		}
	}

	got, err = c.GroupMembers(ctx(t), teamID)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty group: %+v, %v", got, err)
	}
}

func TestGroupMembersNotFound(t *testing.T) {
	c, _, _ := setup(t, Config{})
	const unknown = "00000000-1111-2222-3333-444444444444"
	_, err := c.GroupMembers(ctx(t), unknown)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if re := remote(t, err); re.Status != 404 || re.Code != "Request_ResourceNotFound" ||
		re.Op != "GET /groups/"+unknown+"/members/microsoft.graph.user" {
		t.Errorf("RemoteError = %+v", re)
	}
	if _, err := c.GroupMembers(ctx(t), ""); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("empty id: err = %v", err)
	}
}
