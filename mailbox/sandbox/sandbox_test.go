package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/mailboxtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

func seeded(t *testing.T, opts sandbox.Options, seed []sandbox.UserSpec) *sandbox.Tenant {
	t.Helper()
	tn := sandbox.New(opts)
	if err := tn.AddUsers(seed...); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return tn
}

func TestDirectoryContract(t *testing.T) {
	mailboxtest.TestDirectory(t, func(t *testing.T, seed []sandbox.UserSpec) mailbox.Directory {
		return seeded(t, sandbox.Options{}, seed)
	})
}

func TestExchangeContract(t *testing.T) {
	for _, lag := range []int{0, 1, 5} {
		t.Run(fmt.Sprintf("lag%d", lag), func(t *testing.T) {
			mailboxtest.TestExchange(t, func(t *testing.T, seed []sandbox.UserSpec) mailbox.Exchange {
				return seeded(t, sandbox.Options{ConversionLag: lag, CreateLag: lag}, seed)
			})
		})
	}
}

func TestRecoveryContract(t *testing.T) {
	for _, lag := range []int{0, 1, 5} {
		t.Run(fmt.Sprintf("lag%d", lag), func(t *testing.T) {
			mailboxtest.TestRecovery(t, func(t *testing.T, seed []sandbox.UserSpec) (mailbox.Directory, mailbox.Exchange) {
				tn := seeded(t, sandbox.Options{RestoreLag: lag, ConversionLag: lag, CreateLag: lag}, seed)
				return tn, tn
			})
		})
	}
}

func recipientType(t *testing.T, tn *sandbox.Tenant, identity string) string {
	t.Helper()
	mb, err := tn.GetMailbox(t.Context(), identity)
	if err != nil {
		t.Fatalf("GetMailbox(%s): %v", identity, err)
	}
	return mb.RecipientTypeDetails
}

func TestConversionLag(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{ConversionLag: 2})
	const u, s = mailbox.RecipientUserMailbox, mailbox.RecipientSharedMailbox

	// Reads before any change do not use up the lag.
	for range 3 {
		if got := recipientType(t, tn, "alice@contoso.com"); got != u {
			t.Fatalf("before conversion: %s", got)
		}
	}
	if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); err != nil {
		t.Fatal(err)
	}
	// Another mailbox's reads do not use up alice's lag.
	recipientType(t, tn, "maria@contoso.com")
	var got []string
	for range 4 {
		got = append(got, recipientType(t, tn, "ALICE@contoso.com"))
	}
	if want := []string{u, u, s, s}; !slices.Equal(got, want) {
		t.Errorf("reads after Set-Mailbox -Type Shared = %v, want %v", got, want)
	}

	// Back to regular, and a change of mind during the lag.
	if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeRegular); err != nil {
		t.Fatal(err)
	}
	got = []string{recipientType(t, tn, "alice@contoso.com")}
	if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		got = append(got, recipientType(t, tn, "alice@contoso.com"))
	}
	// Shared -> Regular: 1 old read; Regular -> Shared before the lag ran
	// out: Exchange still shows Shared, which the new change wants anyway.
	if want := []string{s, s, s, s, s}; !slices.Equal(got, want) {
		t.Errorf("reads = %v, want %v", got, want)
	}
	if n := tn.ChangeCount("alice@contoso.com")[sandbox.ChangeMailboxType]; n != 3 {
		t.Errorf("%d type changes recorded, want 3", n)
	}
}

func TestConversionLagZero(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	if err := tn.SetMailboxType(t.Context(), "alice@contoso.com", mailbox.TypeShared); err != nil {
		t.Fatal(err)
	}
	if got := recipientType(t, tn, "alice@contoso.com"); got != mailbox.RecipientSharedMailbox {
		t.Errorf("with no lag the first read says %s", got)
	}
}

