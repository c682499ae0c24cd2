package sandbox_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// exchange400 checks Exchange's 400 for New-Mailbox with its exact text.
func exchange400(t *testing.T, err error, message string) {
	t.Helper()
	var re *mailbox.RemoteError
	if !errors.As(err, &re) || re.Service != "exchange" || re.Op != "New-Mailbox" || re.Status != 400 ||
		re.Code != "BadRequest" || re.Message != message || errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("NewSharedMailbox = %#v, want Exchange's 400 %q", err, message)
	}
}

func TestCreateLag(t *testing.T) {
	ctx := t.Context()
	clk := newClock()
	tn := sandbox.NewContoso(sandbox.Options{CreateLag: 3, ConversionLag: 1, Now: clk.Now})
	const addr = "support@contoso.com"
	mb, err := tn.NewSharedMailbox(ctx, "Support", "Contoso Support", addr)
	if err != nil {
		t.Fatal(err)
	}
	id := sandbox.ObjectID(addr)
	want := mailbox.Mailbox{Identity: "Support", DisplayName: "Contoso Support", UserPrincipalName: addr,
		PrimarySMTPAddress: addr, ExternalDirectoryObjectID: id, RecipientTypeDetails: mailbox.RecipientSharedMailbox,
		ArchiveStatus: "None"}
	if !equalMailbox(mb, want) {
		t.Errorf("NewSharedMailbox = %+v, want %+v", mb, want)
	}
	// The address is taken at once, though nothing finds the mailbox yet.
	if ok, err := tn.RecipientExists(ctx, addr); err != nil || !ok {
		t.Errorf("RecipientExists(new) = %v, %v; want true at once", ok, err)
	}
	_, err = tn.NewSharedMailbox(ctx, "Support 2", "Contoso Support", addr)
	exchange400(t, err, `The proxy address "SMTP:support@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`)

	// Other cmdlets and other mailboxes' reads do not use up the lag;
	// three Get-Mailbox reads of it do.
	var found []bool
	for range 5 {
		tn.GetMailbox(ctx, "alice@contoso.com")
		absent := len(found) < 3
		if _, err := tn.MailboxPermissions(ctx, addr); errors.Is(err, mailbox.ErrNotFound) != absent {
			t.Errorf("read %d: MailboxPermissions(new) = %v", len(found), err)
		}
		if err := tn.SetSendOnBehalf(ctx, addr, []string{"kim@contoso.com"}, nil); errors.Is(err, mailbox.ErrNotFound) != absent {
			t.Errorf("read %d: SetSendOnBehalf(new) = %v", len(found), err)
		}
		_, err := tn.GetMailbox(ctx, "support") // by alias
		if err != nil && !errors.Is(err, mailbox.ErrNotFound) {
			t.Fatal(err)
		}
		found = append(found, err == nil)
	}
	if want := []bool{false, false, false, true, true}; !slices.Equal(found, want) {
		t.Errorf("mailbox found on reads after the creation = %v, want %v", found, want)
	}

	// The account: Graph's other calls do not use up the lag; three User
	// reads do. It can sign in, as Exchange leaves it, without a license.
	found = nil
	for range 5 {
		absent := len(found) < 3
		if err := tn.SetAccountEnabled(ctx, id, true); errors.Is(err, mailbox.ErrNotFound) != absent {
			t.Errorf("read %d: SetAccountEnabled(new) = %v", len(found), err)
		}
		u, err := tn.User(ctx, addr)
		if err != nil && !errors.Is(err, mailbox.ErrNotFound) {
			t.Fatal(err)
		}
		if err == nil && len(found) == 3 && (!u.AccountEnabled || len(u.Licenses) != 0 || u.DisplayName != "Contoso Support" || u.ID != id) {
			t.Errorf("new account = %+v, want Contoso Support (%s), enabled, unlicensed", u, id)
		}
		found = append(found, err == nil)
	}
	if want := []bool{false, false, false, true, true}; !slices.Equal(found, want) {
		t.Errorf("account found on reads after the creation = %v, want %v", found, want)
	}
	if err := tn.SetAccountEnabled(ctx, id, false); err != nil { // rule 11
		t.Fatal(err)
	}
	wantCount := map[sandbox.ChangeKind]int{sandbox.ChangeMailboxCreated: 1, sandbox.ChangeSendOnBehalfAdded: 1,
		sandbox.ChangeAccountEnabled: 1}
	if c := tn.ChangeCount(addr); !mapsEqual(c, wantCount) {
		t.Errorf("ChangeCount(new) = %v, want %v", c, wantCount)
	}
	if c := tn.Changes()[0]; c.Kind != sandbox.ChangeMailboxCreated || c.UserID != id || c.To != mailbox.RecipientSharedMailbox ||
		!c.At.Equal(clk.Now()) {
		t.Errorf("first change = %+v, want the creation", c)
	}
	if got := tn.Reads()[sandbox.ReadRecipient]; got != 1 {
		t.Errorf("Reads()[Recipient] = %d, want 1", got)
	}
}

