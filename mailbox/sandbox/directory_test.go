package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// clock is a settable time for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func skuByID(t *testing.T, tn *sandbox.Tenant, id string) mailbox.Sku {
	t.Helper()
	all, err := tn.SubscribedSkus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no SKU %s in %+v", id, all)
	return mailbox.Sku{}
}

// graph400 checks Graph's 400 with the exact text.
func graph400(t *testing.T, err error, message string) {
	t.Helper()
	var re *mailbox.RemoteError
	if !errors.As(err, &re) || re.Service != "graph" || re.Status != 400 || re.Code != "Request_BadRequest" ||
		re.Message != message || errors.Is(err, mailbox.ErrNotFound) || re.Temporary() {
		t.Errorf("err = %#v, want Graph's 400 Request_BadRequest %q", err, message)
	}
}

func TestContosoSkus(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	all, err := tn.SubscribedSkus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		part                    string
		enabled, consumed, free int
		exchange                bool
	}
	wants := map[string]want{
		sandbox.SkuOffice365E3:           {"ENTERPRISEPACK", 25, 22, 3, true}, // 10 outside + 12 of the cast
		sandbox.SkuMicrosoft365E3:        {"SPE_E3", 40, 40, 0, true},         // 39 outside + erin
		sandbox.SkuExchangeOnlinePlan1:   {"EXCHANGESTANDARD", 10, 10, 0, true},
		sandbox.SkuExchangeOnlineArchive: {"EXCHANGEARCHIVE_ADDON", 10, 2, 8, false},
		sandbox.SkuPowerBIStandard:       {"POWER_BI_STANDARD", 1000000, 40, 999960, false},
	}
	if len(all) != len(wants) {
		t.Errorf("%d SKUs, want %d: %+v", len(all), len(wants), all)
	}
	for _, s := range all {
		w, ok := wants[s.ID]
		if !ok {
			t.Errorf("unexpected SKU %+v", s)
			continue
		}
		if s.PartNumber != w.part || s.Enabled != w.enabled || s.Consumed != w.consumed || s.Free() != w.free ||
			s.HasExchange() != w.exchange || s.AppliesTo != "User" || s.CapabilityStatus != "Enabled" {
			t.Errorf("SKU %s = %+v, want %+v", s.ID, s, w)
		}
	}
	if e3 := skuByID(t, tn, sandbox.SkuOffice365E3); !slices.Contains(e3.ServicePlans, mailbox.PlanExchangeOnline2) {
		t.Errorf("E3 plans %q lack %s", e3.ServicePlans, mailbox.PlanExchangeOnline2)
	}
	if p1 := skuByID(t, tn, sandbox.SkuExchangeOnlinePlan1); !slices.Equal(p1.ServicePlans, []string{mailbox.PlanExchangeOnline1}) {
		t.Errorf("Plan 1 plans %q", p1.ServicePlans)
	}
	if ar := skuByID(t, tn, sandbox.SkuExchangeOnlineArchive); !slices.Equal(ar.ServicePlans, []string{mailbox.PlanExchangeOnlineArchive}) {
		t.Errorf("Archiving plans %q", ar.ServicePlans)
	}
	// Callers get copies.
	all[0].ServicePlans[0] = "mutated"
	if again := skuByID(t, tn, all[0].ID); again.ServicePlans[0] == "mutated" {
		t.Errorf("SubscribedSkus returned the tenant's own plans")
	}
}

