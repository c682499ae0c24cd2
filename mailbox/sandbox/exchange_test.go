package sandbox_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

func equalPerms(a, b []mailbox.Permission) bool {
	return slices.EqualFunc(a, b, func(x, y mailbox.Permission) bool {
		return x.User == y.User && slices.Equal(x.AccessRights, y.AccessRights) && x.IsInherited == y.IsInherited && x.Deny == y.Deny
	})
}

func TestPermissionNoise(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	self := mailbox.Permission{User: `NT AUTHORITY\SELF`, AccessRights: []string{"FullAccess", "ReadPermission"}}
	system := mailbox.Permission{User: `NT AUTHORITY\SYSTEM`, AccessRights: []string{"FullAccess"}, IsInherited: true, Deny: true}

	perms, err := tn.MailboxPermissions(ctx, "sales@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := []mailbox.Permission{self, system}; !equalPerms(perms, want) {
		t.Errorf("MailboxPermissions(sales) = %+v, want only Exchange's own %+v", perms, want)
	}
	// By alias, then by UPN: one grant, shown by UPN.
	if err := tn.AddFullAccess(ctx, "sales", "KIM", false); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddFullAccess(ctx, "sales@contoso.com", "kim@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddFullAccess(ctx, "sales@contoso.com", "lee@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	perms, _ = tn.MailboxPermissions(ctx, "sales@contoso.com")
	want := []mailbox.Permission{self,
		{User: "kim@contoso.com", AccessRights: []string{"FullAccess"}},
		{User: "lee@contoso.com", AccessRights: []string{"FullAccess"}},
		system}
	if !equalPerms(perms, want) {
		t.Errorf("MailboxPermissions(sales) = %+v, want %+v", perms, want)
	}
	if auto, ok := tn.FullAccessAutoMapping("sales@contoso.com", "kim@contoso.com"); !ok || auto {
		t.Errorf("kim's grant: automapping %v, granted %v; want the first grant, without automapping", auto, ok)
	}
	if auto, ok := tn.FullAccessAutoMapping("sales@contoso.com", "lee"); !ok || !auto {
		t.Errorf("lee's grant: automapping %v, granted %v; want automapping", auto, ok)
	}
	if _, ok := tn.FullAccessAutoMapping("sales@contoso.com", "alice@contoso.com"); ok {
		t.Errorf("alice has a grant she was never given")
	}

	rp, err := tn.RecipientPermissions(ctx, "sales@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	selfSendAs := mailbox.Permission{User: `NT AUTHORITY\SELF`, AccessRights: []string{"SendAs"}}
	if want := []mailbox.Permission{selfSendAs}; !equalPerms(rp, want) {
		t.Errorf("RecipientPermissions(sales) = %+v, want %+v", rp, want)
	}
	// A group is a trustee too, by name or id, shown by name.
	if err := tn.AddSendAs(ctx, "sales@contoso.com", "All Staff"); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddSendAs(ctx, "sales@contoso.com", sandbox.ContosoAllStaffGroupID); err != nil {
		t.Fatal(err)
	}
	rp, _ = tn.RecipientPermissions(ctx, "sales@contoso.com")
	if want := []mailbox.Permission{selfSendAs, {User: "All Staff", AccessRights: []string{"SendAs"}}}; !equalPerms(rp, want) {
		t.Errorf("RecipientPermissions(sales) = %+v, want %+v", rp, want)
	}
	if err := tn.RemoveSendAs(ctx, "sales@contoso.com", "all staff"); err != nil {
		t.Fatal(err)
	}
	if err := tn.RemoveFullAccess(ctx, "sales@contoso.com", "kim"); err != nil {
		t.Fatal(err)
	}
	// Removing what is not there changes nothing.
	if err := tn.RemoveFullAccess(ctx, "sales@contoso.com", "kim@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if err := tn.RemoveSendAs(ctx, "sales@contoso.com", "kim@contoso.com"); err != nil {
		t.Fatal(err)
	}
	perms, _ = tn.MailboxPermissions(ctx, "sales@contoso.com")
	if want := []mailbox.Permission{self, {User: "lee@contoso.com", AccessRights: []string{"FullAccess"}}, system}; !equalPerms(perms, want) {
		t.Errorf("after removing kim: %+v, want %+v", perms, want)
	}

	var kinds []sandbox.ChangeKind
	var whom []string
	for _, c := range tn.Changes() {
		if c.UserPrincipalName != "sales@contoso.com" {
			t.Errorf("change to another user: %+v", c)
		}
		kinds = append(kinds, c.Kind)
		whom = append(whom, c.From+">"+c.To)
	}
	wantKinds := []sandbox.ChangeKind{sandbox.ChangeFullAccessAdded, sandbox.ChangeFullAccessAdded,
		sandbox.ChangeSendAsAdded, sandbox.ChangeSendAsRemoved, sandbox.ChangeFullAccessRemoved}
	wantWhom := []string{">kim@contoso.com", ">lee@contoso.com", ">All Staff", "All Staff>", "kim@contoso.com>"}
	if !slices.Equal(kinds, wantKinds) || !slices.Equal(whom, wantWhom) {
		t.Errorf("changes %v %q, want %v %q", kinds, whom, wantKinds, wantWhom)
	}
}

func TestPermissionTrusteeNotFound(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	for _, trustee := range []string{"nobody@contoso.com", "gina@contoso.com", "No Such Group"} {
		for name, err := range map[string]error{
			"Add-MailboxPermission":   tn.AddFullAccess(ctx, "sales@contoso.com", trustee, true),
			"Add-RecipientPermission": tn.AddSendAs(ctx, "sales@contoso.com", trustee),
		} {
			var re *mailbox.RemoteError
			want := "The operation couldn't be performed because object '" + trustee +
				"' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'."
			if !errors.As(err, &re) || re.Service != "exchange" || re.Op != name || re.Status != 404 ||
				re.Code != "NotFound" || re.Message != want || !errors.Is(err, mailbox.ErrNotFound) {
				t.Errorf("%s(sales, %s) = %#v, want Exchange's ManagementObjectNotFound", name, trustee, err)
			}
		}
	}
	// The mailbox of a deleted user cannot be granted on.
	if err := tn.AddFullAccess(ctx, "gina@contoso.com", "kim@contoso.com", true); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("AddFullAccess(deleted gina) = %v", err)
	}
	// A user without a mailbox is a trustee all the same.
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "contractor@contoso.com", NoMailbox: true}); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddFullAccess(ctx, "sales@contoso.com", "contractor@contoso.com", true); err != nil {
		t.Errorf("AddFullAccess(contractor without a mailbox): %v", err)
	}
	if n := len(tn.Changes()); n != 1 {
		t.Errorf("%d changes, want 1", n)
	}
}