func equalMailbox(a, b mailbox.Mailbox) bool {
	return a.Identity == b.Identity && a.DisplayName == b.DisplayName && a.UserPrincipalName == b.UserPrincipalName &&
		a.PrimarySMTPAddress == b.PrimarySMTPAddress && a.ExternalDirectoryObjectID == b.ExternalDirectoryObjectID &&
		a.RecipientTypeDetails == b.RecipientTypeDetails && a.IsDirSynced == b.IsDirSynced &&
		a.LitigationHoldEnabled == b.LitigationHoldEnabled && slices.Equal(a.InPlaceHolds, b.InPlaceHolds) &&
		a.ArchiveStatus == b.ArchiveStatus && a.HiddenFromAddressListsEnabled == b.HiddenFromAddressListsEnabled &&
		slices.Equal(a.GrantSendOnBehalfTo, b.GrantSendOnBehalfTo) && a.AutoExpandingArchiveEnabled == b.AutoExpandingArchiveEnabled
}

func TestNewSharedMailboxRefusals(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	proxy := func(addr string) string {
		return `The proxy address "SMTP:` + addr + `" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`
	}
	for _, c := range []struct{ name, address, message string }{
		{"Sales", "sales@contoso.com", proxy("sales@contoso.com")},                // a shared mailbox
		{"Sales", "SALES@contoso.com", proxy("SALES@contoso.com")},                // in any case
		{"Sales Team", "sales-team@contoso.com", proxy("sales-team@contoso.com")}, // a group
		{"Gina", "gina@contoso.com", proxy("gina@contoso.com")},                   // a deleted user's
		{"Info", "info@contoso.com", proxy("info@contoso.com")},
		{"Support", "support@fabrikam.com", "The domain fabrikam.com isn't an accepted domain for your organization."},
		{"Sales Team", "support@contoso.com", `The name "Sales Team" is already being used. Please try another name.`},
		{"Sales Team Members", "support@contoso.com", `The name "Sales Team Members" is already being used. Please try another name.`},
		{"Support", "support contoso.com", `Cannot bind parameter 'PrimarySmtpAddress'. Cannot convert value "support contoso.com" to type "Microsoft.Exchange.Data.SmtpAddress". Error: "The email address "support contoso.com" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com."`},
		{"", "support@contoso.com", "Cannot validate argument on parameter 'Name'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again."},
	} {
		_, err := tn.NewSharedMailbox(ctx, c.name, "Whatever", c.address)
		exchange400(t, err, c.message)
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("refused creations recorded: %+v", c)
	}
	// The onmicrosoft.com domain is accepted too; a taken alias gets a number.
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "helpdesk.old@contoso.com", Alias: "helpdesk"}); err != nil {
		t.Fatal(err)
	}
	mb, err := tn.NewSharedMailbox(ctx, "Helpdesk", "", "Helpdesk@contoso.onmicrosoft.com")
	if err != nil {
		t.Fatal(err)
	}
	if mb.DisplayName != "Helpdesk" || mb.PrimarySMTPAddress != "Helpdesk@contoso.onmicrosoft.com" {
		t.Errorf("NewSharedMailbox = %+v, want the display name from the name", mb)
	}
	if got, err := tn.GetMailbox(ctx, "helpdesk2"); err != nil || got.ExternalDirectoryObjectID != mb.ExternalDirectoryObjectID {
		t.Errorf("GetMailbox(helpdesk2) = %+v, %v; want the new mailbox by its alias", got, err)
	}
	if got, err := tn.GetMailbox(ctx, "helpdesk"); err != nil || got.UserPrincipalName != "helpdesk.old@contoso.com" {
		t.Errorf("GetMailbox(helpdesk) = %+v, %v; want the old one", got, err)
	}
}