func TestLicenseConsumedInStep(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	e3 := sandbox.SkuOffice365E3
	consumed := func() int { t.Helper(); return skuByID(t, tn, e3).Consumed }

	// Three free units: carol takes one, then two new hires take the rest.
	for _, s := range []sandbox.UserSpec{{UserPrincipalName: "new1@contoso.com"}, {UserPrincipalName: "new2@contoso.com"}, {UserPrincipalName: "new3@contoso.com"}} {
		if _, err := tn.AddUser(s); err != nil {
			t.Fatal(err)
		}
	}
	for i, upn := range []string{"carol@contoso.com", "new1@contoso.com", "new2@contoso.com"} {
		if err := tn.AssignLicenses(ctx, upn, []string{e3}, nil); err != nil {
			t.Fatalf("assign %s: %v", upn, err)
		}
		if got := consumed(); got != 23+i {
			t.Errorf("after %s: consumed %d, want %d", upn, got, 23+i)
		}
	}
	err := tn.AssignLicenses(ctx, "new3@contoso.com", []string{e3}, nil)
	graph400(t, err, "Subscription with SKU 6fd2c87f-b296-42f0-b197-1e91e994b900 does not have any available licenses.")
	// Freeing a unit makes room.
	if err := tn.AssignLicenses(ctx, "alice@contoso.com", nil, []string{e3}); err != nil {
		t.Fatal(err)
	}
	if got := consumed(); got != 24 {
		t.Errorf("after removing alice's: consumed %d, want 24", got)
	}
	if err := tn.AssignLicenses(ctx, "new3@contoso.com", []string{e3}, nil); err != nil {
		t.Fatalf("assign new3 after a unit was freed: %v", err)
	}
	if got := consumed(); got != 25 {
		t.Errorf("consumed %d, want 25", got)
	}
	wantCount := map[sandbox.ChangeKind]int{sandbox.ChangeLicenseAdded: 4, sandbox.ChangeLicenseRemoved: 1}
	got := map[sandbox.ChangeKind]int{}
	for _, c := range tn.Changes() {
		got[c.Kind]++
	}
	if !mapsEqual(got, wantCount) {
		t.Errorf("changes by kind = %v, want %v (refused changes not recorded)", got, wantCount)
	}
	if c := tn.Changes()[0]; c.Kind != sandbox.ChangeLicenseAdded || c.UserPrincipalName != "carol@contoso.com" || c.To != e3 || c.From != "" {
		t.Errorf("first change = %+v, want carol's E3 added", c)
	}
}

func TestLicenseGroupAssigned(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	spe := sandbox.SkuMicrosoft365E3
	inherited := "User license is inherited from a group membership and it cannot be removed directly from the user."

	graph400(t, tn.AssignLicenses(ctx, "erin@contoso.com", nil, []string{spe}), inherited)
	// SPE_E3 has no free unit, but erin holds one already: a direct
	// assignment on top takes no new unit.
	if err := tn.AssignLicenses(ctx, "erin@contoso.com", []string{spe}, nil); err != nil {
		t.Fatalf("direct SPE_E3 on top of the group's: %v", err)
	}
	erin, _ := tn.User(ctx, "erin@contoso.com")
	want := []mailbox.License{{SkuID: spe, AssignedByGroup: sandbox.ContosoAllStaffGroupID}, {SkuID: spe}}
	if !slices.Equal(erin.Licenses, want) {
		t.Errorf("erin licenses = %+v, want %+v", erin.Licenses, want)
	}
	if got := skuByID(t, tn, spe).Consumed; got != 40 {
		t.Errorf("SPE_E3 consumed %d, want 40 (one unit for erin's two assignments)", got)
	}
	// Removing the direct one leaves the group's; removing again is refused.
	if err := tn.AssignLicenses(ctx, "erin@contoso.com", nil, []string{spe}); err != nil {
		t.Fatal(err)
	}
	erin, _ = tn.User(ctx, "erin@contoso.com")
	if want := want[:1]; !slices.Equal(erin.Licenses, want) {
		t.Errorf("erin licenses = %+v, want %+v", erin.Licenses, want)
	}
	graph400(t, tn.AssignLicenses(ctx, "erin@contoso.com", nil, []string{spe}), inherited)
	if name, err := tn.GroupName(ctx, sandbox.ContosoAllStaffGroupID); err != nil || name != "All Staff" {
		t.Errorf("GroupName(All Staff) = %q, %v", name, err)
	}
	if _, err := tn.GroupName(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("GroupName(unknown) = %v, want ErrNotFound", err)
	}
}

