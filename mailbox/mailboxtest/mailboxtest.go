// Package mailboxtest holds the contract test suites of mailbox.Directory and
// mailbox.Exchange, run against every implementation: the in-memory sandbox
// tenant, and the Graph and Exchange clients driven over HTTP against fake
// servers backed by the sandbox.
//
// Each suite calls its factory once per subtest with the seed users, so an
// implementation over HTTP can be built from the same data (real client ->
// fake server -> sandbox.Tenant seeded with the users) and every subtest
// starts from a fresh tenant. The suites assume nothing about object ids
// (they read them back), and they wait for a conversion by reading the
// mailbox again, at most MaxConversionReads times, without sleeping.
//
// What the suites require is what the interfaces document, plus what
// Microsoft does: case-insensitive lookups, mailbox.ErrNotFound for a missing
// user, manager or mailbox (errors.Is), and changes that may be repeated
// without harm.
package mailboxtest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// MaxConversionReads is how many Get-Mailbox reads a conversion may take to
// show. Implementations under test must converge within it (the sandbox
// converges after Options.ConversionLag reads).
const MaxConversionReads = 50

// The seeded tenant, at fabrikam.com.
const (
	groupAllStaff = "0d2f5a8c-3b1e-4f6a-9c7d-5e4b3a2f1c0d"
	unknownUPN    = "nobody@fabrikam.com"
	unknownID     = "00000000-0000-4000-8000-000000000001"
)

// seed returns the users both suites seed, freshly allocated.
func seed() []sandbox.UserSpec {
	return []sandbox.UserSpec{
		{ // the ordinary case; mail differs from the UPN
			UserPrincipalName: "ann@fabrikam.com", DisplayName: "Ann Archer", Mail: "ann.archer@fabrikam.com",
			Alias: "ann.archer", Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
			ManagerUPN: "mia@fabrikam.com",
		},
		{ // already shared, hidden, licensed through a group
			UserPrincipalName: "ben@fabrikam.com", DisplayName: "Ben Baker",
			Licenses:             []mailbox.License{{SkuID: sandbox.SkuMicrosoft365E3, AssignedByGroup: groupAllStaff}},
			RecipientTypeDetails: mailbox.RecipientSharedMailbox, HiddenFromAddressListsEnabled: true,
			ManagerUPN: "mia@fabrikam.com",
		},
		{ // an account without a mailbox
			UserPrincipalName: "cal@fabrikam.com", DisplayName: "Cal Cooper", NoMailbox: true,
		},
		{ // synchronised from on-premises, on hold, with an archive
			UserPrincipalName: "dan@fabrikam.com", DisplayName: "Dan Dijk", OnPremisesSyncEnabled: true,
			Licenses: []mailbox.License{
				{SkuID: sandbox.SkuExchangeOnlinePlan1},
				{SkuID: sandbox.SkuExchangeOnlineArchive},
			},
			LitigationHoldEnabled: true, InPlaceHolds: []string{"UniH7d2b1c3e-5f4a-4b6c-8d9e-0a1b2c3d4e5f"},
			ArchiveStatus: "Active", GrantSendOnBehalfTo: []string{"Ann Archer"}, ManagerUPN: "mia@fabrikam.com",
		},
		{ // sign-in blocked
			UserPrincipalName: "eve@fabrikam.com", DisplayName: "Eve Evers", SignInBlocked: true,
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		},
		{ // a manager without a manager
			UserPrincipalName: "mia@fabrikam.com", DisplayName: "Mia Moss",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		},
	}
}

