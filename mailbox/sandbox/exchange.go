package sandbox

import (
	"context"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// What Exchange lists besides the grants the tenant made: the mailbox's own
// rights and an inherited, denied entry. Callers must filter them out.
const (
	TrusteeSelf   = `NT AUTHORITY\SELF`
	TrusteeSystem = `NT AUTHORITY\SYSTEM`
)

// MailboxStatistics answers Get-MailboxStatistics from the seeded size and
// item count; mailbox.ErrNotFound when there is no such mailbox.
func (t *Tenant) MailboxStatistics(ctx context.Context, identity string) (mailbox.MailboxStatistics, error) {
	const op = "Get-MailboxStatistics"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadMailboxSize]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.MailboxStatistics{}, err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return mailbox.MailboxStatistics{}, exchangeNotFound(op, identity)
	}
	return mailbox.MailboxStatistics{TotalItemSize: u.mbx.sizeBytes, ItemCount: u.mbx.items}, nil
}

// trustee resolves a user or group the way Exchange resolves -User and
// -Trustee: a user (not deleted) by UPN, mail, alias or object id, shown by
// its UPN; else a known group by id or name, shown by its name. t.mu is
// held.
func (t *Tenant) trustee(name string) (string, bool) {
	if u, ok := t.byMbx[strings.ToLower(name)]; ok && !u.deleted {
		return u.upn, true
	}
	if u, ok := t.live(name); ok {
		return u.upn, true
	}
	if g, ok := t.findGroup(name); ok {
		return g.DisplayName, true
	}
	return "", false
}

// MailboxPermissions answers Get-MailboxPermission: the mailbox's own
// entry (NT AUTHORITY\SELF, FullAccess and ReadPermission, not inherited),
// the Full Access grants in the order they were made, and an inherited,
// denied FullAccess of NT AUTHORITY\SYSTEM, as Exchange lists them.
func (t *Tenant) MailboxPermissions(ctx context.Context, identity string) ([]mailbox.Permission, error) {
	const op = "Get-MailboxPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadMailboxPermissions]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return nil, exchangeNotFound(op, identity)
	}
	out := []mailbox.Permission{{User: TrusteeSelf, AccessRights: []string{mailbox.RightFullAccess, "ReadPermission"}}}
	for _, g := range u.mbx.fullAccess {
		out = append(out, mailbox.Permission{User: g.trustee, AccessRights: []string{mailbox.RightFullAccess}})
	}
	out = append(out, mailbox.Permission{User: TrusteeSystem, AccessRights: []string{mailbox.RightFullAccess}, IsInherited: true, Deny: true})
	return out, nil
}

// AddFullAccess grants Full Access (Add-MailboxPermission). The mailbox
// and the trustee must exist, else Exchange's ManagementObjectNotFound; a
// grant that is already there changes nothing and is not recorded.
func (t *Tenant) AddFullAccess(ctx context.Context, identity, user string, autoMapping bool) error {
	const op = "Add-MailboxPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, who, err := t.permissionTarget(ctx, op, identity, user)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(u.mbx.fullAccess, func(g grant) bool { return g.trustee == who }) {
		return nil
	}
	u.mbx.fullAccess = append(u.mbx.fullAccess, grant{trustee: who, autoMapping: autoMapping})
	t.record(ChangeFullAccessAdded, u, "", who)
	return nil
}

// RemoveFullAccess removes a Full Access grant (Remove-MailboxPermission).
// Removing a grant that is not there changes nothing, as Exchange only
// warns.
func (t *Tenant) RemoveFullAccess(ctx context.Context, identity, user string) error {
	const op = "Remove-MailboxPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, who, err := t.permissionTarget(ctx, op, identity, user)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(u.mbx.fullAccess, func(g grant) bool { return g.trustee == who })
	if i < 0 {
		return nil
	}
	u.mbx.fullAccess = slices.Delete(u.mbx.fullAccess, i, i+1)
	t.record(ChangeFullAccessRemoved, u, who, "")
	return nil
}

// RecipientPermissions answers Get-RecipientPermission: the mailbox's own
// SendAs (NT AUTHORITY\SELF), then the Send As grants in the order they
// were made.
func (t *Tenant) RecipientPermissions(ctx context.Context, identity string) ([]mailbox.Permission, error) {
	const op = "Get-RecipientPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadRecipientPermissions]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return nil, exchangeNotFound(op, identity)
	}
	out := []mailbox.Permission{{User: TrusteeSelf, AccessRights: []string{mailbox.RightSendAs}}}
	for _, who := range u.mbx.sendAs {
		out = append(out, mailbox.Permission{User: who, AccessRights: []string{mailbox.RightSendAs}})
	}
	return out, nil
}

// AddSendAs grants Send As (Add-RecipientPermission); as AddFullAccess.
func (t *Tenant) AddSendAs(ctx context.Context, identity, trustee string) error {
	const op = "Add-RecipientPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, who, err := t.permissionTarget(ctx, op, identity, trustee)
	if err != nil {
		return err
	}
	if slices.Contains(u.mbx.sendAs, who) {
		return nil
	}
	u.mbx.sendAs = append(u.mbx.sendAs, who)
	t.record(ChangeSendAsAdded, u, "", who)
	return nil
}

// RemoveSendAs removes a Send As grant (Remove-RecipientPermission); as
// RemoveFullAccess.
func (t *Tenant) RemoveSendAs(ctx context.Context, identity, trustee string) error {
	const op = "Remove-RecipientPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, who, err := t.permissionTarget(ctx, op, identity, trustee)
	if err != nil {
		return err
	}
	i := slices.Index(u.mbx.sendAs, who)
	if i < 0 {
		return nil
	}
	u.mbx.sendAs = slices.Delete(u.mbx.sendAs, i, i+1)
	t.record(ChangeSendAsRemoved, u, who, "")
	return nil
}

// permissionTarget passes the gate and resolves the mailbox and the
// trustee of a permission change; t.mu is held.
func (t *Tenant) permissionTarget(ctx context.Context, op, identity, trustee string) (*user, string, error) {
	if err := t.gate(ctx, op); err != nil {
		return nil, "", err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return nil, "", exchangeNotFound(op, identity)
	}
	who, ok := t.trustee(trustee)
	if !ok {
		return nil, "", exchangeNotFound(op, trustee)
	}
	return u, who, nil
}

// FullAccessAutoMapping reports whether a user (or group) has Full Access
// to a mailbox and whether it was granted with automapping, for tests:
// Get-MailboxPermission does not show it.
func (t *Tenant) FullAccessAutoMapping(identity, user string) (autoMapping, granted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.byMbx[strings.ToLower(identity)]
	who, found := t.trustee(user)
	if !ok || !found {
		return false, false
	}
	for _, g := range u.mbx.fullAccess {
		if g.trustee == who {
			return g.autoMapping, true
		}
	}
	return false, false
}
