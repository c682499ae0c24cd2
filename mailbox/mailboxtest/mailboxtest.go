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
// user, manager, group, deleted user, mailbox or trustee (errors.Is),
// Microsoft's own text in a *mailbox.RemoteError for a refused license
// change, grants that may be repeated without harm, and mailbox permission
// lists that hold Exchange's own entries besides the grants (the suites
// filter them as callers must).
//
// The seed carries the tenant-wide data too (subscriptions in
// UserSpec.Skus, groups and their members in UserSpec.MemberOf: All Staff
// without mail, and the mail-enabled security group sales@fabrikam.com)
// and a user deleted three days ago (UserSpec.Deleted). The tenant's
// accepted domains must include fabrikam.com, not example.org;
// support@fabrikam.com is free. A new shared mailbox, like a restored
// user's, must show within MaxConversionReads Get-Mailbox reads (and its
// account within as many User reads); creating a taken address must fail
// with Microsoft's text naming the address. GrantSendOnBehalfTo may list a
// trustee by UPN, display name or alias. TestRecovery needs both
// interfaces over one tenant.
package mailboxtest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	groupSales    = "5b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f" // sales@, members ann, mia, gus (deleted)
	salesMail     = "sales@fabrikam.com"
	freeAddress   = "support@fabrikam.com" // no one has it
	unknownUPN    = "nobody@fabrikam.com"
	unknownID     = "00000000-0000-4000-8000-000000000001"
	annSize       = 15_687_850_951 // bytes
	annItems      = 48211
	deletedAgo    = 3 * 24 * time.Hour // gus
)

// skus returns the tenant's subscriptions. Consumed counts units held
// outside the seed; with the seeded users: E3 6 of 10, SPE_E3 5 of 5 (ben),
// Plan 1 1 of 1 (dan), Archiving 1 of 5 (dan), Power BI 0 of 100.
func skus() []mailbox.Sku {
	return []mailbox.Sku{
		{ID: sandbox.SkuOffice365E3, PartNumber: "ENTERPRISEPACK", Enabled: 10, Consumed: 3,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "TEAMS1"}},
		{ID: sandbox.SkuMicrosoft365E3, PartNumber: "SPE_E3", Enabled: 5, Consumed: 4,
			ServicePlans: []string{mailbox.PlanExchangeOnline2, "SHAREPOINTENTERPRISE", "INTUNE_A"}},
		{ID: sandbox.SkuExchangeOnlinePlan1, PartNumber: "EXCHANGESTANDARD", Enabled: 1,
			ServicePlans: []string{mailbox.PlanExchangeOnline1}},
		{ID: sandbox.SkuExchangeOnlineArchive, PartNumber: "EXCHANGEARCHIVE_ADDON", Enabled: 5,
			ServicePlans: []string{mailbox.PlanExchangeOnlineArchive}},
		{ID: sandbox.SkuPowerBIStandard, PartNumber: "POWER_BI_STANDARD", Enabled: 100,
			ServicePlans: []string{"BI_AZURE_P0"}},
	}
}

// sales is the mail-enabled security group of the seed.
var sales = sandbox.Group{ID: groupSales, DisplayName: "Fabrikam Sales", Mail: salesMail, SecurityEnabled: true}

