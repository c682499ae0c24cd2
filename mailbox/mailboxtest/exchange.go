package mailboxtest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

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
