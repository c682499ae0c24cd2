package mailboxtest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

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