func TestLicenseRefusals(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	const unknownSku = "c42b9cae-ea4f-4ab7-9717-81576235ccac"
	graph400(t, tn.AssignLicenses(ctx, "carol@contoso.com", []string{unknownSku}, nil),
		"License c42b9cae-ea4f-4ab7-9717-81576235ccac does not correspond to a valid company License.")
	graph400(t, tn.AssignLicenses(ctx, "carol@contoso.com", nil, []string{sandbox.SkuOffice365E3}),
		"User does not have a corresponding license.")
	graph400(t, tn.AssignLicenses(ctx, "carol@contoso.com", nil, nil),
		"No license changes provided. At least one license to add or remove must be specified.")
	// All or nothing: alice's E3 stays when the Plan 1 she asks for has no
	// free unit.
	graph400(t, tn.AssignLicenses(ctx, "alice@contoso.com", []string{sandbox.SkuExchangeOnlinePlan1}, []string{sandbox.SkuOffice365E3}),
		"Subscription with SKU 4b9405b0-7788-4568-add1-99614e613b69 does not have any available licenses.")
	if alice, _ := tn.User(ctx, "alice@contoso.com"); len(alice.Licenses) != 1 || alice.Licenses[0].SkuID != sandbox.SkuOffice365E3 {
		t.Errorf("alice licenses = %+v after a refused change", alice.Licenses)
	}
	// Adding what she has directly changes nothing.
	if err := tn.AssignLicenses(ctx, "alice@contoso.com", []string{sandbox.SkuOffice365E3}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.User(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatal("gina is not deleted")
	}
	if err := tn.AssignLicenses(ctx, "gina@contoso.com", []string{sandbox.SkuOffice365E3}, nil); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("AssignLicenses(deleted gina) = %v, want ErrNotFound", err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("refused or empty license changes recorded: %+v", c)
	}
}

func TestLicenseLastUnitsConcurrently(t *testing.T) {
	ctx := t.Context()
	const units, people = 3, 20
	var seed []sandbox.UserSpec
	for i := range people {
		seed = append(seed, sandbox.UserSpec{UserPrincipalName: fmt.Sprintf("p%d@fabrikam.com", i)})
	}
	seed[0].Skus = []mailbox.Sku{{ID: sandbox.SkuOffice365E3, PartNumber: "ENTERPRISEPACK", Enabled: units}}
	tn := seeded(t, sandbox.Options{}, seed)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, refused int
	for i := range people {
		wg.Go(func() {
			err := tn.AssignLicenses(ctx, fmt.Sprintf("p%d@fabrikam.com", i), []string{sandbox.SkuOffice365E3}, nil)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if strings.Contains(err.Error(), "does not have any available licenses") {
				refused++
			} else {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != units || refused != people-units {
		t.Errorf("%d assigned, %d refused; want %d and %d", ok, refused, units, people-units)
	}
	if s := skuByID(t, tn, sandbox.SkuOffice365E3); s.Consumed != units || s.Free() != 0 {
		t.Errorf("SKU = %+v, want all %d units used", s, units)
	}
}

func TestSkuAndGroupSeeding(t *testing.T) {
	tn := sandbox.New(sandbox.Options{})
	sku := mailbox.Sku{ID: sandbox.SkuPowerBIStandard, PartNumber: "POWER_BI_STANDARD", Enabled: 5}
	if err := tn.AddSku(sku); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddSku(sku); err != nil {
		t.Errorf("adding the same SKU again: %v", err)
	}
	other := sku
	other.Enabled = 6
	if err := tn.AddSku(other); err == nil {
		t.Errorf("a different SKU with the same id was accepted")
	}
	if err := tn.AddSku(mailbox.Sku{PartNumber: "NOID"}); err == nil {
		t.Errorf("a SKU without an id was accepted")
	}
	g := sandbox.Group{ID: "0d2f5a8c-3b1e-4f6a-9c7d-5e4b3a2f1c0d", DisplayName: "All Staff"}
	if err := tn.AddGroup(g); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddGroup(sandbox.Group{ID: g.ID, DisplayName: "Someone else"}); err == nil {
		t.Errorf("another name for the same group was accepted")
	}
	// A user carrying a conflicting SKU is not added at all.
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "x@fabrikam.com", Skus: []mailbox.Sku{other}}); err == nil {
		t.Errorf("a user with a conflicting SKU was added")
	}
	if _, err := tn.User(t.Context(), "x@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("the refused user exists: %v", err)
	}
	all, _ := tn.SubscribedSkus(t.Context())
	if len(all) != 1 || all[0].Enabled != 5 {
		t.Errorf("SKUs = %+v", all)
	}
}

func TestRevokeRecordedEachTime(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	for range 3 {
		if err := tn.RevokeSignInSessions(ctx, "alice@contoso.com"); err != nil {
			t.Fatal(err)
		}
	}
	if n := tn.ChangeCount("alice@contoso.com")[sandbox.ChangeSessionsRevoked]; n != 3 {
		t.Errorf("%d revocations recorded, want 3", n)
	}
	if err := tn.RevokeSignInSessions(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("RevokeSignInSessions(deleted gina) = %v, want ErrNotFound", err)
	}
}

func TestSecretsNeverInChanges(t *testing.T) {
	ctx := t.Context()
	clk := newClock()
	tn := sandbox.NewContoso(sandbox.Options{Now: clk.Now})
	const password = "Kx7#mQ2v!pL9wR4z"

	if tn.PasswordSet("sales@contoso.com") {
		t.Fatal("a password is set before any reset")
	}
	if err := tn.ResetPassword(ctx, "sales@contoso.com", password, true); err != nil {
		t.Fatal(err)
	}
	tap, err := tn.CreateTemporaryAccessPass(ctx, "alice@contoso.com", 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(8 * time.Hour); !tap.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", tap.ExpiresAt, want)
	}
	dump := fmt.Sprintf("%#v %+v", tn.Changes(), tn.Users())
	for name, secret := range map[string]string{"the password": password, "the pass": tap.Pass} {
		if strings.Contains(dump, secret) {
			t.Errorf("%s is in the changes or users", name)
		}
	}
	want := []sandbox.Change{
		{Seq: 1, At: clk.Now(), Kind: sandbox.ChangePasswordReset, UserID: sandbox.ObjectID("sales@contoso.com"),
			UserPrincipalName: "sales@contoso.com", To: "true"},
		{Seq: 2, At: clk.Now(), Kind: sandbox.ChangeTemporaryAccessPass, UserID: sandbox.ObjectID("alice@contoso.com"),
			UserPrincipalName: "alice@contoso.com", To: "2026-11-21T18:00:00Z"},
	}
	if got := tn.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() =\n%+v\nwant\n%+v", got, want)
	}

	// The test accessors: the requester got the right one.
	if !tn.CheckPassword("SALES@contoso.com", password) || tn.CheckPassword("sales@contoso.com", password+"x") ||
		tn.CheckPassword("alice@contoso.com", password) {
		t.Errorf("CheckPassword does not tell the password set")
	}
	if !tn.PasswordSet("sales@contoso.com") || !tn.PasswordMustChange("sales@contoso.com") {
		t.Errorf("PasswordSet(sales) %v, PasswordMustChange %v; want set, must change",
			tn.PasswordSet("sales@contoso.com"), tn.PasswordMustChange("sales@contoso.com"))
	}
	if last := tn.LastTemporaryAccessPass("Alice@contoso.com"); last != tap.Pass {
		t.Errorf("LastTemporaryAccessPass(alice) is not the pass issued")
	}
	if last := tn.LastTemporaryAccessPass("bob@contoso.com"); last != "" {
		t.Errorf("bob has a pass he was never given")
	}
	// A new pass replaces the old.
	clk.Add(time.Minute)
	next, err := tn.CreateTemporaryAccessPass(ctx, "alice@contoso.com", 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := tn.LastTemporaryAccessPass("alice@contoso.com"); last != next.Pass || next.Pass == tap.Pass ||
		!next.ExpiresAt.Equal(clk.Now().Add(sandbox.TAPDefaultLifetime)) {
		t.Errorf("second pass expires %v; want a new pass, the last one, for the default hour", next.ExpiresAt)
	}
}

func TestPasswordRefusedWithoutEcho(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	for _, weak := range []string{"short1A", "alllowercaseletters", "lowerand12345", "ÄÖÜ"} {
		err := tn.ResetPassword(ctx, "alice@contoso.com", weak, true)
		graph400(t, err, "The specified password does not comply with password complexity requirements. Please provide a different password.")
		if err != nil && strings.Contains(err.Error(), weak) {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	for _, ok := range []string{"lower123UPPER", "lower-and-123", "Kx7#mQ2v!pL9wR4z"} {
		if err := tn.ResetPassword(ctx, "alice@contoso.com", ok, false); err != nil {
			t.Errorf("ResetPassword(%q): %v", ok, err)
		}
	}
	if !tn.PasswordSet("alice@contoso.com") || tn.PasswordMustChange("alice@contoso.com") {
		t.Errorf("alice: PasswordSet %v, PasswordMustChange %v; want set, not forced",
			tn.PasswordSet("alice@contoso.com"), tn.PasswordMustChange("alice@contoso.com"))
	}
	if n := tn.ChangeCount("alice@contoso.com")[sandbox.ChangePasswordReset]; n != 3 {
		t.Errorf("%d resets recorded, want 3 (refused ones not)", n)
	}
}

func TestTemporaryAccessPass(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	seen := map[string]bool{}
	for range 50 {
		tap, err := tn.CreateTemporaryAccessPass(ctx, "kim@contoso.com", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(tap.Pass) != 12 || seen[tap.Pass] {
			t.Fatalf("pass %q: want 12 characters, never repeated", tap.Pass)
		}
		seen[tap.Pass] = true
	}
	for _, lifetime := range []time.Duration{9 * time.Minute, 31 * 24 * time.Hour, -time.Hour} {
		_, err := tn.CreateTemporaryAccessPass(ctx, "kim@contoso.com", lifetime)
		var re *mailbox.RemoteError
		if !errors.As(err, &re) || re.Status != 400 {
			t.Errorf("lifetime %v: %v, want a 400", lifetime, err)
		}
	}
	if _, err := tn.CreateTemporaryAccessPass(ctx, "nobody@contoso.com", time.Hour); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("CreateTemporaryAccessPass(nobody) = %v, want ErrNotFound", err)
	}
}

func TestDeletedUserWindow(t *testing.T) {
	ctx := t.Context()
	clk := newClock()
	seededAt := clk.Now()
	tn := sandbox.NewContoso(sandbox.Options{Now: clk.Now})

	du, err := tn.DeletedUser(ctx, "Gina@Contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if du.UserPrincipalName != "gina@contoso.com" || du.ID != sandbox.ObjectID("gina@contoso.com") ||
		du.DisplayName != "Gina Grey" || !du.DeletedAt.Equal(seededAt.Add(-72*time.Hour)) || len(du.Licenses) != 0 {
		t.Errorf("DeletedUser(gina) = %+v, want Gina Grey deleted 3 days before %v, licenses released", du, seededAt)
	}
	if all, err := tn.DeletedUsers(ctx); err != nil || len(all) != 1 || all[0].ID != du.ID || !all[0].DeletedAt.Equal(du.DeletedAt) || all[0].UserPrincipalName != du.UserPrincipalName {
		t.Errorf("DeletedUsers = %+v, %v; want only gina", all, err)
	}
	if _, err := tn.DeletedUser(ctx, "alice@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("DeletedUser(alice, not deleted) = %v, want ErrNotFound", err)
	}
	// Not found as a live user or mailbox, nor listed; her names stay taken.
	if _, err := tn.User(ctx, du.ID); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("User(gina) = %v", err)
	}
	if _, err := tn.GetMailbox(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("GetMailbox(gina) = %v", err)
	}
	for _, u := range tn.Users() {
		if u.UserPrincipalName == "gina@contoso.com" {
			t.Errorf("Users() lists deleted gina")
		}
	}
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "gina@contoso.com"}); err == nil {
		t.Errorf("a new user took deleted gina's UPN")
	}

	// 30 days after the deletion she is gone for good.
	clk.Add(27*24*time.Hour - time.Second)
	if _, err := tn.DeletedUser(ctx, "gina@contoso.com"); err != nil {
		t.Errorf("a second before 30 days: %v", err)
	}
	clk.Add(time.Second)
	if got, err := tn.DeletedUser(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("30 days after: DeletedUser = %+v, %v; want ErrNotFound", got, err)
	}
	if err := tn.RestoreDeletedUser(ctx, du.ID); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("30 days after: RestoreDeletedUser = %v, want ErrNotFound", err)
	}
	if all, err := tn.DeletedUsers(ctx); err != nil || len(all) != 0 {
		t.Errorf("30 days after: DeletedUsers = %+v, %v; want none", all, err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("changes: %+v", c)
	}
}

func TestRestoreLag(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{RestoreLag: 3, ConversionLag: 1})
	id := sandbox.ObjectID("gina@contoso.com")
	// Reads before the restore do not use up the lag.
	for range 5 {
		if _, err := tn.GetMailbox(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
			t.Fatalf("GetMailbox(deleted gina) = %v", err)
		}
	}
	// Restoring needs the object id, not the UPN.
	if err := tn.RestoreDeletedUser(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("RestoreDeletedUser(upn) = %v, want ErrNotFound", err)
	}
	if err := tn.RestoreDeletedUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	// The account is back at once, as it was, without licenses.
	gina, err := tn.User(ctx, "gina@contoso.com")
	if err != nil || !gina.AccountEnabled || len(gina.Licenses) != 0 {
		t.Errorf("restored gina = %+v, %v; want enabled, unlicensed", gina, err)
	}
	if m, err := tn.Manager(ctx, id); err != nil || m.UserPrincipalName != "maria@contoso.com" {
		t.Errorf("restored gina's manager = %+v, %v", m, err)
	}
	if got := skuByID(t, tn, sandbox.SkuOffice365E3).Consumed; got != 22 {
		t.Errorf("E3 consumed %d after the restore, want 22", got)
	}
	// The mailbox: other mailboxes' reads and other cmdlets do not use up
	// the lag; three Get-Mailbox reads of hers do.
	var got []bool
	for range 5 {
		tn.GetMailbox(ctx, "maria@contoso.com")
		if _, err := tn.MailboxStatistics(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) && len(got) < 3 {
			t.Errorf("statistics of the absent mailbox: %v", err)
		}
		_, err := tn.GetMailbox(ctx, "gina") // by alias
		if err != nil && !errors.Is(err, mailbox.ErrNotFound) {
			t.Fatal(err)
		}
		got = append(got, err == nil)
	}
	if want := []bool{false, false, false, true, true}; !slices.Equal(got, want) {
		t.Errorf("found on reads after the restore = %v, want %v", got, want)
	}
	if err := tn.SetMailboxType(ctx, "gina@contoso.com", mailbox.TypeShared); err != nil {
		t.Errorf("converting the restored mailbox: %v", err)
	}
	want := map[sandbox.ChangeKind]int{sandbox.ChangeUserRestored: 1, sandbox.ChangeMailboxType: 1}
	if c := tn.ChangeCount("gina@contoso.com"); !mapsEqual(c, want) {
		t.Errorf("ChangeCount(gina) = %v, want %v", c, want)
	}
	if err := tn.RestoreDeletedUser(ctx, id); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("restoring twice = %v, want ErrNotFound", err)
	}
}

func TestRestoreKeepsSignInState(t *testing.T) {
	ctx := t.Context()
	tn := seeded(t, sandbox.Options{}, []sandbox.UserSpec{
		{UserPrincipalName: "old@fabrikam.com", SignInBlocked: true, Deleted: true,
			DeletedAt: time.Now().Add(-29 * 24 * time.Hour)},
		{UserPrincipalName: "ancient@fabrikam.com", Deleted: true, DeletedAgo: 31 * 24 * time.Hour},
	})
	if _, err := tn.DeletedUser(ctx, "ancient@fabrikam.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("DeletedUser(deleted 31 days ago) = %v, want ErrNotFound", err)
	}
	du, err := tn.DeletedUser(ctx, "old@fabrikam.com")
	if err != nil || du.AccountEnabled {
		t.Fatalf("DeletedUser(old) = %+v, %v; want blocked", du, err)
	}
	if err := tn.RestoreDeletedUser(ctx, du.ID); err != nil {
		t.Fatal(err)
	}
	if u, err := tn.User(ctx, du.ID); err != nil || u.AccountEnabled {
		t.Errorf("restored user = %+v, %v; want sign-in still blocked", u, err)
	}
	if _, err := tn.GetMailbox(ctx, "old@fabrikam.com"); err != nil {
		t.Errorf("with no RestoreLag the mailbox is back at once: %v", err)
	}
}

func TestNewCallsCancelledContext(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, err := range map[string]error{
		"AssignLicenses":       tn.AssignLicenses(ctx, "carol@contoso.com", []string{sandbox.SkuOffice365E3}, nil),
		"RevokeSignInSessions": tn.RevokeSignInSessions(ctx, "alice@contoso.com"),
		"ResetPassword":        tn.ResetPassword(ctx, "alice@contoso.com", "Kx7#mQ2v!pL9wR4z", true),
		"RestoreDeletedUser":   tn.RestoreDeletedUser(ctx, sandbox.ObjectID("gina@contoso.com")),
		"AddFullAccess":        tn.AddFullAccess(ctx, "alice@contoso.com", "kim@contoso.com", true),
		"AddSendAs":            tn.AddSendAs(ctx, "alice@contoso.com", "kim@contoso.com"),
	} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s = %v, want context.Canceled", name, err)
		}
	}
	if _, err := tn.CreateTemporaryAccessPass(ctx, "alice@contoso.com", time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateTemporaryAccessPass = %v", err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("changes made with a cancelled context: %+v", c)
	}
}
