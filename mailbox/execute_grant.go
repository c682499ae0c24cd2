// Steps that grant and revoke mailbox rights (Full Access, Send As, Send on
// Behalf), and the matching of the names Exchange lists a right under.

package mailbox

import (
	"context"
	"errors"
	"slices"
	"strings"
)

func (x run) grant(right string) (Outcome, error) {
	mbx, who := x.mbx(), x.s.Arg
	perms, err := x.permissions(right)
	if x.unread(err) {
		err = nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if HasRight(perms, who, right, x.s.Names...) {
		return Outcome{Status: Skipped, Detail: who + " already had " + right}, nil
	}
	if right == RightFullAccess {
		params := map[string]any{"Identity": mbx, "User": who, "AccessRights": []string{RightFullAccess}, "InheritanceType": "All", "AutoMapping": !x.s.NoAutoMapping}
		return x.change(exo("Add-MailboxPermission", params), nil, "Full Access given to "+who, func() error {
			return x.e.Exchange.AddFullAccess(x.ctx, mbx, who, !x.s.NoAutoMapping)
		})
	}
	params := map[string]any{"Identity": mbx, "Trustee": who, "AccessRights": []string{RightSendAs}}
	return x.change(exo("Add-RecipientPermission", params), nil, "Send As given to "+who, func() error {
		return x.e.Exchange.AddSendAs(x.ctx, mbx, who)
	})
}

// HasRight reports whether perms give who (by any of its names) the right
// explicitly (not inherited, not denied).
func HasRight(perms []Permission, who, right string, names ...string) bool {
	for _, p := range perms {
		if Names(who, names...).Match(p.User) && !p.IsInherited && !p.Deny && slices.Contains(p.AccessRights, right) {
			return true
		}
	}
	return false
}

// NameSet is the names one person or group goes by, compared without case.
type NameSet []string

// Names makes a NameSet of who and its other names.
func Names(who string, names ...string) NameSet { return append(NameSet{who}, names...) }

// Match reports whether entry (as Exchange lists it) is one of the names.
func (n NameSet) Match(entry string) bool {
	return slices.ContainsFunc(n, func(s string) bool { return s != "" && strings.EqualFold(s, entry) })
}

func (x run) sendOnBehalf(add bool) (Outcome, error) {
	mbx, who := x.mbx(), x.s.Arg
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
	if gone, o := x.otherGone(err); gone && !add {
		return o, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	names := Names(who, x.s.Names...)
	listed := slices.IndexFunc(mb.GrantSendOnBehalfTo, names.Match)
	if has := listed >= 0; has == add {
		return Outcome{Status: Skipped, Detail: map[bool]string{true: who + " already had Send on Behalf", false: who + " did not have Send on Behalf"}[add]}, nil
	}
	key, done := "Remove", "Send on Behalf taken away from "+who
	if add {
		key, done = "Add", "Send on Behalf given to "+who
	}
	params := map[string]any{"Identity": mbx, "GrantSendOnBehalfTo": map[string]any{"@odata.type": "#Exchange.GenericHashTable", key: []string{who}}}
	if !add {
		// Remove the entry as Exchange lists it.
		params["GrantSendOnBehalfTo"] = map[string]any{"@odata.type": "#Exchange.GenericHashTable", key: []string{mb.GrantSendOnBehalfTo[listed]}}
	}
	return x.change(exo("Set-Mailbox", params), nil, done, func() error {
		if add {
			return x.e.Exchange.SetSendOnBehalf(x.ctx, mbx, []string{who}, nil)
		}
		return x.e.Exchange.SetSendOnBehalf(x.ctx, mbx, nil, []string{mb.GrantSendOnBehalfTo[listed]})
	})
}

func (x run) permissions(right string) ([]Permission, error) {
	return readPermissions(x.ctx, x.e.Exchange, x.mbx(), right)
}

// readPermissions reads the entries that carry right (RightFullAccess or
// RightSendAs): Get-MailboxPermission for Full Access,
// Get-RecipientPermission for Send As.
func readPermissions(ctx context.Context, x Exchange, mbx, right string) ([]Permission, error) {
	if right == RightFullAccess {
		return x.MailboxPermissions(ctx, mbx)
	}
	return x.RecipientPermissions(ctx, mbx)
}

func (x run) revoke(right string) (Outcome, error) {
	mbx, who := x.mbx(), x.s.Arg
	perms, err := x.permissions(right)
	if gone, o := x.otherGone(err); gone {
		return o, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if !HasRight(perms, who, right, x.s.Names...) {
		return Outcome{Status: Skipped, Detail: who + " did not have " + right}, nil
	}
	if right == RightFullAccess {
		params := map[string]any{"Identity": mbx, "User": who, "AccessRights": []string{RightFullAccess}, "InheritanceType": "All"}
		return x.change(exo("Remove-MailboxPermission", params), nil, "Full Access taken away from "+who, func() error {
			return x.e.Exchange.RemoveFullAccess(x.ctx, mbx, who)
		})
	}
	params := map[string]any{"Identity": mbx, "Trustee": who, "AccessRights": []string{RightSendAs}}
	return x.change(exo("Remove-RecipientPermission", params), nil, "Send As taken away from "+who, func() error {
		return x.e.Exchange.RemoveSendAs(x.ctx, mbx, who)
	})
}

// otherGone reports whether err says that the other mailbox a removal
// acts on (Step.On) no longer exists: then there is no right left to take
// away, and the step is skipped, saying so.
func (x run) otherGone(err error) (bool, Outcome) {
	if x.s.On == "" || !errors.Is(err, ErrNotFound) {
		return false, Outcome{}
	}
	return true, Outcome{Status: Skipped, Detail: x.s.On + " no longer exists"}
}
