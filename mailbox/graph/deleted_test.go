package graph

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
)

var (
	averyOld = mailbox.DeletedUser{User: mailbox.User{
		ID: "dddddddd-3333-4444-5555-eeeeeeeeeeee", DisplayName: "Avery Smith",
		UserPrincipalName: "AveryS@contoso.com", Mail: "AveryS@contoso.com",
		Licenses: []mailbox.License{{SkuID: skuE3}},
	}, DeletedAt: time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)}
	// The same address, deleted again later: the newest wins.
	averyNew = mailbox.DeletedUser{User: mailbox.User{
		ID: "aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb", DisplayName: "Avery Smith",
		UserPrincipalName: "AveryS@contoso.com", Mail: "AveryS@contoso.com", AccountEnabled: true,
		Licenses: []mailbox.License{{SkuID: skuE3}, {SkuID: skuEOP2, AssignedByGroup: groupID}},
	}, DeletedAt: time.Date(2026, 11, 14, 16, 30, 0, 0, time.UTC)}
	// A UPN ending in the one looked for, which is not it.
	decoy = mailbox.DeletedUser{User: mailbox.User{
		ID: "eeeeeeee-5555-4666-8777-ffffffffffff", DisplayName: "Mallory",
		UserPrincipalName: "mallory.averys@contoso.com",
	}, DeletedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	// Found by mail: mail and UPN differ.
	carol = mailbox.DeletedUser{User: mailbox.User{
		ID: "cccccccc-2222-4333-8444-dddddddddddd", DisplayName: "Carol Cruz",
		UserPrincipalName: "carol@contoso.com", Mail: "carol.cruz@contoso.com", OnPremisesSyncEnabled: true,
	}, DeletedAt: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)}
)

func withDeleted(dir *directory) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	dir.deleted = []mailbox.DeletedUser{averyOld, decoy, averyNew, carol}
}

func TestDeletedUser(t *testing.T) {
	for _, opts := range []graphtest.Options{{}, {CompactDeletedUPN: true}, {PageSize: 1}} {
		c, srv, dir := setupWith(t, Config{}, opts)
		withDeleted(dir)
		for _, tc := range []struct {
			upn  string
			want mailbox.DeletedUser
		}{
			{"averys@contoso.com", averyNew},
			{"AveryS@contoso.com", averyNew},
			{"carol.cruz@contoso.com", carol},
		} {
			got, err := c.DeletedUser(ctx(t), tc.upn)
			if err != nil {
				t.Fatalf("%+v %s: %v", opts, tc.upn, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%+v %s:\n got %+v\nwant %+v", opts, tc.upn, got, tc.want)
			}
		}
		for _, upn := range []string{"carol@contoso.com.evil", "nobody@contoso.com", "contoso.com"} {
			if _, err := c.DeletedUser(ctx(t), upn); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("%+v %s: err = %v, want ErrNotFound", opts, upn, err)
			}
		}

		calls := srv.Calls()
		pages := 1
		if opts.PageSize == 1 {
			pages = 4
		}
		if len(calls) != 6*pages {
			t.Errorf("%+v: %d calls, want %d", opts, len(calls), 6*pages)
		}
		for _, call := range calls[:pages] {
			if call.Method != "GET" || call.Path != "/directory/deletedItems/microsoft.graph.user" || call.Status != 200 ||
				call.Query.Get("$select") != "id,displayName,userPrincipalName,mail,proxyAddresses,accountEnabled,onPremisesSyncEnabled,assignedLicenses,licenseAssignmentStates,signInSessionsValidFromDateTime,deletedDateTime" {
				t.Errorf("%+v: call = %+v", opts, call)
			}
		}
	}
}

// A deleted user's UPN starts with its object id, with or without dashes,
// in either case; a UPN without it is left alone.
func TestStripIDPrefix(t *testing.T) {
	for _, tc := range []struct {
		upn, id, want string
		ok            bool
	}{
		{"dddddddd-3333-4444-5555-eeeeeeeeeeeeAveryS@contoso.com", "dddddddd-3333-4444-5555-eeeeeeeeeeee", "AveryS@contoso.com", true},
		{"dddddddd333344445555eeeeeeeeeeeeAveryS@contoso.com", "dddddddd-3333-4444-5555-eeeeeeeeeeee", "AveryS@contoso.com", true},
		{"DDDDDDDD333344445555EEEEEEEEEEEEAveryS@contoso.com", "dddddddd-3333-4444-5555-eeeeeeeeeeee", "AveryS@contoso.com", true},
		{"AveryS@contoso.com", "dddddddd-3333-4444-5555-eeeeeeeeeeee", "AveryS@contoso.com", false},
		{"dddddddd-3333-4444-5555-eeeeeeeeeeee", "dddddddd-3333-4444-5555-eeeeeeeeeeee", "dddddddd-3333-4444-5555-eeeeeeeeeeee", false},
	} {
		got, ok := stripIDPrefix(tc.upn, tc.id)
		if got != tc.want || ok != tc.ok {
			t.Errorf("stripIDPrefix(%q) = %q, %v; want %q, %v", tc.upn, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRestoreDeletedUser(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	withDeleted(dir)
	if err := c.RestoreDeletedUser(ctx(t), averyOld.ID); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/directory/deletedItems/"+averyOld.ID+"/restore" || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
	dir.mu.Lock()
	restored := slices.Clone(dir.restored)
	dir.mu.Unlock()
	if !reflect.DeepEqual(restored, []string{averyOld.ID}) {
		t.Errorf("restored %v, want only %s", restored, averyOld.ID)
	}
	if u, err := c.User(ctx(t), averyOld.ID); err != nil || u.UserPrincipalName != "AveryS@contoso.com" {
		t.Errorf("restored user = %+v, %v", u, err)
	}

	err := c.RestoreDeletedUser(ctx(t), averyOld.ID)
	if !errors.Is(err, mailbox.ErrNotFound) || remote(t, err).Op != "POST /directory/deletedItems/"+averyOld.ID+"/restore" {
		t.Errorf("restored twice: err = %v, want ErrNotFound", err)
	}
}
