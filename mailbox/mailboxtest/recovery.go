package mailboxtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

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
