// Mailboxes: finding a mailbox by any of its identities and the
// Exchange cmdlets on the mailbox itself (Get-Mailbox, Set-Mailbox -Type,
// its size).

package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// mailbox finds a mailbox Exchange shows, by any of its identities; t.mu
// is held. A restored user's mailbox is absent for Options.RestoreLag
// Get-Mailbox reads, a created one for Options.CreateLag (read: this is
// one).
func (t *Tenant) mailbox(identity string, read bool) (*user, bool) {
	u, ok := t.byMbx[strings.ToLower(identity)]
	if !ok {
		u, ok = t.byName(identity)
	}
	if !ok || u.deleted {
		return nil, false
	}
	if u.mbx.absentLeft > 0 {
		if read {
			u.mbx.absentLeft--
		}
		return nil, false
	}
	return u, true
}

// exchangeNotFound is Exchange's answer for a missing identity (the text of
// details[0].message after the second '|').
func exchangeNotFound(cmdlet, identity string) error {
	return &mailbox.RemoteError{
		Service: "exchange", Op: cmdlet, Status: 404, Code: "NotFound",
		Message: fmt.Sprintf("The operation couldn't be performed because object '%s' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.", identity),
	}
}

// GetMailbox returns a mailbox by UPN, primary SMTP address, alias, mailbox
// GUID or object id, case-insensitively; mailbox.ErrNotFound when there is
// none (also for a user without a mailbox, a deleted user, and a restored
// user within Options.RestoreLag reads). Within Options.ConversionLag reads
// after a type change it still reports the old type.
func (t *Tenant) GetMailbox(ctx context.Context, identity string) (mailbox.Mailbox, error) {
	const op = "Get-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadGetMailbox]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.Mailbox{}, err
	}
	u, ok := t.mailbox(identity, true)
	if !ok {
		return mailbox.Mailbox{}, exchangeNotFound(op, identity)
	}
	m := u.mbx
	if m.lagLeft > 0 {
		m.lagLeft--
	} else {
		m.shown = m.actual
	}
	return public(u), nil
}

// public is u's mailbox as Get-Mailbox shows it, of the type it shows
// now; t.mu is held.
func public(u *user) mailbox.Mailbox {
	m := u.mbx
	return mailbox.Mailbox{
		Identity:                      u.name,
		DistinguishedName:             DistinguishedName(m.alias, u.upn),
		DisplayName:                   u.displayName,
		UserPrincipalName:             u.upn,
		PrimarySMTPAddress:            m.smtp,
		ExternalDirectoryObjectID:     u.id,
		ExchangeGUID:                  m.guid,
		WhenCreatedUTC:                m.created,
		RecipientTypeDetails:          m.shown,
		IsDirSynced:                   m.dirSynced,
		LitigationHoldEnabled:         m.litHold,
		InPlaceHolds:                  slices.Clone(m.inPlaceHolds),
		ArchiveStatus:                 m.archive,
		AutoExpandingArchiveEnabled:   m.autoExpanding,
		HiddenFromAddressListsEnabled: m.hidden,
		GrantSendOnBehalfTo:           slices.Clone(m.sendOnBehalf),
		ForwardingAddress:             m.forwardTo,
		DeliverToMailboxAndForward:    m.forwardCopy,
	}
}

// DistinguishedName is the distinguished name the sandbox gives the
// mailbox with alias of the user upn, in Exchange Online's shape.
func DistinguishedName(alias, upn string) string {
	_, domain, _ := strings.Cut(upn, "@")
	return fmt.Sprintf("CN=%s,OU=%s,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=prod,DC=outlook,DC=com", alias, domain)
}

// SetMailboxType converts a mailbox (Set-Mailbox -Type Shared|Regular).
// Converting a mailbox to the type it already has (or is already being
// converted to) changes nothing, like Exchange's "no settings have been
// modified" warning, and is not recorded.
func (t *Tenant) SetMailboxType(ctx context.Context, identity string, typ mailbox.MailboxType) error {
	const op = "Set-Mailbox"
	var want string
	switch typ {
	case mailbox.TypeShared:
		want = mailbox.RecipientSharedMailbox
	case mailbox.TypeRegular:
		want = mailbox.RecipientUserMailbox
	default:
		return &mailbox.RemoteError{
			Service: "exchange", Op: op, Status: 400, Code: "BadRequest",
			Message: fmt.Sprintf("Cannot process argument transformation on parameter 'Type'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Directory.Management.ConvertibleMailboxSubType\".", typ),
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return exchangeNotFound(op, identity)
	}
	m := u.mbx
	if m.actual == want {
		return nil
	}
	t.record(ChangeMailboxType, u, m.actual, want)
	if m.lagLeft == 0 {
		m.shown = m.actual
	}
	m.actual = want
	m.lagLeft = t.lag
	return nil
}

// MailboxSizeBytes returns the TotalItemSize of a mailbox in bytes
// (Get-MailboxStatistics); mailbox.ErrNotFound when there is none.
func (t *Tenant) MailboxSizeBytes(ctx context.Context, identity string) (int64, error) {
	st, err := t.MailboxStatistics(ctx, identity)
	return st.TotalItemSize, err
}

// byName finds a mailbox by its Name, the Identity Exchange shows (and
// Get-RecipientPermission lists); t.mu is held.
func (t *Tenant) byName(name string) (*user, bool) {
	for _, u := range t.users {
		if u.mbx != nil && !u.deleted && strings.EqualFold(u.name, name) {
			return u, true
		}
	}
	return nil, false
}