// TestDirectory runs the contract of mailbox.Directory. newDir returns a
// fresh implementation holding the seed users; it is called once per subtest.
func TestDirectory(t *testing.T, newDir func(t *testing.T, seed []sandbox.UserSpec) mailbox.Directory) {
	ctx := t.Context()
	mustUser := func(t *testing.T, d mailbox.Directory, idOrUPN string) mailbox.User {
		t.Helper()
		u, err := d.User(ctx, idOrUPN)
		if err != nil {
			t.Fatalf("User(%q): %v", idOrUPN, err)
		}
		return u
	}

	t.Run("UserByUPN", func(t *testing.T) {
		d := newDir(t, seed())
		u := mustUser(t, d, "ann@fabrikam.com")
		if u.ID == "" {
			t.Errorf("ID is empty")
		}
		want := mailbox.User{
			ID: u.ID, DisplayName: "Ann Archer", UserPrincipalName: "ann@fabrikam.com",
			Mail: "ann.archer@fabrikam.com", AccountEnabled: true,
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		}
		if !equalUser(u, want) {
			t.Errorf("User = %+v, want %+v", u, want)
		}
	})

	t.Run("UserByIDAndCase", func(t *testing.T) {
		d := newDir(t, seed())
		u := mustUser(t, d, "ann@fabrikam.com")
		for _, key := range []string{u.ID, "ANN@Fabrikam.COM"} {
			if got := mustUser(t, d, key); !equalUser(got, u) {
				t.Errorf("User(%q) = %+v, want %+v", key, got, u)
			}
		}
		other := mustUser(t, d, "mia@fabrikam.com")
		if other.ID == u.ID {
			t.Errorf("two users share the id %s", u.ID)
		}
	})

	t.Run("UserFields", func(t *testing.T) {
		d := newDir(t, seed())
		ben := mustUser(t, d, "ben@fabrikam.com")
		wantLic := []mailbox.License{{SkuID: sandbox.SkuMicrosoft365E3, AssignedByGroup: groupAllStaff}}
		if !slices.Equal(ben.Licenses, wantLic) {
			t.Errorf("ben licenses = %+v, want %+v (assigned by group)", ben.Licenses, wantLic)
		}
		dan := mustUser(t, d, "dan@fabrikam.com")
		if !dan.OnPremisesSyncEnabled {
			t.Errorf("dan OnPremisesSyncEnabled = false, want true")
		}
		if len(dan.Licenses) != 2 {
			t.Errorf("dan licenses = %+v, want 2", dan.Licenses)
		}
		eve := mustUser(t, d, "eve@fabrikam.com")
		if eve.AccountEnabled {
			t.Errorf("eve AccountEnabled = true, want false (sign-in blocked)")
		}
		cal := mustUser(t, d, "cal@fabrikam.com")
		if len(cal.Licenses) != 0 || cal.DisplayName != "Cal Cooper" || !cal.AccountEnabled {
			t.Errorf("cal = %+v, want an enabled, unlicensed Cal Cooper", cal)
		}
	})

	t.Run("UserNotFound", func(t *testing.T) {
		d := newDir(t, seed())
		for _, key := range []string{unknownUPN, unknownID} {
			if u, err := d.User(ctx, key); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("User(%q) = %+v, %v; want ErrNotFound", key, u, err)
			}
		}
	})

	t.Run("Manager", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		mia := mustUser(t, d, "mia@fabrikam.com")
		m, err := d.Manager(ctx, ann.ID)
		if err != nil {
			t.Fatalf("Manager(ann): %v", err)
		}
		if m.ID != mia.ID || m.UserPrincipalName != "mia@fabrikam.com" || m.DisplayName != "Mia Moss" ||
			!strings.EqualFold(m.Email(), "mia@fabrikam.com") {
			t.Errorf("Manager(ann) = %+v, want Mia Moss (%s)", m, mia.ID)
		}
	})

	t.Run("ManagerNone", func(t *testing.T) {
		d := newDir(t, seed())
		mia := mustUser(t, d, "mia@fabrikam.com")
		if m, err := d.Manager(ctx, mia.ID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("Manager(mia) = %+v, %v; want ErrNotFound", m, err)
		}
		if m, err := d.Manager(ctx, unknownID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("Manager(unknown) = %+v, %v; want ErrNotFound", m, err)
		}
	})

	t.Run("SetAccountEnabled", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		for i, enabled := range []bool{false, false, true, true, false} {
			if err := d.SetAccountEnabled(ctx, ann.ID, enabled); err != nil {
				t.Fatalf("call %d: SetAccountEnabled(ann, %v): %v", i, enabled, err)
			}
			if got := mustUser(t, d, ann.ID); got.AccountEnabled != enabled {
				t.Fatalf("call %d: after SetAccountEnabled(%v) AccountEnabled = %v", i, enabled, got.AccountEnabled)
			}
		}
		if mia := mustUser(t, d, "mia@fabrikam.com"); !mia.AccountEnabled {
			t.Errorf("blocking ann blocked mia too")
		}
	})

	t.Run("SetAccountEnabledNotFound", func(t *testing.T) {
		d := newDir(t, seed())
		if err := d.SetAccountEnabled(ctx, unknownID, false); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("SetAccountEnabled(unknown) = %v, want ErrNotFound", err)
		}
	})
}