// seed returns the users both suites seed, freshly allocated.
func seed() []sandbox.UserSpec {
	return []sandbox.UserSpec{
		{ // the ordinary case; mail differs from the UPN. Brings the SKUs.
			UserPrincipalName: "ann@fabrikam.com", DisplayName: "Ann Archer", Mail: "ann.archer@fabrikam.com",
			Alias: "ann.archer", Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
			ManagerUPN: "mia@fabrikam.com", MailboxSizeBytes: annSize, MailboxItemCount: annItems,
			Skus: skus(), MemberOf: []sandbox.Group{sales},
		},
		{ // already shared, hidden, licensed through a group
			UserPrincipalName: "ben@fabrikam.com", DisplayName: "Ben Baker",
			Licenses:             []mailbox.License{{SkuID: sandbox.SkuMicrosoft365E3, AssignedByGroup: groupAllStaff}},
			MemberOf:             []sandbox.Group{{ID: groupAllStaff, DisplayName: "All Staff"}},
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
			ArchiveStatus: "Active", AutoExpandingArchiveEnabled: true,
			GrantSendOnBehalfTo: []string{"Ann Archer"}, ManagerUPN: "mia@fabrikam.com",
		},
		{ // sign-in blocked
			UserPrincipalName: "eve@fabrikam.com", DisplayName: "Eve Evers", SignInBlocked: true,
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
		},
		{ // a manager without a manager
			UserPrincipalName: "mia@fabrikam.com", DisplayName: "Mia Moss",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}},
			MemberOf: []sandbox.Group{sales},
		},
		{ // deleted three days ago, with a mailbox; mail differs from the UPN
			UserPrincipalName: "gus@fabrikam.com", DisplayName: "Gus Grant", Mail: "gus.grant@fabrikam.com",
			Licenses: []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}, ManagerUPN: "mia@fabrikam.com",
			Deleted: true, DeletedAgo: deletedAgo, MemberOf: []sandbox.Group{sales},
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

	// skuOf reads the subscriptions and returns the one with the id.
	skuOf := func(t *testing.T, d mailbox.Directory, id string) mailbox.Sku {
		t.Helper()
		all, err := d.SubscribedSkus(ctx)
		if err != nil {
			t.Fatalf("SubscribedSkus: %v", err)
		}
		for _, s := range all {
			if strings.EqualFold(s.ID, id) {
				return s
			}
		}
		t.Fatalf("SubscribedSkus has no %s: %+v", id, all)
		return mailbox.Sku{}
	}
	// refused checks a license change refused with Graph's 400 and its text.
	refused := func(t *testing.T, err error, text string) {
		t.Helper()
		var re *mailbox.RemoteError
		if !errors.As(err, &re) || re.Status != 400 || !strings.Contains(re.Message, text) {
			t.Errorf("AssignLicenses = %#v, want a 400 RemoteError saying %q", err, text)
		}
	}

	t.Run("SubscribedSkus", func(t *testing.T) {
		d := newDir(t, seed())
		all, err := d.SubscribedSkus(ctx)
		if err != nil {
			t.Fatalf("SubscribedSkus: %v", err)
		}
		var ids []string
		for _, s := range all {
			ids = append(ids, strings.ToLower(s.ID))
		}
		for _, s := range skus() {
			if !slices.Contains(ids, s.ID) {
				t.Errorf("SubscribedSkus lacks %s (%s): %+v", s.PartNumber, s.ID, all)
			}
		}
		e3 := skuOf(t, d, sandbox.SkuOffice365E3)
		if e3.PartNumber != "ENTERPRISEPACK" || e3.Enabled != 10 || e3.Consumed != 6 || e3.Free() != 4 ||
			!e3.HasExchange() || e3.AppliesTo != "User" || e3.CapabilityStatus != "Enabled" {
			t.Errorf("E3 = %+v, want ENTERPRISEPACK, 6 of 10 used, with Exchange, for users, enabled", e3)
		}
		if p1 := skuOf(t, d, sandbox.SkuExchangeOnlinePlan1); p1.Free() != 0 || p1.Consumed != 1 ||
			!slices.Equal(p1.ServicePlans, []string{mailbox.PlanExchangeOnline1}) {
			t.Errorf("Plan 1 = %+v, want its only unit used by dan, plan %s", p1, mailbox.PlanExchangeOnline1)
		}
		if bi := skuOf(t, d, sandbox.SkuPowerBIStandard); bi.HasExchange() || bi.Free() != 100 {
			t.Errorf("Power BI = %+v, want 100 free units without Exchange", bi)
		}
		if ar := skuOf(t, d, sandbox.SkuExchangeOnlineArchive); ar.HasExchange() || ar.Consumed != 1 {
			t.Errorf("Archiving = %+v, want an add-on without a mailbox, used by dan", ar)
		}
	})

	t.Run("AssignLicenses", func(t *testing.T) {
		d := newDir(t, seed())
		cal := mustUser(t, d, "cal@fabrikam.com")
		before := skuOf(t, d, sandbox.SkuOffice365E3).Consumed
		if err := d.AssignLicenses(ctx, cal.ID, []string{sandbox.SkuOffice365E3}, nil); err != nil {
			t.Fatalf("AssignLicenses(cal, +E3): %v", err)
		}
		if got, want := mustUser(t, d, cal.ID).Licenses, []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}; !slices.Equal(got, want) {
			t.Errorf("cal licenses = %+v, want %+v", got, want)
		}
		if got := skuOf(t, d, sandbox.SkuOffice365E3).Consumed; got != before+1 {
			t.Errorf("E3 consumed = %d after assigning, want %d", got, before+1)
		}
		if err := d.AssignLicenses(ctx, cal.ID, nil, []string{sandbox.SkuOffice365E3}); err != nil {
			t.Fatalf("AssignLicenses(cal, -E3): %v", err)
		}
		if got := mustUser(t, d, cal.ID).Licenses; len(got) != 0 {
			t.Errorf("cal licenses = %+v after removing, want none", got)
		}
		if got := skuOf(t, d, sandbox.SkuOffice365E3).Consumed; got != before {
			t.Errorf("E3 consumed = %d after removing, want %d", got, before)
		}
	})

	t.Run("AssignLicensesAddAndRemove", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		err := d.AssignLicenses(ctx, ann.ID, []string{sandbox.SkuPowerBIStandard}, []string{sandbox.SkuOffice365E3})
		if err != nil {
			t.Fatalf("AssignLicenses(ann, +Power BI, -E3): %v", err)
		}
		if got, want := mustUser(t, d, ann.ID).Licenses, []mailbox.License{{SkuID: sandbox.SkuPowerBIStandard}}; !slices.Equal(got, want) {
			t.Errorf("ann licenses = %+v, want %+v", got, want)
		}
		if e3, bi := skuOf(t, d, sandbox.SkuOffice365E3), skuOf(t, d, sandbox.SkuPowerBIStandard); e3.Consumed != 5 || bi.Consumed != 1 {
			t.Errorf("consumed: E3 %d, Power BI %d; want 5 and 1", e3.Consumed, bi.Consumed)
		}
	})

	t.Run("AssignLicensesTwice", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		if err := d.AssignLicenses(ctx, ann.ID, []string{sandbox.SkuOffice365E3}, nil); err != nil {
			t.Fatalf("AssignLicenses(ann, +E3) when she has it: %v", err)
		}
		if got := mustUser(t, d, ann.ID).Licenses; !slices.Equal(got, ann.Licenses) {
			t.Errorf("ann licenses = %+v, want %+v unchanged", got, ann.Licenses)
		}
		if got := skuOf(t, d, sandbox.SkuOffice365E3).Consumed; got != 6 {
			t.Errorf("E3 consumed = %d, want 6 unchanged", got)
		}
	})

	t.Run("AssignLicensesNoFreeUnits", func(t *testing.T) {
		d := newDir(t, seed())
		cal := mustUser(t, d, "cal@fabrikam.com")
		err := d.AssignLicenses(ctx, cal.ID, []string{sandbox.SkuExchangeOnlinePlan1}, nil)
		refused(t, err, "Subscription with SKU "+sandbox.SkuExchangeOnlinePlan1+" does not have any available licenses.")
		// All or nothing: the E3 that has free units is not assigned either.
		err = d.AssignLicenses(ctx, cal.ID, []string{sandbox.SkuOffice365E3, sandbox.SkuExchangeOnlinePlan1}, nil)
		refused(t, err, "does not have any available licenses")
		if got := mustUser(t, d, cal.ID).Licenses; len(got) != 0 {
			t.Errorf("cal licenses = %+v after refused changes, want none", got)
		}
		if got := skuOf(t, d, sandbox.SkuOffice365E3).Consumed; got != 6 {
			t.Errorf("E3 consumed = %d after refused changes, want 6", got)
		}
	})

	t.Run("AssignLicensesGroupInherited", func(t *testing.T) {
		d := newDir(t, seed())
		ben := mustUser(t, d, "ben@fabrikam.com")
		err := d.AssignLicenses(ctx, ben.ID, nil, []string{sandbox.SkuMicrosoft365E3})
		refused(t, err, "User license is inherited from a group membership and it cannot be removed directly from the user.")
		if got := mustUser(t, d, ben.ID).Licenses; !slices.Equal(got, ben.Licenses) {
			t.Errorf("ben licenses = %+v, want %+v unchanged", got, ben.Licenses)
		}
		// A license the user does not have cannot be removed either.
		cal := mustUser(t, d, "cal@fabrikam.com")
		refused(t, d.AssignLicenses(ctx, cal.ID, nil, []string{sandbox.SkuOffice365E3}), "User does not have a corresponding license.")
	})

	t.Run("AssignLicensesNotFound", func(t *testing.T) {
		d := newDir(t, seed())
		if err := d.AssignLicenses(ctx, unknownID, []string{sandbox.SkuOffice365E3}, nil); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("AssignLicenses(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("GroupName", func(t *testing.T) {
		d := newDir(t, seed())
		if name, err := d.GroupName(ctx, groupAllStaff); err != nil || name != "All Staff" {
			t.Errorf("GroupName(all staff) = %q, %v; want All Staff", name, err)
		}
		if name, err := d.GroupName(ctx, unknownID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("GroupName(unknown) = %q, %v; want ErrNotFound", name, err)
		}
	})

	t.Run("RevokeSignInSessions", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		for i := range 2 {
			if err := d.RevokeSignInSessions(ctx, ann.ID); err != nil {
				t.Fatalf("call %d: RevokeSignInSessions(ann): %v", i, err)
			}
		}
		if got := mustUser(t, d, ann.ID); !got.AccountEnabled {
			t.Errorf("revoking sessions blocked sign-in")
		}
		if err := d.RevokeSignInSessions(ctx, unknownID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("RevokeSignInSessions(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("ResetPassword", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		if err := d.ResetPassword(ctx, ann.ID, "Kx7#mQ2v!pL9wR4z", true); err != nil {
			t.Fatalf("ResetPassword(ann): %v", err)
		}
		if got := mustUser(t, d, ann.ID); !equalUser(got, ann) {
			t.Errorf("after ResetPassword ann = %+v, want %+v", got, ann)
		}
		if err := d.ResetPassword(ctx, unknownID, "Kx7#mQ2v!pL9wR4z", true); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("ResetPassword(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("CreateTemporaryAccessPass", func(t *testing.T) {
		d := newDir(t, seed())
		ann := mustUser(t, d, "ann@fabrikam.com")
		start := time.Now()
		first, err := d.CreateTemporaryAccessPass(ctx, ann.ID, time.Hour)
		if err != nil {
			t.Fatalf("CreateTemporaryAccessPass(ann): %v", err)
		}
		if len(first.Pass) < 8 {
			t.Errorf("pass has %d characters, want at least 8", len(first.Pass))
		}
		if !first.ExpiresAt.After(start) || first.ExpiresAt.After(time.Now().Add(time.Hour+time.Minute)) {
			t.Errorf("expires at %v, want about an hour after %v", first.ExpiresAt, start)
		}
		second, err := d.CreateTemporaryAccessPass(ctx, ann.ID, time.Hour)
		if err != nil {
			t.Fatalf("second CreateTemporaryAccessPass(ann): %v", err)
		}
		if second.Pass == first.Pass {
			t.Errorf("two passes are the same")
		}
		if _, err := d.CreateTemporaryAccessPass(ctx, unknownID, time.Hour); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("CreateTemporaryAccessPass(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("DeletedUser", func(t *testing.T) {
		d := newDir(t, seed())
		if u, err := d.User(ctx, "gus@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("User(deleted gus) = %+v, %v; want ErrNotFound", u, err)
		}
		var id string
		for _, key := range []string{"gus@fabrikam.com", "GUS@Fabrikam.com", "gus.grant@fabrikam.com"} {
			du, err := d.DeletedUser(ctx, key)
			if err != nil {
				t.Fatalf("DeletedUser(%q): %v", key, err)
			}
			if du.ID == "" || du.UserPrincipalName != "gus@fabrikam.com" || du.DisplayName != "Gus Grant" {
				t.Errorf("DeletedUser(%q) = %+v, want Gus Grant with the UPN he had", key, du)
			}
			if ago := time.Since(du.DeletedAt); ago < deletedAgo-time.Hour || ago > deletedAgo+time.Hour {
				t.Errorf("DeletedUser(%q) deleted %v ago, want about %v", key, ago, deletedAgo)
			}
			if id != "" && du.ID != id {
				t.Errorf("DeletedUser(%q) id %s, want %s", key, du.ID, id)
			}
			id = du.ID
		}
		for _, key := range []string{"ann@fabrikam.com", unknownUPN} {
			if du, err := d.DeletedUser(ctx, key); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("DeletedUser(%q) = %+v, %v; want ErrNotFound", key, du, err)
			}
		}
	})

	t.Run("RestoreDeletedUser", func(t *testing.T) {
		d := newDir(t, seed())
		du, err := d.DeletedUser(ctx, "gus@fabrikam.com")
		if err != nil {
			t.Fatalf("DeletedUser(gus): %v", err)
		}
		if err := d.RestoreDeletedUser(ctx, du.ID); err != nil {
			t.Fatalf("RestoreDeletedUser(gus): %v", err)
		}
		gus := mustUser(t, d, "gus@fabrikam.com")
		if gus.ID != du.ID || gus.DisplayName != "Gus Grant" || !strings.EqualFold(gus.Mail, "gus.grant@fabrikam.com") {
			t.Errorf("restored gus = %+v, want %s, Gus Grant", gus, du.ID)
		}
		if m, err := d.Manager(ctx, gus.ID); err != nil || m.UserPrincipalName != "mia@fabrikam.com" {
			t.Errorf("restored gus's manager = %+v, %v; want mia", m, err)
		}
		if got, err := d.DeletedUser(ctx, "gus@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("DeletedUser(gus) after restoring = %+v, %v; want ErrNotFound", got, err)
		}
		for _, id := range []string{du.ID, unknownID} {
			if err := d.RestoreDeletedUser(ctx, id); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("RestoreDeletedUser(%s) = %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("GroupByMail", func(t *testing.T) {
		d := newDir(t, seed())
		for _, addr := range []string{salesMail, "SALES@Fabrikam.com"} {
			g, err := d.GroupByMail(ctx, addr)
			if err != nil {
				t.Fatalf("GroupByMail(%q): %v", addr, err)
			}
			if g.ID != groupSales || g.DisplayName != "Fabrikam Sales" || !strings.EqualFold(g.Mail, salesMail) || !g.SecurityEnabled {
				t.Errorf("GroupByMail(%q) = %+v, want the security group Fabrikam Sales (%s)", addr, g, groupSales)
			}
		}
	})

	t.Run("GroupByMailNotFound", func(t *testing.T) {
		d := newDir(t, seed())
		// A user's address is not a group's, and All Staff has no mail.
		for _, addr := range []string{unknownUPN, "ann.archer@fabrikam.com", "All Staff"} {
			if g, err := d.GroupByMail(ctx, addr); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("GroupByMail(%q) = %+v, %v; want ErrNotFound", addr, g, err)
			}
		}
	})

	t.Run("GroupMembers", func(t *testing.T) {
		d := newDir(t, seed())
		members, err := d.GroupMembers(ctx, groupSales)
		if err != nil {
			t.Fatalf("GroupMembers(sales): %v", err)
		}
		// gus is a member too, but deleted.
		var upns []string
		for _, m := range members {
			upns = append(upns, strings.ToLower(m.UserPrincipalName))
			if u := mustUser(t, d, m.UserPrincipalName); m.ID != u.ID || m.DisplayName != u.DisplayName {
				t.Errorf("member %+v, want the user %+v", m, u)
			}
		}
		slices.Sort(upns)
		if want := []string{"ann@fabrikam.com", "mia@fabrikam.com"}; !slices.Equal(upns, want) {
			t.Errorf("GroupMembers(sales) = %q, want %q", upns, want)
		}
		members, err = d.GroupMembers(ctx, groupAllStaff)
		if err != nil || len(members) != 1 || !strings.EqualFold(members[0].UserPrincipalName, "ben@fabrikam.com") {
			t.Errorf("GroupMembers(all staff) = %+v, %v; want ben", members, err)
		}
		if m, err := d.GroupMembers(ctx, unknownID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("GroupMembers(unknown) = %+v, %v; want ErrNotFound", m, err)
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
			len(mb.InPlaceHolds) != 0 || mb.ArchiveStatus != "None" || mb.AutoExpandingArchiveEnabled ||
			mb.HiddenFromAddressListsEnabled || len(mb.GrantSendOnBehalfTo) != 0 || mb.OnHold() || mb.HasArchive() {
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
			dan.ArchiveStatus != "Active" || !dan.AutoExpandingArchiveEnabled || dan.HiddenFromAddressListsEnabled {
			t.Errorf("dan = %+v, want a visible, dir-synced UserMailbox on litigation hold with an active, auto-expanding archive", dan)
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
		// cal exists in the directory but has no mailbox; gus is deleted.
		for _, id := range []string{"cal@fabrikam.com", "gus@fabrikam.com", "gus.grant@fabrikam.com", unknownUPN} {
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

	t.Run("MailboxStatistics", func(t *testing.T) {
		x := newExo(t, seed())
		st, err := x.MailboxStatistics(ctx, "ann@fabrikam.com")
		if err != nil {
			t.Fatalf("MailboxStatistics(ann): %v", err)
		}
		if st.TotalItemSize != annSize || st.ItemCount != annItems {
			t.Errorf("MailboxStatistics(ann) = %+v, want %d bytes in %d items", st, annSize, annItems)
		}
		for _, id := range []string{"cal@fabrikam.com", "gus@fabrikam.com", unknownUPN} {
			if st, err := x.MailboxStatistics(ctx, id); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("MailboxStatistics(%q) = %+v, %v; want ErrNotFound", id, st, err)
			}
		}
	})

	// grantees reads a mailbox's permissions and keeps the explicit grants
	// of right, the way callers must: no inherited or denied entries, no
	// NT AUTHORITY\SELF.
	grantees := func(t *testing.T, x mailbox.Exchange, identity, right string) []string {
		t.Helper()
		read := x.MailboxPermissions
		if right == mailbox.RightSendAs {
			read = x.RecipientPermissions
		}
		perms, err := read(ctx, identity)
		if err != nil {
			t.Fatalf("%s permissions of %s: %v", right, identity, err)
		}
		var out []string
		for _, p := range perms {
			if !p.IsInherited && !p.Deny && slices.Contains(p.AccessRights, right) &&
				!strings.HasPrefix(strings.ToUpper(p.User), `NT AUTHORITY\`) {
				out = append(out, strings.ToLower(p.User))
			}
		}
		return out
	}

	for _, c := range []struct{ right, addName, rmName string }{
		{mailbox.RightFullAccess, "AddFullAccess", "RemoveFullAccess"},
		{mailbox.RightSendAs, "AddSendAs", "RemoveSendAs"},
	} {
		// bind returns the change calls of x for the right.
		bind := func(x mailbox.Exchange) (add, remove func(ctx context.Context, identity, user string) error) {
			if c.right == mailbox.RightSendAs {
				return x.AddSendAs, x.RemoveSendAs
			}
			return func(ctx context.Context, identity, user string) error {
				return x.AddFullAccess(ctx, identity, user, true)
			}, x.RemoveFullAccess
		}

		t.Run(c.right, func(t *testing.T) {
			x := newExo(t, seed())
			add, remove := bind(x)
			if got := grantees(t, x, "ann@fabrikam.com", c.right); len(got) != 0 {
				t.Fatalf("before any grant, %s of ann: %q", c.right, got)
			}
			// Adding twice is harmless and lists mia once.
			for i := range 2 {
				if err := add(ctx, "ann@fabrikam.com", "mia@fabrikam.com"); err != nil {
					t.Fatalf("call %d: %s(ann, mia): %v", i, c.addName, err)
				}
			}
			if got, want := grantees(t, x, "ann@fabrikam.com", c.right), []string{"mia@fabrikam.com"}; !slices.Equal(got, want) {
				t.Errorf("after %s, %s of ann = %q, want %q", c.addName, c.right, got, want)
			}
			if err := add(ctx, "ann@fabrikam.com", "eve@fabrikam.com"); err != nil {
				t.Fatalf("%s(ann, eve): %v", c.addName, err)
			}
			if got := grantees(t, x, "mia@fabrikam.com", c.right); len(got) != 0 {
				t.Errorf("granting on ann changed mia's mailbox: %q", got)
			}
			// Removing twice is harmless too.
			for i := range 2 {
				if err := remove(ctx, "ann@fabrikam.com", "mia@fabrikam.com"); err != nil {
					t.Fatalf("call %d: %s(ann, mia): %v", i, c.rmName, err)
				}
			}
			if got, want := grantees(t, x, "ann@fabrikam.com", c.right), []string{"eve@fabrikam.com"}; !slices.Equal(got, want) {
				t.Errorf("after %s, %s of ann = %q, want %q", c.rmName, c.right, got, want)
			}
		})

		t.Run(c.right+"NotFound", func(t *testing.T) {
			x := newExo(t, seed())
			add, remove := bind(x)
			for _, call := range []struct {
				name              string
				f                 func(ctx context.Context, identity, user string) error
				identity, trustee string
			}{
				{c.addName, add, unknownUPN, "mia@fabrikam.com"},
				{c.addName, add, "cal@fabrikam.com", "mia@fabrikam.com"},
				{c.addName, add, "ann@fabrikam.com", unknownUPN},
				{c.rmName, remove, unknownUPN, "mia@fabrikam.com"},
			} {
				if err := call.f(ctx, call.identity, call.trustee); !errors.Is(err, mailbox.ErrNotFound) {
					t.Errorf("%s(%s, %s) = %v, want ErrNotFound", call.name, call.identity, call.trustee, err)
				}
			}
			if got := grantees(t, x, "ann@fabrikam.com", c.right); len(got) != 0 {
				t.Errorf("after refused grants, %s of ann: %q", c.right, got)
			}
		})
	}

	t.Run("PermissionsNotFound", func(t *testing.T) {
		x := newExo(t, seed())
		if p, err := x.MailboxPermissions(ctx, unknownUPN); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("MailboxPermissions(unknown) = %+v, %v; want ErrNotFound", p, err)
		}
		if p, err := x.RecipientPermissions(ctx, unknownUPN); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("RecipientPermissions(unknown) = %+v, %v; want ErrNotFound", p, err)
		}
	})
	// onBehalf reads a mailbox's GrantSendOnBehalfTo.
	onBehalf := func(t *testing.T, x mailbox.Exchange, identity string) []string {
		t.Helper()
		return mustGet(t, x, identity).GrantSendOnBehalfTo
	}
	// Exchange may list a trustee by UPN, name or alias.
	var (
		annNames = []string{"ann@fabrikam.com", "ann.archer@fabrikam.com", "Ann Archer", "ann.archer"}
		miaNames = []string{"mia@fabrikam.com", "Mia Moss", "mia"}
		eveNames = []string{"eve@fabrikam.com", "Eve Evers", "eve"}
	)

	t.Run("SendOnBehalf", func(t *testing.T) {
		x := newExo(t, seed())
		if got := onBehalf(t, x, "ann@fabrikam.com"); len(got) != 0 {
			t.Fatalf("before any grant, ann's GrantSendOnBehalfTo = %q", got)
		}
		// Adding twice is harmless and lists mia once.
		for i := range 2 {
			if err := x.SetSendOnBehalf(ctx, "ann@fabrikam.com", []string{"mia@fabrikam.com"}, nil); err != nil {
				t.Fatalf("call %d: SetSendOnBehalf(ann, +mia): %v", i, err)
			}
		}
		if got := onBehalf(t, x, "ann@fabrikam.com"); len(got) != 1 || listed(got, miaNames) != 1 {
			t.Errorf("after adding mia, ann's GrantSendOnBehalfTo = %q, want mia once", got)
		}
		if got := onBehalf(t, x, "mia@fabrikam.com"); len(got) != 0 {
			t.Errorf("granting on ann changed mia's mailbox: %q", got)
		}
		// Add and remove in one call.
		if err := x.SetSendOnBehalf(ctx, "ann@fabrikam.com", []string{"eve@fabrikam.com"}, []string{"mia@fabrikam.com"}); err != nil {
			t.Fatalf("SetSendOnBehalf(ann, +eve, -mia): %v", err)
		}
		if got := onBehalf(t, x, "ann@fabrikam.com"); len(got) != 1 || listed(got, eveNames) != 1 {
			t.Errorf("after +eve -mia, ann's GrantSendOnBehalfTo = %q, want eve only", got)
		}
		// Removing twice is harmless too.
		for i := range 2 {
			if err := x.SetSendOnBehalf(ctx, "ann@fabrikam.com", nil, []string{"eve@fabrikam.com"}); err != nil {
				t.Fatalf("call %d: SetSendOnBehalf(ann, -eve): %v", i, err)
			}
		}
		if got := onBehalf(t, x, "ann@fabrikam.com"); len(got) != 0 {
			t.Errorf("after removing eve, ann's GrantSendOnBehalfTo = %q, want none", got)
		}
		// dan's seeded entry names ann; removing ann by address removes it.
		if err := x.SetSendOnBehalf(ctx, "dan@fabrikam.com", nil, []string{"ann@fabrikam.com"}); err != nil {
			t.Fatalf("SetSendOnBehalf(dan, -ann): %v", err)
		}
		if got := onBehalf(t, x, "dan@fabrikam.com"); listed(got, annNames) != 0 {
			t.Errorf("after removing ann, dan's GrantSendOnBehalfTo = %q", got)
		}
	})

	t.Run("SendOnBehalfNotFound", func(t *testing.T) {
		x := newExo(t, seed())
		for _, call := range []struct {
			identity    string
			add, remove []string
		}{
			{unknownUPN, []string{"mia@fabrikam.com"}, nil},
			{"cal@fabrikam.com", []string{"mia@fabrikam.com"}, nil},
			{"ann@fabrikam.com", []string{"mia@fabrikam.com", unknownUPN}, nil},
			{"ann@fabrikam.com", nil, []string{unknownUPN}},
		} {
			if err := x.SetSendOnBehalf(ctx, call.identity, call.add, call.remove); !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("SetSendOnBehalf(%s, +%q, -%q) = %v, want ErrNotFound", call.identity, call.add, call.remove, err)
			}
		}
		// All or nothing: mia, named beside an unknown trustee, is not added.
		if got := onBehalf(t, x, "ann@fabrikam.com"); len(got) != 0 {
			t.Errorf("after refused changes, ann's GrantSendOnBehalfTo = %q", got)
		}
	})

	// waitFound reads a mailbox until it is found, at most
	// MaxConversionReads times (a new mailbox takes a while to show).
	waitFound := func(t *testing.T, x mailbox.Exchange, identity string) mailbox.Mailbox {
		t.Helper()
		for i := range MaxConversionReads {
			mb, err := x.GetMailbox(ctx, identity)
			if errors.Is(err, mailbox.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("read %d: GetMailbox(%s): %v", i, identity, err)
			}
			return mb
		}
		t.Fatalf("%s is still not found after %d reads", identity, MaxConversionReads)
		return mailbox.Mailbox{}
	}
	// refusedFor checks a refused creation: Microsoft's text, naming what.
	refusedFor := func(t *testing.T, err error, what string) {
		t.Helper()
		var re *mailbox.RemoteError
		if !errors.As(err, &re) || errors.Is(err, mailbox.ErrNotFound) || re.Temporary() ||
			!strings.Contains(strings.ToLower(re.Message), strings.ToLower(what)) {
			t.Errorf("NewSharedMailbox = %#v, want a RemoteError whose text names %q", err, what)
		}
	}

	t.Run("NewSharedMailbox", func(t *testing.T) {
		x := newExo(t, seed())
		if ok, err := x.RecipientExists(ctx, freeAddress); err != nil || ok {
			t.Fatalf("RecipientExists(%s) before creating = %v, %v; want false", freeAddress, ok, err)
		}
		mb, err := x.NewSharedMailbox(ctx, "Support", "Fabrikam Support", freeAddress)
		if err != nil {
			t.Fatalf("NewSharedMailbox: %v", err)
		}
		if !strings.EqualFold(mb.PrimarySMTPAddress, freeAddress) || mb.DisplayName != "Fabrikam Support" ||
			mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
			t.Errorf("NewSharedMailbox = %+v, want the shared mailbox Fabrikam Support <%s>", mb, freeAddress)
		}
		got := waitFound(t, x, freeAddress)
		if !strings.EqualFold(got.PrimarySMTPAddress, freeAddress) || got.DisplayName != "Fabrikam Support" ||
			got.RecipientTypeDetails != mailbox.RecipientSharedMailbox || got.ExternalDirectoryObjectID == "" ||
			got.HiddenFromAddressListsEnabled || got.OnHold() || got.HasArchive() || len(got.GrantSendOnBehalfTo) != 0 {
			t.Errorf("GetMailbox(new) = %+v, want a plain, visible SharedMailbox Fabrikam Support", got)
		}
		if mb.ExternalDirectoryObjectID != "" && mb.ExternalDirectoryObjectID != got.ExternalDirectoryObjectID {
			t.Errorf("New-Mailbox said object %s, Get-Mailbox %s", mb.ExternalDirectoryObjectID, got.ExternalDirectoryObjectID)
		}
		// Once found, it can be granted on like any other.
		if err := x.AddFullAccess(ctx, freeAddress, "mia@fabrikam.com", true); err != nil {
			t.Fatalf("AddFullAccess(new, mia): %v", err)
		}
		if got, want := grantees(t, x, freeAddress, mailbox.RightFullAccess), []string{"mia@fabrikam.com"}; !slices.Equal(got, want) {
			t.Errorf("Full Access of the new mailbox = %q, want %q", got, want)
		}
		if ok, err := x.RecipientExists(ctx, freeAddress); err != nil || !ok {
			t.Errorf("RecipientExists(%s) after creating = %v, %v; want true", freeAddress, ok, err)
		}
	})

	t.Run("NewSharedMailboxTaken", func(t *testing.T) {
		x := newExo(t, seed())
		if _, err := x.NewSharedMailbox(ctx, "Support", "Fabrikam Support", freeAddress); err != nil {
			t.Fatalf("NewSharedMailbox: %v", err)
		}
		_, err := x.NewSharedMailbox(ctx, "Support", "Fabrikam Support", freeAddress)
		refusedFor(t, err, freeAddress)
		// A user's UPN or mail, a user without a mailbox, a group.
		for i, addr := range []string{"ann@fabrikam.com", "Ann.Archer@fabrikam.com", "cal@fabrikam.com", salesMail} {
			_, err := x.NewSharedMailbox(ctx, "Taken "+strconv.Itoa(i), "Taken", addr)
			refusedFor(t, err, addr)
		}
		if mb := mustGet(t, x, "ann@fabrikam.com"); mb.RecipientTypeDetails != mailbox.RecipientUserMailbox || mb.DisplayName != "Ann Archer" {
			t.Errorf("a refused creation changed ann: %+v", mb)
		}
	})

	t.Run("NewSharedMailboxDomain", func(t *testing.T) {
		x := newExo(t, seed())
		_, err := x.NewSharedMailbox(ctx, "Elsewhere", "Elsewhere", "shared@example.org")
		refusedFor(t, err, "example.org")
		if ok, err := x.RecipientExists(ctx, "shared@example.org"); err != nil || ok {
			t.Errorf("RecipientExists after a refused creation = %v, %v; want false", ok, err)
		}
	})

	t.Run("AcceptedDomains", func(t *testing.T) {
		x := newExo(t, seed())
		domains, err := x.AcceptedDomains(ctx)
		if err != nil {
			t.Fatalf("AcceptedDomains: %v", err)
		}
		if !slices.ContainsFunc(domains, func(d string) bool { return strings.EqualFold(d, "fabrikam.com") }) ||
			slices.Contains(domains, "example.org") {
			t.Errorf("AcceptedDomains = %q, want fabrikam.com and not example.org", domains)
		}
	})

	t.Run("RecipientExists", func(t *testing.T) {
		x := newExo(t, seed())
		for addr, want := range map[string]bool{
			"ann.archer@fabrikam.com": true, // a mailbox's primary address
			"ANN@fabrikam.com":        true, // its UPN
			"cal@fabrikam.com":        true, // a user without a mailbox
			salesMail:                 true, // a group
			freeAddress:               false,
			unknownUPN:                false,
		} {
			if got, err := x.RecipientExists(ctx, addr); err != nil || got != want {
				t.Errorf("RecipientExists(%s) = %v, %v; want %v", addr, got, err, want)
			}
		}
	})
}

// TestRecovery runs the contract that needs both interfaces over one tenant.
// Rule 10: a deleted user's mailbox is not found until the user is
// restored, and shows again within MaxConversionReads Get-Mailbox reads.
// Rule 11: a new shared mailbox's account shows in the directory within
// MaxConversionReads User reads, with sign-in enabled (Exchange leaves it
// so) and no license, and can then be blocked. newTenant returns a fresh
// Directory and Exchange holding the seed users; it is called once per
// subtest.
func TestRecovery(t *testing.T, newTenant func(t *testing.T, seed []sandbox.UserSpec) (mailbox.Directory, mailbox.Exchange)) {
	ctx := t.Context()

	t.Run("MailboxReappears", func(t *testing.T) {
		d, x := newTenant(t, seed())
		if mb, err := x.GetMailbox(ctx, "gus@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Fatalf("GetMailbox(deleted gus) = %+v, %v; want ErrNotFound", mb, err)
		}
		du, err := d.DeletedUser(ctx, "gus@fabrikam.com")
		if err != nil {
			t.Fatalf("DeletedUser(gus): %v", err)
		}
		if err := d.RestoreDeletedUser(ctx, du.ID); err != nil {
			t.Fatalf("RestoreDeletedUser(gus): %v", err)
		}
		for i := range MaxConversionReads {
			mb, err := x.GetMailbox(ctx, "gus@fabrikam.com")
			if errors.Is(err, mailbox.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("read %d: GetMailbox(gus): %v", i, err)
			}
			if mb.ExternalDirectoryObjectID != du.ID || mb.UserPrincipalName != "gus@fabrikam.com" ||
				mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
				t.Errorf("restored mailbox = %+v, want gus's user mailbox (%s)", mb, du.ID)
			}
			if again, err := x.GetMailbox(ctx, "gus.grant@fabrikam.com"); err != nil || again.ExternalDirectoryObjectID != du.ID {
				t.Errorf("once back, GetMailbox(gus's mail) = %+v, %v", again, err)
			}
			return
		}
		t.Fatalf("gus's mailbox is still not found %d reads after the restore", MaxConversionReads)
	})

	t.Run("SharedMailboxAccount", func(t *testing.T) {
		d, x := newTenant(t, seed())
		if _, err := x.NewSharedMailbox(ctx, "Support", "Fabrikam Support", freeAddress); err != nil {
			t.Fatalf("NewSharedMailbox: %v", err)
		}
		var acct mailbox.User
		for i := range MaxConversionReads {
			u, err := d.User(ctx, freeAddress)
			if errors.Is(err, mailbox.ErrNotFound) {
				continue
			}
			if err != nil {
				t.Fatalf("read %d: User(%s): %v", i, freeAddress, err)
			}
			acct = u
			break
		}
		if acct.ID == "" {
			t.Fatalf("the new mailbox's account is still not found %d reads after the creation", MaxConversionReads)
		}
		if !acct.AccountEnabled || len(acct.Licenses) != 0 || acct.DisplayName != "Fabrikam Support" ||
			!strings.EqualFold(acct.Email(), freeAddress) {
			t.Errorf("new account = %+v, want Fabrikam Support <%s>, sign-in enabled, no license", acct, freeAddress)
		}
		if err := d.SetAccountEnabled(ctx, acct.ID, false); err != nil {
			t.Fatalf("SetAccountEnabled(new account, false): %v", err)
		}
		if u, err := d.User(ctx, acct.ID); err != nil || u.AccountEnabled {
			t.Errorf("after blocking, the account = %+v, %v; want sign-in blocked", u, err)
		}
		for i := range MaxConversionReads {
			mb, err := x.GetMailbox(ctx, freeAddress)
			if errors.Is(err, mailbox.ErrNotFound) {
				continue
			}
			if err != nil || mb.ExternalDirectoryObjectID != acct.ID {
				t.Errorf("read %d: GetMailbox(new) = %+v, %v; want the mailbox of %s", i, mb, err, acct.ID)
			}
			return
		}
		t.Errorf("the new mailbox is still not found after %d reads", MaxConversionReads)
	})

	t.Run("RestoreOnlyTheDeleted", func(t *testing.T) {
		d, x := newTenant(t, seed())
		du, err := d.DeletedUser(ctx, "gus@fabrikam.com")
		if err != nil {
			t.Fatalf("DeletedUser(gus): %v", err)
		}
		ann, err := d.User(ctx, "ann@fabrikam.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.RestoreDeletedUser(ctx, ann.ID); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("RestoreDeletedUser(ann, not deleted) = %v, want ErrNotFound", err)
		}
		// Reads of another mailbox do not bring gus's back.
		for range MaxConversionReads {
			if _, err := x.GetMailbox(ctx, "ann@fabrikam.com"); err != nil {
				t.Fatal(err)
			}
		}
		if mb, err := x.GetMailbox(ctx, "gus@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Errorf("GetMailbox(gus, still deleted) = %+v, %v; want ErrNotFound", mb, err)
		}
		if _, err := d.DeletedUser(ctx, du.UserPrincipalName); err != nil {
			t.Errorf("DeletedUser(gus) = %v, want him still deleted", err)
		}
	})
}

// listed counts the entries that name one recipient, given by its names.
func listed(entries, names []string) int {
	n := 0
	for _, e := range entries {
		if slices.ContainsFunc(names, func(name string) bool { return strings.EqualFold(e, name) }) {
			n++
		}
	}
	return n
}

// equalUser compares users field by field, licenses in order.
func equalUser(a, b mailbox.User) bool {
	return a.ID == b.ID && a.DisplayName == b.DisplayName && a.UserPrincipalName == b.UserPrincipalName &&
		strings.EqualFold(a.Mail, b.Mail) && a.AccountEnabled == b.AccountEnabled &&
		a.OnPremisesSyncEnabled == b.OnPremisesSyncEnabled && slices.Equal(a.Licenses, b.Licenses)
}