func TestAcceptedDomains(t *testing.T) {
	ctx := t.Context()
	got, err := sandbox.NewContoso(sandbox.Options{}).AcceptedDomains(ctx)
	if want := []string{"contoso.com", "contoso.onmicrosoft.com"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Contoso AcceptedDomains = %q, %v; want %q", got, err, want)
	}
	tn := seeded(t, sandbox.Options{}, []sandbox.UserSpec{
		{UserPrincipalName: "j.doe@fabrikam.onmicrosoft.com", Mail: "Jane@Fabrikam.com"},
		{UserPrincipalName: "ann@fabrikam.com"},
		{UserPrincipalName: "x@FABRIKAM.com", NoMailbox: true},
	})
	if got, _ := tn.AcceptedDomains(ctx); !slices.Equal(got, []string{"fabrikam.onmicrosoft.com", "fabrikam.com"}) {
		t.Errorf("derived AcceptedDomains = %q, want the users' domains", got)
	}
	tn = seeded(t, sandbox.Options{AcceptedDomains: []string{"Tailspin.com"}}, []sandbox.UserSpec{{UserPrincipalName: "ann@fabrikam.com"}})
	if got, _ := tn.AcceptedDomains(ctx); !slices.Equal(got, []string{"tailspin.com"}) {
		t.Errorf("AcceptedDomains = %q, want the configured tailspin.com", got)
	}
	_, err = tn.NewSharedMailbox(ctx, "Shared", "Shared", "shared@fabrikam.com")
	exchange400(t, err, "The domain fabrikam.com isn't an accepted domain for your organization.")
	if _, err := tn.NewSharedMailbox(ctx, "Shared", "Shared", "shared@TAILSPIN.com"); err != nil {
		t.Errorf("NewSharedMailbox in the accepted domain: %v", err)
	}
}

func TestSendOnBehalfChanges(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	onBehalf := func() []string {
		t.Helper()
		mb, err := tn.GetMailbox(ctx, "info@contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		return mb.GrantSendOnBehalfTo
	}
	steps := []struct {
		add, remove []string
		want        []string
	}{
		{[]string{"KIM@contoso.com"}, nil, []string{"kim@contoso.com"}},
		{[]string{"kim"}, nil, []string{"kim@contoso.com"}}, // by alias: the same
		{[]string{"lee@contoso.com", "sales-team@contoso.com"}, nil, []string{"kim@contoso.com", "lee@contoso.com", "Sales Team Members"}},
		{nil, []string{"kim@contoso.com"}, []string{"lee@contoso.com", "Sales Team Members"}},
		{nil, []string{"kim@contoso.com"}, []string{"lee@contoso.com", "Sales Team Members"}},
		{[]string{"kim@contoso.com"}, []string{"Sales Team Members"}, []string{"lee@contoso.com", "kim@contoso.com"}},
	}
	for i, s := range steps {
		if err := tn.SetSendOnBehalf(ctx, "info@contoso.com", s.add, s.remove); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := onBehalf(); !slices.Equal(got, s.want) {
			t.Errorf("step %d: GrantSendOnBehalfTo = %q, want %q", i, got, s.want)
		}
	}
	var got []string
	for _, c := range tn.Changes() {
		if c.UserPrincipalName != "info@contoso.com" {
			t.Errorf("change to another user: %+v", c)
		}
		got = append(got, string(c.Kind)+":"+c.From+">"+c.To)
	}
	want := []string{
		"send_on_behalf_added:>kim@contoso.com",
		"send_on_behalf_added:>lee@contoso.com",
		"send_on_behalf_added:>Sales Team Members",
		"send_on_behalf_removed:kim@contoso.com>",
		"send_on_behalf_removed:Sales Team Members>",
		"send_on_behalf_added:>kim@contoso.com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes =\n%q\nwant\n%q", got, want)
	}

	// Unknown trustees, deleted users and groups that are not mail-enabled
	// security groups are refused, with nothing changed.
	before := len(tn.Changes())
	for _, who := range []string{"nobody@contoso.com", "gina@contoso.com", "All Staff"} {
		err := tn.SetSendOnBehalf(ctx, "info@contoso.com", []string{"alice@contoso.com", who}, nil)
		var re *mailbox.RemoteError
		msg := "The operation couldn't be performed because object '" + who + "' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'."
		if !errors.As(err, &re) || re.Service != "exchange" || re.Op != "Set-Mailbox" || re.Status != 404 || re.Message != msg {
			t.Errorf("SetSendOnBehalf(+%s) = %#v, want Exchange's ManagementObjectNotFound", who, err)
		}
	}
	if n := len(tn.Changes()); n != before {
		t.Errorf("refused changes were recorded: %+v", tn.Changes()[before:])
	}
	if err := tn.SetSendOnBehalf(ctx, "gina@contoso.com", []string{"kim@contoso.com"}, nil); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("SetSendOnBehalf(deleted gina) = %v, want ErrNotFound", err)
	}
}

