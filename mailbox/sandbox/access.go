// A person's rights on other mailboxes, found the way Exchange finds them
// (mailbox.AccessFinder): Get-RecipientPermission -Trustee, Get-Mailbox
// -Filter "GrantSendOnBehalfTo -eq '<dn>'", and the list of shared
// mailboxes.

package sandbox

import (
	"context"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

var _ mailbox.AccessFinder = (*Tenant)(nil)

// Reads of the listings, counted in Reads.
const (
	ReadSendAsOn          = "SendAsOn"
	ReadSendOnBehalfOn    = "SendOnBehalfOn"
	ReadSharedMailboxList = "SharedMailboxes"
)

// SendAsOn answers Get-RecipientPermission -Trustee: the Names (the
// Identity Exchange shows) of the mailboxes on which trustee holds Send
// As, in the order the users were added. An unknown trustee is Exchange's
// ManagementObjectNotFoundException.
func (t *Tenant) SendAsOn(ctx context.Context, trustee string) ([]string, error) {
	const op = "Get-RecipientPermission"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadSendAsOn]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	who, ok := t.trustee(trustee)
	if !ok {
		return nil, exchangeNotFound(op, trustee)
	}
	var out []string
	for _, u := range t.users {
		if u.mbx != nil && !u.deleted && u.mbx.absentLeft == 0 && slices.Contains(u.mbx.sendAs, who) {
			out = append(out, u.name)
		}
	}
	return out, nil
}

// SendOnBehalfOn answers Get-Mailbox -Filter "GrantSendOnBehalfTo -eq
// '<dn>'": the mailboxes whose GrantSendOnBehalfTo holds the recipient
// with distinguished name dn. As in Exchange, the filter matches a
// distinguished name only: a name, an address or a UPN matches nothing.
func (t *Tenant) SendOnBehalfOn(ctx context.Context, dn string) ([]mailbox.Mailbox, error) {
	const op = "Get-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadSendOnBehalfOn]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	var who string
	for _, u := range t.users {
		if u.mbx != nil && !u.deleted && strings.EqualFold(DistinguishedName(u.mbx.alias, u.upn), dn) {
			who = u.upn
		}
	}
	if who == "" {
		return []mailbox.Mailbox{}, nil
	}
	var out []mailbox.Mailbox
	for _, u := range t.users {
		if u.mbx == nil || u.deleted || u.mbx.absentLeft > 0 {
			continue
		}
		if slices.ContainsFunc(u.mbx.sendOnBehalf, func(e string) bool { return t.sameTrustee(e, who) }) {
			out = append(out, public(u))
		}
	}
	return out, nil
}

// SharedMailboxes answers Get-Mailbox -RecipientTypeDetails SharedMailbox
// -ResultSize Unlimited: every mailbox that shows as shared now, in the
// order the users were added.
func (t *Tenant) SharedMailboxes(ctx context.Context) ([]mailbox.Mailbox, error) {
	const op = "Get-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadSharedMailboxList]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	out := []mailbox.Mailbox{}
	for _, u := range t.users {
		if u.mbx != nil && !u.deleted && u.mbx.absentLeft == 0 && u.mbx.shown == mailbox.RecipientSharedMailbox {
			out = append(out, public(u))
		}
	}
	return out, nil
}