// TestExchange runs the contract of mailbox.Exchange. newExo returns a fresh
// implementation holding the seed users' mailboxes; it is called once per
// subtest.
func TestExchange(t *testing.T, newExo func(t *testing.T, seed []sandbox.UserSpec) mailbox.Exchange) {
	ctx := t.Context()
	mustGet := func(t *testing.T, x mailbox.Exchange, identity string) mailbox.Mailbox {
		t.Helper()
		mb, err := x.GetMailbox(ctx, identity)
		if err != nil {
			t.Fatalf("GetMailbox(%q): %v", identity, err)
		}
		return mb
	}
	// waitType reads the mailbox until it reports want, at most
	// MaxConversionReads times.
	waitType := func(t *testing.T, x mailbox.Exchange, identity, want string) {
		t.Helper()
		var got string
		for range MaxConversionReads {
			if got = mustGet(t, x, identity).RecipientTypeDetails; got == want {
				return
			}
		}
		t.Fatalf("%s still reports %s after %d reads, want %s", identity, got, MaxConversionReads, want)
	}

	t.Run("GetMailbox", func(t *testing.T) {
		x := newExo(t, seed())
		mb := mustGet(t, x, "ann@fabrikam.com")
		if mb.UserPrincipalName != "ann@fabrikam.com" || mb.DisplayName != "Ann Archer" ||
			!strings.EqualFold(mb.PrimarySMTPAddress, "ann.archer@fabrikam.com") {
			t.Errorf("names = %q %q %q, want ann@fabrikam.com, Ann Archer, ann.archer@fabrikam.com",
				mb.UserPrincipalName, mb.DisplayName, mb.PrimarySMTPAddress)
		}
		if mb.Identity == "" || mb.ExternalDirectoryObjectID == "" {
			t.Errorf("Identity %q, ExternalDirectoryObjectID %q: want both set", mb.Identity, mb.ExternalDirectoryObjectID)
		}
		if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox || mb.IsDirSynced || mb.LitigationHoldEnabled ||
			len(mb.InPlaceHolds) != 0 || mb.ArchiveStatus != "None" || mb.HiddenFromAddressListsEnabled ||
			len(mb.GrantSendOnBehalfTo) != 0 {
			t.Errorf("GetMailbox(ann) = %+v, want a plain visible UserMailbox without holds or archive", mb)
		}
	})

	t.Run("GetMailboxByOtherNames", func(t *testing.T) {
		x := newExo(t, seed())
		want := mustGet(t, x, "ann@fabrikam.com")
		for _, id := range []string{"ANN@fabrikam.com", "Ann.Archer@Fabrikam.com", "ann.archer"} {
			got := mustGet(t, x, id)
			if got.ExternalDirectoryObjectID != want.ExternalDirectoryObjectID || got.UserPrincipalName != want.UserPrincipalName {
				t.Errorf("GetMailbox(%q) = %s (%s), want %s (%s)", id, got.UserPrincipalName,
					got.ExternalDirectoryObjectID, want.UserPrincipalName, want.ExternalDirectoryObjectID)
			}
		}
	})

	t.Run("GetMailboxFields", func(t *testing.T) {
		x := newExo(t, seed())
		ben := mustGet(t, x, "ben@fabrikam.com")
		if ben.RecipientTypeDetails != mailbox.RecipientSharedMailbox || !ben.HiddenFromAddressListsEnabled || ben.IsDirSynced {
			t.Errorf("ben = %+v, want a hidden, cloud-only SharedMailbox", ben)
		}
		dan := mustGet(t, x, "dan@fabrikam.com")
		if dan.RecipientTypeDetails != mailbox.RecipientUserMailbox || !dan.IsDirSynced || !dan.LitigationHoldEnabled ||
			dan.ArchiveStatus != "Active" || dan.HiddenFromAddressListsEnabled {
			t.Errorf("dan = %+v, want a visible, dir-synced UserMailbox on litigation hold with an active archive", dan)
		}
		if want := []string{"UniH7d2b1c3e-5f4a-4b6c-8d9e-0a1b2c3d4e5f"}; !slices.Equal(dan.InPlaceHolds, want) {
			t.Errorf("dan InPlaceHolds = %q, want %q", dan.InPlaceHolds, want)
		}
		if want := []string{"Ann Archer"}; !slices.Equal(dan.GrantSendOnBehalfTo, want) {
			t.Errorf("dan GrantSendOnBehalfTo = %q, want %q", dan.GrantSendOnBehalfTo, want)
		}
	})

	t.Run("GetMailboxNotFound", func(t *testing.T) {
		x := newExo(t, seed())
		// cal exists in the directory but has no mailbox.
		for _, id := range []string{"cal@fabrikam.com", unknownUPN} {
			if mb, err := x.GetMailbox(ctx, id); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("GetMailbox(%q) = %+v, %v; want ErrNotFound", id, mb, err)
			}
		}
	})

	t.Run("SetMailboxType", func(t *testing.T) {
		x := newExo(t, seed())
		if err := x.SetMailboxType(ctx, "ann@fabrikam.com", mailbox.TypeShared); err != nil {
			t.Fatalf("SetMailboxType(ann, Shared): %v", err)
		}
		waitType(t, x, "ann@fabrikam.com", mailbox.RecipientSharedMailbox)
		if mb := mustGet(t, x, "ann@fabrikam.com"); mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
			t.Errorf("after converging, ann reads %s again", mb.RecipientTypeDetails)
		}
		if mb := mustGet(t, x, "mia@fabrikam.com"); mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
			t.Errorf("converting ann changed mia to %s", mb.RecipientTypeDetails)
		}
		if err := x.SetMailboxType(ctx, "ann@fabrikam.com", mailbox.TypeRegular); err != nil {
			t.Fatalf("SetMailboxType(ann, Regular): %v", err)
		}
		waitType(t, x, "ann@fabrikam.com", mailbox.RecipientUserMailbox)
	})

	t.Run("SetMailboxTypeTwice", func(t *testing.T) {
		x := newExo(t, seed())
		for i := range 2 {
			if err := x.SetMailboxType(ctx, "ann@fabrikam.com", mailbox.TypeShared); err != nil {
				t.Fatalf("call %d: SetMailboxType(ann, Shared): %v", i, err)
			}
		}
		waitType(t, x, "ann@fabrikam.com", mailbox.RecipientSharedMailbox)
		if err := x.SetMailboxType(ctx, "ann@fabrikam.com", mailbox.TypeShared); err != nil {
			t.Fatalf("SetMailboxType(ann, Shared) once shared: %v", err)
		}
		waitType(t, x, "ann@fabrikam.com", mailbox.RecipientSharedMailbox)
		// ben was shared from the start: converting it again is harmless
		// and it never reads as anything else.
		if err := x.SetMailboxType(ctx, "ben@fabrikam.com", mailbox.TypeShared); err != nil {
			t.Fatalf("SetMailboxType(ben, Shared): %v", err)
		}
		for range 3 {
			if mb := mustGet(t, x, "ben@fabrikam.com"); mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
				t.Fatalf("ben reads %s after a no-op conversion", mb.RecipientTypeDetails)
			}
		}
	})

	t.Run("SetMailboxTypeNotFound", func(t *testing.T) {
		x := newExo(t, seed())
		for _, id := range []string{"cal@fabrikam.com", unknownUPN} {
			if err := x.SetMailboxType(ctx, id, mailbox.TypeShared); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("SetMailboxType(%q) = %v, want ErrNotFound", id, err)
			}
		}
	})
}

// equalUser compares users field by field, licenses in order.
func equalUser(a, b mailbox.User) bool {
	return a.ID == b.ID && a.DisplayName == b.DisplayName && a.UserPrincipalName == b.UserPrincipalName &&
		strings.EqualFold(a.Mail, b.Mail) && a.AccountEnabled == b.AccountEnabled &&
		a.OnPremisesSyncEnabled == b.OnPremisesSyncEnabled && slices.Equal(a.Licenses, b.Licenses)
}