// TestSendOnBehalfSeededDisplayName: Exchange lists entries by name; a
// seeded entry in that form is the user it names.
func TestSendOnBehalfSeededDisplayName(t *testing.T) {
	ctx := t.Context()
	tn := seeded(t, sandbox.Options{}, []sandbox.UserSpec{
		{UserPrincipalName: "ann@fabrikam.com", DisplayName: "Ann Archer"},
		{UserPrincipalName: "dan@fabrikam.com", GrantSendOnBehalfTo: []string{"Ann Archer"}},
	})
	if err := tn.SetSendOnBehalf(ctx, "dan@fabrikam.com", []string{"ann@fabrikam.com"}, nil); err != nil {
		t.Fatal(err)
	}
	if mb, _ := tn.GetMailbox(ctx, "dan@fabrikam.com"); !slices.Equal(mb.GrantSendOnBehalfTo, []string{"Ann Archer"}) {
		t.Errorf("adding ann again: %q", mb.GrantSendOnBehalfTo)
	}
	if err := tn.SetSendOnBehalf(ctx, "dan@fabrikam.com", nil, []string{"ann@fabrikam.com"}); err != nil {
		t.Fatal(err)
	}
	if mb, _ := tn.GetMailbox(ctx, "dan@fabrikam.com"); len(mb.GrantSendOnBehalfTo) != 0 {
		t.Errorf("after removing ann: %q", mb.GrantSendOnBehalfTo)
	}
	if c := tn.Changes(); len(c) != 1 || c[0].Kind != sandbox.ChangeSendOnBehalfRemoved || c[0].From != "Ann Archer" {
		t.Errorf("changes = %+v, want one removal of Ann Archer", c)
	}
}

// TestContosoIssue4Cast checks what was added for issue 4.
func TestContosoIssue4Cast(t *testing.T) {
	ctx := t.Context()
	tn := sandbox.NewContoso(sandbox.Options{})
	g, err := tn.GroupByMail(ctx, "Sales-Team@contoso.com")
	want := mailbox.Group{ID: sandbox.ContosoSalesTeamGroupID, DisplayName: "Sales Team Members",
		Mail: "sales-team@contoso.com", SecurityEnabled: true}
	if err != nil || g != want {
		t.Errorf("GroupByMail(sales-team) = %+v, %v; want %+v", g, err, want)
	}
	members, err := tn.GroupMembers(ctx, g.ID)
	var upns []string
	for _, m := range members {
		upns = append(upns, m.UserPrincipalName)
	}
	if err != nil || !slices.Equal(upns, []string{"kim@contoso.com", "lee@contoso.com"}) {
		t.Errorf("GroupMembers(sales-team) = %q, %v; want kim and lee", upns, err)
	}
	if m, err := tn.GroupMembers(ctx, sandbox.ContosoAllStaffGroupID); err != nil || len(m) != 1 || m[0].UserPrincipalName != "erin@contoso.com" {
		t.Errorf("GroupMembers(all staff) = %+v, %v; want erin", m, err)
	}
	// sales@ is a shared mailbox, not a group.
	for _, addr := range []string{"sales@contoso.com", "All Staff", "nobody@contoso.com"} {
		var re *mailbox.RemoteError
		if g, err := tn.GroupByMail(ctx, addr); !errors.As(err, &re) || re.Service != "graph" || re.Status != 404 {
			t.Errorf("GroupByMail(%s) = %+v, %#v; want Graph's 404", addr, g, err)
		}
	}
	if _, err := tn.GroupMembers(ctx, "00000000-0000-4000-8000-000000000001"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("GroupMembers(unknown) = %v, want ErrNotFound", err)
	}

	info, err := tn.User(ctx, "info@contoso.com")
	if err != nil || info.AccountEnabled || len(info.Licenses) != 0 || info.DisplayName != "Contoso Info" {
		t.Errorf("info = %+v, %v; want blocked, unlicensed Contoso Info", info, err)
	}
	if mb, err := tn.GetMailbox(ctx, "info@contoso.com"); err != nil || mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox ||
		!mb.HiddenFromAddressListsEnabled {
		t.Errorf("info mailbox = %+v, %v; want a hidden SharedMailbox", mb, err)
	}
	for addr, want := range map[string]bool{
		"sales@contoso.com": true, "sales-team@contoso.com": true, "info@contoso.com": true, "kim@contoso.com": true,
		"support@contoso.com": false, "gina@contoso.com": false, // deleted: Get-Recipient leaves it out
	} {
		if got, err := tn.RecipientExists(ctx, addr); err != nil || got != want {
			t.Errorf("RecipientExists(%s) = %v, %v; want %v", addr, got, err, want)
		}
	}
	// A group is a trustee by its mail too, shown by its name (rule 14).
	if err := tn.AddFullAccess(ctx, "info@contoso.com", "sales-team@contoso.com", true); err != nil {
		t.Fatal(err)
	}
	perms, _ := tn.MailboxPermissions(ctx, "info@contoso.com")
	if !slices.ContainsFunc(perms, func(p mailbox.Permission) bool { return p.User == "Sales Team Members" }) {
		t.Errorf("MailboxPermissions(info) = %+v, want Sales Team Members", perms)
	}
	// Everyone else is as before: the group does not make kim or lee differ.
	kim, _ := tn.User(ctx, "kim@contoso.com")
	if !slices.Equal(kim.Licenses, []mailbox.License{{SkuID: sandbox.SkuOffice365E3}}) {
		t.Errorf("kim licenses = %+v", kim.Licenses)
	}
}

