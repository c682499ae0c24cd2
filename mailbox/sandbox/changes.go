// The changes log: what kinds of change the tenant records (Change,
// ChangeKind), how it records them, and the counters tests read back
// (Changes, ChangeCount, Reads).

package sandbox

import (
	"slices"
	"strings"
	"time"
)

// ChangeKind names a kind of change.
type ChangeKind string

const (
	// ChangeMailboxType: Set-Mailbox -Type changed RecipientTypeDetails.
	ChangeMailboxType ChangeKind = "mailbox_type"
	// ChangeAccountEnabled: accountEnabled was changed.
	ChangeAccountEnabled ChangeKind = "account_enabled"
	// ChangeSessionsRevoked: revokeSignInSessions was called. Every call
	// counts, as in Graph, which does not know whether there were any.
	ChangeSessionsRevoked ChangeKind = "sessions_revoked"
	// ChangeLicenseAdded: a direct license was assigned (To: the SKU id).
	ChangeLicenseAdded ChangeKind = "license_added"
	// ChangeLicenseRemoved: a direct license was removed (From: the SKU id).
	ChangeLicenseRemoved ChangeKind = "license_removed"
	// ChangePasswordReset: the password was set (To: "true" when it must be
	// changed at next sign-in). The password itself is never recorded.
	ChangePasswordReset ChangeKind = "password_reset"
	// ChangeTemporaryAccessPass: a Temporary Access Pass was created (To:
	// when it expires, RFC 3339). The pass itself is never recorded.
	ChangeTemporaryAccessPass ChangeKind = "temporary_access_pass"
	// ChangeUserRestored: a deleted user was restored ("deleted" -> "active").
	ChangeUserRestored ChangeKind = "user_restored"
	// ChangeFullAccessAdded, ChangeFullAccessRemoved: a Full Access grant
	// (To or From: the trustee as Get-MailboxPermission shows it).
	ChangeFullAccessAdded   ChangeKind = "full_access_added"
	ChangeFullAccessRemoved ChangeKind = "full_access_removed"
	// ChangeSendAsAdded, ChangeSendAsRemoved: a Send As grant (To or From:
	// the trustee as Get-RecipientPermission shows it).
	ChangeSendAsAdded   ChangeKind = "send_as_added"
	ChangeSendAsRemoved ChangeKind = "send_as_removed"
	// ChangeSendOnBehalfAdded, ChangeSendOnBehalfRemoved: an entry of
	// GrantSendOnBehalfTo (To or From: the entry as Get-Mailbox shows it).
	ChangeSendOnBehalfAdded   ChangeKind = "send_on_behalf_added"
	ChangeSendOnBehalfRemoved ChangeKind = "send_on_behalf_removed"
	// ChangeMailboxCreated: New-Mailbox -Shared created a mailbox and its
	// account ("" -> "SharedMailbox").
	ChangeMailboxCreated ChangeKind = "mailbox_created"
)

// Change is one change that really changed the tenant's state. It never
// holds a secret (a password or a Temporary Access Pass).
type Change struct {
	Seq               int // 1, 2, ... in the order the changes were made
	At                time.Time
	Kind              ChangeKind
	UserID            string
	UserPrincipalName string
	From, To          string // e.g. "UserMailbox" -> "SharedMailbox", "true" -> "false"
}

// Names of the read operations counted by Reads.
const (
	ReadUser                 = "User"
	ReadManager              = "Manager"
	ReadGetMailbox           = "GetMailbox"
	ReadMailboxSize          = "MailboxSize" // MailboxStatistics and MailboxSizeBytes
	ReadSubscribedSkus       = "SubscribedSkus"
	ReadGroupName            = "GroupName"
	ReadDeletedUser          = "DeletedUser"
	ReadMailboxPermissions   = "MailboxPermissions"
	ReadRecipientPermissions = "RecipientPermissions"
	ReadGroupByMail          = "GroupByMail"
	ReadGroupMembers         = "GroupMembers"
	ReadTransitiveMembers    = "TransitiveMembers"
	ReadAcceptedDomains      = "AcceptedDomains"
	ReadRecipient            = "Recipient" // RecipientExists
	ReadAutoReply            = "AutoReply" // Get-MailboxAutoReplyConfiguration
)

// record appends a change; t.mu is held.
func (t *Tenant) record(k ChangeKind, u *user, from, to string) {
	t.changes = append(t.changes, Change{
		Seq: len(t.changes) + 1, At: t.now(), Kind: k,
		UserID: u.id, UserPrincipalName: u.upn, From: from, To: to,
	})
}

// Changes returns every change that changed state, oldest first.
func (t *Tenant) Changes() []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.changes)
}

// ChangeCount counts the changes made to one user (by UPN, case-insensitive),
// by kind. Kinds without changes are absent.
func (t *Tenant) ChangeCount(upn string) map[ChangeKind]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[ChangeKind]int)
	for _, c := range t.changes {
		if strings.EqualFold(c.UserPrincipalName, upn) {
			out[c.Kind]++
		}
	}
	return out
}

// Reads returns how many times each read operation was called (keys
// ReadUser, ReadManager, ReadGetMailbox, ReadMailboxSize), failed calls
// included.
func (t *Tenant) Reads() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.reads))
	for k, v := range t.reads {
		out[k] = v
	}
	return out
}