func TestChangesIgnoreNoOps(t *testing.T) {
	ctx := t.Context()
	clock := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tn := sandbox.NewContoso(sandbox.Options{ConversionLag: 3, Now: func() time.Time { return clock }})

	// No-ops: bob is already shared, alice already a user mailbox, and
	// alice may already sign in.
	if err := tn.SetMailboxType(ctx, "bob@contoso.com", mailbox.TypeShared); err != nil {
		t.Fatal(err)
	}
	if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeRegular); err != nil {
		t.Fatal(err)
	}
	if err := tn.SetAccountEnabled(ctx, "alice@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Fatalf("no-ops recorded as changes: %+v", c)
	}

	alice, err := tn.User(ctx, "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	// Each change twice; the second time (even while Exchange still
	// reports the old type) changes nothing.
	for range 2 {
		if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
		if err := tn.SetAccountEnabled(ctx, alice.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	want := []sandbox.Change{
		{Seq: 1, At: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), Kind: sandbox.ChangeMailboxType,
			UserID: alice.ID, UserPrincipalName: "alice@contoso.com", From: "UserMailbox", To: "SharedMailbox"},
		{Seq: 2, At: time.Date(2026, 11, 21, 10, 1, 0, 0, time.UTC), Kind: sandbox.ChangeAccountEnabled,
			UserID: alice.ID, UserPrincipalName: "alice@contoso.com", From: "true", To: "false"},
	}
	if got := tn.Changes(); !slices.Equal(got, want) {
		t.Errorf("Changes() =\n%+v\nwant\n%+v", got, want)
	}
	wantCount := map[sandbox.ChangeKind]int{sandbox.ChangeMailboxType: 1, sandbox.ChangeAccountEnabled: 1}
	if got := tn.ChangeCount("Alice@Contoso.com"); !mapsEqual(got, wantCount) {
		t.Errorf("ChangeCount(alice) = %v, want %v", got, wantCount)
	}
	if got := tn.ChangeCount("bob@contoso.com"); len(got) != 0 {
		t.Errorf("ChangeCount(bob) = %v, want none", got)
	}
}

func mapsEqual[K comparable](a, b map[K]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestConcurrentChangesRecordedOnce(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{ConversionLag: 5})
	const n = 50
	start := make(chan struct{})
	errs := make(chan error, 3*n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			errs <- tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared)
		})
		wg.Go(func() {
			<-start
			errs <- tn.SetAccountEnabled(ctx, "alice@contoso.com", false)
		})
		wg.Go(func() {
			<-start
			_, err := tn.GetMailbox(ctx, "alice@contoso.com")
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[sandbox.ChangeKind]int{sandbox.ChangeMailboxType: 1, sandbox.ChangeAccountEnabled: 1}
	if got := tn.ChangeCount("alice@contoso.com"); !mapsEqual(got, want) {
		t.Errorf("after %d concurrent calls each: ChangeCount = %v, want %v", n, got, want)
	}
	if len(tn.Changes()) != 2 {
		t.Errorf("Changes() = %+v, want 2", tn.Changes())
	}
	if r := tn.Reads()[sandbox.ReadGetMailbox]; r != n {
		t.Errorf("Reads()[GetMailbox] = %d, want %d", r, n)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestContosoCast(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	type want struct {
		name, manager, recipient string
		licensed, dirSynced      bool
		group                    string
		blocked                  bool
	}
	cast := map[string]want{
		"alice": {"Alice Andersen", "maria", "UserMailbox", true, false, "", false},
		"bob":   {"Bob Berg", "", "SharedMailbox", true, false, "", false},
		"carol": {"Carol Chen", "maria", "UserMailbox", false, false, "", false},
		"dave":  {"Dave Dekker", "maria", "UserMailbox", true, true, "", false},
		"erin":  {"Erin Evans", "", "UserMailbox", true, false, sandbox.ContosoAllStaffGroupID, false},
		"frank": {"Frank Fox", "grace", "UserMailbox", true, false, "", false},
		"grace": {"Grace Green", "", "UserMailbox", true, false, "", false},
		"maria": {"Maria Martens", "", "UserMailbox", true, false, "", false},
		"rita":  {"Rita Ramos", "maria", "UserMailbox", true, false, "", false},
		"hank":  {"Hank Hill", "maria", "UserMailbox", true, false, "", false},
		"irene": {"Irene Iris", "maria", "UserMailbox", true, false, "", false},
		"jack":  {"Jack Jones", "maria", "UserMailbox", true, false, "", false},
		"sales": {"Sales Team", "", "SharedMailbox", false, false, "", true},
		"kim":   {"Kim King", "", "UserMailbox", true, false, "", false},
		"lee":   {"Lee Long", "", "UserMailbox", true, false, "", false},
		"info":  {"Contoso Info", "", "SharedMailbox", false, false, "", true},
		// Issue 16: a leaver and the mailboxes he holds rights on.
		"leo":      {"Leo Lane", "maria", "UserMailbox", true, false, "", false},
		"projects": {"Projects", "", "SharedMailbox", false, false, "", true},
		"billing":  {"Billing", "", "SharedMailbox", false, false, "", true},
		"hr":       {"HR", "", "SharedMailbox", false, false, "", true},
	}
	if got := len(tn.Users()); got != len(cast) {
		t.Errorf("%d users, want %d", got, len(cast))
	}
	for name, w := range cast {
		upn := name + "@contoso.com"
		u, err := tn.User(ctx, upn)
		if err != nil {
			t.Errorf("%s: %v", upn, err)
			continue
		}
		if u.DisplayName != w.name || u.Mail != upn || u.AccountEnabled == w.blocked || u.OnPremisesSyncEnabled != w.dirSynced {
			t.Errorf("%s = %+v", upn, u)
		}
		if u.ID != sandbox.ObjectID(upn) || !uuidRE.MatchString(u.ID) {
			t.Errorf("%s id %q is not ObjectID(upn) %q", upn, u.ID, sandbox.ObjectID(upn))
		}
		if (len(u.Licenses) > 0) != w.licensed {
			t.Errorf("%s licenses %+v, licensed want %v", upn, u.Licenses, w.licensed)
		}
		if len(u.Licenses) > 0 && u.Licenses[0].AssignedByGroup != w.group {
			t.Errorf("%s license by group %q, want %q", upn, u.Licenses[0].AssignedByGroup, w.group)
		}
		m, err := tn.Manager(ctx, u.ID)
		switch {
		case w.manager == "" && !errors.Is(err, mailbox.ErrNotFound):
			t.Errorf("%s manager = %+v, %v; want ErrNotFound", upn, m, err)
		case w.manager != "" && (err != nil || m.UserPrincipalName != w.manager+"@contoso.com"):
			t.Errorf("%s manager = %+v, %v; want %s", upn, m, err, w.manager)
		}
		mb, err := tn.GetMailbox(ctx, upn)
		if err != nil {
			t.Errorf("%s mailbox: %v", upn, err)
			continue
		}
		if mb.RecipientTypeDetails != w.recipient || mb.IsDirSynced != w.dirSynced ||
			mb.ExternalDirectoryObjectID != u.ID || mb.DisplayName != w.name {
			t.Errorf("%s mailbox = %+v", upn, mb)
		}
	}
	alice, _ := tn.User(ctx, "alice@contoso.com")
	if want := []mailbox.License{{SkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900"}}; !slices.Equal(alice.Licenses, want) {
		t.Errorf("alice licenses %+v, want Office 365 E3", alice.Licenses)
	}
	if size, err := tn.MailboxSizeBytes(ctx, "alice@contoso.com"); err != nil || size != 15_687_850_951 {
		t.Errorf("alice size = %d, %v", size, err)
	}
	if size, _ := tn.MailboxSizeBytes(ctx, "frank@contoso.com"); size <= 50<<30 {
		t.Errorf("frank size = %d, want over 50 GB", size)
	}
	// Reproducible: a second tenant has the same ids.
	again, _ := sandbox.NewContoso(sandbox.Options{}).User(ctx, "alice@contoso.com")
	if again.ID != alice.ID {
		t.Errorf("alice's id differs between tenants: %s, %s", alice.ID, again.ID)
	}
	// Callers get copies.
	alice.Licenses[0].SkuID = "mutated"
	if again, _ := tn.User(ctx, "alice@contoso.com"); again.Licenses[0].SkuID == "mutated" {
		t.Errorf("User returned the tenant's own license slice")
	}
}

func TestObjectID(t *testing.T) {
	a := sandbox.ObjectID("alice@contoso.com")
	if !uuidRE.MatchString(a) {
		t.Errorf("ObjectID = %q, not a version 5 UUID", a)
	}
	if b := sandbox.ObjectID("ALICE@contoso.com"); b != a {
		t.Errorf("ObjectID depends on case: %s, %s", a, b)
	}
	if b := sandbox.ObjectID("bob@contoso.com"); b == a {
		t.Errorf("alice and bob share the id %s", a)
	}
	if g := sandbox.MailboxGUID("alice@contoso.com"); g == a || !uuidRE.MatchString(g) {
		t.Errorf("MailboxGUID = %q", g)
	}
}

func TestAddUserErrors(t *testing.T) {
	tn := sandbox.New(sandbox.Options{})
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "ann@fabrikam.com", Alias: "a"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []sandbox.UserSpec{
		{},
		{UserPrincipalName: "not-an-address"},
		{UserPrincipalName: "ANN@fabrikam.com"},
		{UserPrincipalName: "other@fabrikam.com", Mail: "ann@fabrikam.com"},
		{UserPrincipalName: "other@fabrikam.com", Alias: "A"},
		{UserPrincipalName: "other@fabrikam.com", ID: sandbox.ObjectID("ann@fabrikam.com")},
	} {
		if _, err := tn.AddUser(s); err == nil {
			t.Errorf("AddUser(%+v) succeeded, want an error", s)
		}
	}
	if n := len(tn.Users()); n != 1 {
		t.Errorf("%d users after failed adds, want 1", n)
	}
	// A user without a mailbox has no mail and no mailbox.
	u, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "cal@fabrikam.com", NoMailbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.Mail != "" || u.Email() != "cal@fabrikam.com" || u.DisplayName != "cal@fabrikam.com" {
		t.Errorf("cal = %+v", u)
	}
	if _, err := tn.GetMailbox(t.Context(), "cal"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("GetMailbox(cal) = %v, want ErrNotFound", err)
	}
}

func TestLookupByMailAndMailboxIDs(t *testing.T) {
	ctx := t.Context()
	tn := seeded(t, sandbox.Options{}, []sandbox.UserSpec{
		{UserPrincipalName: "j.doe@fabrikam.onmicrosoft.com", Mail: "jane@fabrikam.com", DisplayName: "Jane Doe"},
	})
	u, err := tn.User(ctx, "Jane@Fabrikam.com")
	if err != nil || u.UserPrincipalName != "j.doe@fabrikam.onmicrosoft.com" {
		t.Fatalf("User(mail) = %+v, %v", u, err)
	}
	for _, id := range []string{"jane@fabrikam.com", "j.doe", u.ID, sandbox.MailboxGUID(u.UserPrincipalName)} {
		mb, err := tn.GetMailbox(ctx, id)
		if err != nil || mb.UserPrincipalName != u.UserPrincipalName || mb.PrimarySMTPAddress != "jane@fabrikam.com" {
			t.Errorf("GetMailbox(%q) = %+v, %v", id, mb, err)
		}
	}
}

func TestRemoteErrors(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	var re *mailbox.RemoteError

	_, err := tn.User(ctx, "nobody@contoso.com")
	if !errors.As(err, &re) || re.Service != "graph" || re.Status != 404 || re.Code != "Request_ResourceNotFound" {
		t.Errorf("User(nobody) = %#v", err)
	}
	_, err = tn.GetMailbox(ctx, "nobody@contoso.com")
	if !errors.As(err, &re) || re.Service != "exchange" || re.Status != 404 || re.Op != "Get-Mailbox" ||
		re.Message == "" || !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("GetMailbox(nobody) = %#v", err)
	}
	err = tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.MailboxType("Equipment"))
	if !errors.As(err, &re) || re.Status != 400 || errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("SetMailboxType(Equipment) = %#v, want a 400", err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("a refused change was recorded: %+v", c)
	}
}

func TestCancelledContext(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := tn.User(ctx, "alice@contoso.com"); !errors.Is(err, context.Canceled) {
		t.Errorf("User = %v, want context.Canceled", err)
	}
	if err := tn.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); !errors.Is(err, context.Canceled) {
		t.Errorf("SetMailboxType = %v, want context.Canceled", err)
	}
	if err := tn.SetAccountEnabled(ctx, "alice@contoso.com", false); !errors.Is(err, context.Canceled) {
		t.Errorf("SetAccountEnabled = %v, want context.Canceled", err)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("changes made with a cancelled context: %+v", c)
	}
}

func TestReads(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	tn.User(ctx, "alice@contoso.com")
	tn.User(ctx, "nobody@contoso.com")
	tn.Manager(ctx, "alice@contoso.com")
	tn.GetMailbox(ctx, "alice@contoso.com")
	want := map[string]int{sandbox.ReadUser: 2, sandbox.ReadManager: 1, sandbox.ReadGetMailbox: 1}
	if got := tn.Reads(); !mapsEqual(got, want) {
		t.Errorf("Reads() = %v, want %v", got, want)
	}
}

// TestPlanAndRun drives the mailbox planner and executor against the demo
// tenant, the way the worker will: the conversion shows after the lag, and a
// step retried during the lag changes nothing twice.
func TestPlanAndRun(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{ConversionLag: 2})
	p := &mailbox.Planner{Directory: tn, Exchange: tn}
	e := &mailbox.Executor{Directory: tn, Exchange: tn}

	for upn, rule := range map[string]int{"bob@contoso.com": 0, "carol@contoso.com": 1, "dave@contoso.com": 8} {
		plan, err := p.Plan(ctx, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: upn})
		if err != nil {
			t.Fatalf("plan %s: %v", upn, err)
		}
		if b := plan.Blockers(); len(b) != 1 || b[0].Rule != rule {
			t.Errorf("plan %s blockers = %+v, want one of rule %d", upn, b, rule)
		}
	}

	plan, err := p.Plan(ctx, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	if b := plan.Blockers(); len(b) != 0 || plan.Target.ManagerEmail != "maria@contoso.com" {
		t.Fatalf("plan alice: blockers %+v, manager %q", b, plan.Target.ManagerEmail)
	}
	run := func(name mailbox.StepName) mailbox.Status {
		t.Helper()
		for _, s := range plan.Steps {
			if s.Name == name {
				out, err := e.Run(ctx, plan.Target, s, false)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return out.Status
			}
		}
		t.Fatalf("no step %s", name)
		return ""
	}
	// A crash right after the conversion: the step runs again while
	// Exchange still reports UserMailbox, and Set-Mailbox changes nothing.
	got := []mailbox.Status{
		run(mailbox.StepConvertToShared), run(mailbox.StepConvertToShared),
		run(mailbox.StepVerifyShared), run(mailbox.StepVerifyShared),
		run(mailbox.StepBlockSignIn), run(mailbox.StepBlockSignIn),
		run(mailbox.StepConvertToShared),
	}
	want := []mailbox.Status{
		mailbox.Done, mailbox.Done, // the retry read the lagging UserMailbox
		mailbox.Pending, mailbox.Done,
		mailbox.Done, mailbox.Skipped,
		mailbox.Skipped,
	}
	if !slices.Equal(got, want) {
		t.Errorf("step outcomes = %v, want %v", got, want)
	}
	wantCount := map[sandbox.ChangeKind]int{sandbox.ChangeMailboxType: 1, sandbox.ChangeAccountEnabled: 1}
	if c := tn.ChangeCount("alice@contoso.com"); !mapsEqual(c, wantCount) {
		t.Errorf("ChangeCount(alice) = %v, want each change once", c)
	}
}