func TestMailboxStatistics(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	const gb = 1 << 30
	for upn, want := range map[string]mailbox.MailboxStatistics{
		"alice@contoso.com": {TotalItemSize: 15_687_850_951, ItemCount: 48211},
		"frank@contoso.com": {TotalItemSize: 58 * gb, ItemCount: 58 * gb / 325_000},
		"hank@contoso.com":  {TotalItemSize: 112 * gb, ItemCount: 112 * gb / 325_000},
	} {
		if got, err := tn.MailboxStatistics(ctx, upn); err != nil || got != want {
			t.Errorf("MailboxStatistics(%s) = %+v, %v; want %+v", upn, got, err, want)
		}
	}
	if _, err := tn.MailboxStatistics(ctx, "gina@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("MailboxStatistics(deleted gina) = %v", err)
	}
	if r := tn.Reads()[sandbox.ReadMailboxSize]; r != 4 {
		t.Errorf("Reads()[MailboxSize] = %d, want 4", r)
	}
}

// TestContosoIssue3Cast checks the people added for issue 3.
func TestContosoIssue3Cast(t *testing.T) {
	ctx := t.Context()
	clk := newClock()
	tn := sandbox.NewContoso(sandbox.Options{Now: clk.Now})
	const gb = 1 << 30
	mb := func(upn string) mailbox.Mailbox {
		t.Helper()
		m, err := tn.GetMailbox(ctx, upn)
		if err != nil {
			t.Fatalf("GetMailbox(%s): %v", upn, err)
		}
		return m
	}
	size := func(upn string) int64 {
		t.Helper()
		st, err := tn.MailboxStatistics(ctx, upn)
		if err != nil {
			t.Fatal(err)
		}
		return st.TotalItemSize
	}
	if s := size("hank@contoso.com"); s <= 100*gb {
		t.Errorf("hank's mailbox is %d bytes, want over 100 GB", s)
	}
	if s := size("frank@contoso.com"); s != 58*gb {
		t.Errorf("frank's mailbox is %d bytes, want 58 GB", s)
	}
	if m := mb("hank@contoso.com"); m.OnHold() || m.HasArchive() {
		t.Errorf("hank = %+v, want no hold, no archive", m)
	}
	if m := mb("irene@contoso.com"); !m.LitigationHoldEnabled || !m.OnHold() || m.HasArchive() {
		t.Errorf("irene = %+v, want litigation hold only", m)
	}
	if m := mb("jack@contoso.com"); m.ArchiveStatus != "Active" || !m.AutoExpandingArchiveEnabled || m.OnHold() {
		t.Errorf("jack = %+v, want an active, auto-expanding archive, no hold", m)
	}
	for _, upn := range []string{"alice@contoso.com", "kim@contoso.com", "lee@contoso.com"} {
		if m := mb(upn); m.OnHold() || m.HasArchive() || m.AutoExpandingArchiveEnabled {
			t.Errorf("%s = %+v, want plain", upn, m)
		}
	}
	sales, err := tn.User(ctx, "sales@contoso.com")
	if err != nil || sales.AccountEnabled || len(sales.Licenses) != 0 || sales.DisplayName != "Sales Team" {
		t.Errorf("sales = %+v, %v; want blocked, unlicensed Sales Team", sales, err)
	}
	if m := mb("sales@contoso.com"); m.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Errorf("sales is a %s", m.RecipientTypeDetails)
	}
	erin, _ := tn.User(ctx, "erin@contoso.com")
	if len(erin.Licenses) != 1 || erin.Licenses[0].AssignedByGroup != sandbox.ContosoAllStaffGroupID {
		t.Errorf("erin licenses = %+v, want one through All Staff", erin.Licenses)
	} else if name, err := tn.GroupName(ctx, erin.Licenses[0].AssignedByGroup); err != nil || name != "All Staff" {
		t.Errorf("erin's group = %q, %v", name, err)
	}
	for _, upn := range []string{"hank", "irene", "jack", "kim", "lee"} {
		u, err := tn.User(ctx, upn+"@contoso.com")
		if err != nil || !slices.Equal(u.Licenses, []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}) || !u.AccountEnabled {
			t.Errorf("%s = %+v, %v; want enabled, Office 365 E3", upn, u, err)
		}
	}
	gina, err := tn.DeletedUser(ctx, "gina@contoso.com")
	if err != nil || gina.DisplayName != "Gina Grey" || clk.Now().Sub(gina.DeletedAt) != 3*24*time.Hour {
		t.Errorf("gina = %+v, %v; want Gina Grey deleted 3 days ago", gina, err)
	}
	if err := tn.RestoreDeletedUser(ctx, gina.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := tn.Manager(ctx, gina.ID); err != nil || m.UserPrincipalName != "maria@contoso.com" {
		t.Errorf("gina's manager = %+v, %v; want maria", m, err)
	}
}
