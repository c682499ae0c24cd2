package graph

import (
	"errors"
	"slices"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// nestedTenant has the group Finance (finance@) holding Ann, and the group
// Payroll nested in it holding Ben and Ann, and the group Audit nested in
// Payroll holding Cy; Audit holds Finance again (a loop).
func nestedTenant(t *testing.T) *sandbox.Tenant {
	t.Helper()
	finance := sandbox.Group{ID: "f0000000-0000-4000-8000-000000000001", DisplayName: "Finance", Mail: "finance@contoso.com", SecurityEnabled: true}
	payroll := sandbox.Group{ID: "f0000000-0000-4000-8000-000000000002", DisplayName: "Payroll"}
	audit := sandbox.Group{ID: "f0000000-0000-4000-8000-000000000003", DisplayName: "Audit"}
	tn := sandbox.New(sandbox.Options{})
	err := tn.AddUsers(
		sandbox.UserSpec{UserPrincipalName: "ann@contoso.com", DisplayName: "Ann", MemberOf: []sandbox.Group{finance, payroll}},
		sandbox.UserSpec{UserPrincipalName: "ben@contoso.com", DisplayName: "Ben", MemberOf: []sandbox.Group{payroll}},
		sandbox.UserSpec{UserPrincipalName: "cy@contoso.com", DisplayName: "Cy", MemberOf: []sandbox.Group{audit}},
		sandbox.UserSpec{UserPrincipalName: "dee@contoso.com", DisplayName: "Dee"},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range [][2]string{{finance.ID, payroll.ID}, {payroll.ID, audit.ID}, {audit.ID, finance.ID}} {
		if err := tn.AddGroupMember(n[0], n[1]); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

func TestTransitiveMembersNestedAndPaged(t *testing.T) {
	for _, pageSize := range []int{0, 1, 2} {
		tn := nestedTenant(t)
		c, srv := serve(t, Config{}, tn, graphtest.Options{PageSize: pageSize})
		got, err := c.TransitiveMembers(ctx(t), "f0000000-0000-4000-8000-000000000001")
		if err != nil {
			t.Fatalf("page size %d: %v", pageSize, err)
		}
		var upns []string
		for _, p := range got {
			upns = append(upns, p.UserPrincipalName)
			if p.ID == "" || p.Mail != p.UserPrincipalName || !slices.Equal(p.ProxyAddresses, []string{"SMTP:" + p.Mail}) {
				t.Errorf("page size %d: principal %+v", pageSize, p)
			}
		}
		if !slices.Equal(upns, []string{"ann@contoso.com", "ben@contoso.com", "cy@contoso.com"}) {
			t.Errorf("page size %d: members %v", pageSize, upns)
		}
		calls := srv.Calls()
		want := map[int]int{0: 1, 1: 3, 2: 2}[pageSize]
		if len(calls) != want {
			t.Errorf("page size %d: %d calls, want %d: %+v", pageSize, len(calls), want, calls)
		}
		first := calls[0]
		if first.Method != "GET" || first.Path != "/groups/f0000000-0000-4000-8000-000000000001/transitiveMembers/microsoft.graph.user" ||
			first.Query.Get("$select") != "id,displayName,userPrincipalName,mail,proxyAddresses" {
			t.Errorf("call %+v", first)
		}
	}
}

func TestTransitiveMembersUnknownGroup(t *testing.T) {
	c, _ := serve(t, Config{}, nestedTenant(t), graphtest.Options{})
	if _, err := c.TransitiveMembers(ctx(t), "f0000000-0000-4000-8000-00000000000f"); !isNotFound(err) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if _, err := c.TransitiveMembers(ctx(t), ""); !isNotFound(err) {
		t.Errorf("no id: err = %v, want ErrNotFound", err)
	}
}

func isNotFound(err error) bool { return errors.Is(err, mailbox.ErrNotFound) }