func TestGroupSeeding(t *testing.T) {
	tn := seeded(t, sandbox.Options{}, []sandbox.UserSpec{{UserPrincipalName: "ann@fabrikam.com"}})
	g := sandbox.Group{ID: "5b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f", DisplayName: "Sales", Mail: "sales@fabrikam.com", SecurityEnabled: true}
	if err := tn.AddGroup(g); err != nil {
		t.Fatal(err)
	}
	if err := tn.AddGroup(g); err != nil {
		t.Errorf("adding the same group again: %v", err)
	}
	for _, bad := range []sandbox.Group{
		{ID: g.ID, DisplayName: "Sales", Mail: "other@fabrikam.com", SecurityEnabled: true},
		{ID: g.ID, DisplayName: "Sales", Mail: "sales@fabrikam.com"},
		{ID: "6b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f", DisplayName: "Ann's", Mail: "ANN@fabrikam.com"},
		{ID: "7b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f", DisplayName: "Sales again", Mail: "sales@fabrikam.com"},
		{ID: "8b8e1f3a-7c2d-4e9b-8a6f-1d0c9b8a7e6f", DisplayName: "No address", Mail: "sales"},
	} {
		if err := tn.AddGroup(bad); err == nil {
			t.Errorf("AddGroup(%+v) succeeded, want an error", bad)
		}
	}
	// A user cannot take a group's address.
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "sales@fabrikam.com"}); err == nil {
		t.Errorf("a user took the group's address")
	}
	if _, err := tn.AddUser(sandbox.UserSpec{UserPrincipalName: "bo@fabrikam.com", Mail: "Sales@fabrikam.com"}); err == nil {
		t.Errorf("a user took the group's address as mail")
	}
}

func TestIssue4CallsCancelledContext(t *testing.T) {
	tn := sandbox.NewContoso(sandbox.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, e1 := tn.GroupByMail(ctx, "sales-team@contoso.com")
	_, e2 := tn.GroupMembers(ctx, sandbox.ContosoSalesTeamGroupID)
	_, e3 := tn.NewSharedMailbox(ctx, "Support", "Support", "support@contoso.com")
	_, e4 := tn.AcceptedDomains(ctx)
	_, e5 := tn.RecipientExists(ctx, "kim@contoso.com")
	e6 := tn.SetSendOnBehalf(ctx, "info@contoso.com", []string{"kim@contoso.com"}, nil)
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("call %d = %v, want context.Canceled", i+1, err)
		}
	}
	if c := tn.Changes(); len(c) != 0 {
		t.Errorf("changes made with a cancelled context: %+v", c)
	}
	if _, err := tn.RecipientExists(t.Context(), "support@contoso.com"); err != nil {
		t.Fatal(err)
	} else if ok, _ := tn.RecipientExists(t.Context(), "support@contoso.com"); ok {
		t.Errorf("a mailbox was created with a cancelled context")
	}
}
