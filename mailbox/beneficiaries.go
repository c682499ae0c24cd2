package mailbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Beneficiaries lists every person who gains access through plan (rule
// 16), so that nobody approves a change that gives them access: the
// trustee of a grant, the members of a new shared mailbox, the people a
// conversion to shared gives Full Access or Send As or forwards the
// mail to, whoever a grant or forward step names (an undo's forwarding put back
// included), and for a conversion back to a user mailbox the account that gets
// its sign-in back. Each address is resolved to a user or a mail-enabled
// group as the planner does; a group is expanded transitively (members of
// nested groups included, Directory.TransitiveMembers). A revoke gives
// nobody anything.
//
// Principals carry the object id, user principal name and mail (and, for
// group members, the proxy addresses), and Via, the address of the plan
// they come through; compare an approver with Principal.Matches. They are
// sorted by user principal name, each person once.
//
// Any address that does not resolve, or a lookup that fails, is an error:
// who gains access must be known before anyone approves. Members given as
// Slack mentions must be resolved to addresses first.
func (p *Planner) Beneficiaries(ctx context.Context, plan Plan) ([]Principal, error) {
	var addrs []string
	var out []Principal
	add := func(pr Principal) {
		if !slices.ContainsFunc(out, func(o Principal) bool { return strings.EqualFold(o.ID, pr.ID) }) {
			out = append(out, pr)
		}
	}
	op := plan.Op
	switch op.Kind {
	case KindGrant:
		addrs = append(addrs, op.Trustee)
	case KindCreateShared:
		addrs = append(addrs, op.Members...)
	case KindConvertToShared:
		addrs = append(addrs, op.Options.FullAccess...)
		addrs = append(addrs, op.Options.SendAs...)
		if op.Options.ForwardTo != "" {
			addrs = append(addrs, op.Options.ForwardTo) // reads every new message
		}
	case KindConvertToRegular:
		u, err := p.Directory.User(ctx, firstOf(plan.Target.UserID, op.Mailbox))
		if err != nil {
			return nil, fmt.Errorf("who gains access: look up %s: %w", op.Mailbox, err)
		}
		add(principal(u, op.Mailbox))
	}
	for _, s := range plan.Steps {
		switch s.Name {
		case StepGrantFullAccess, StepGrantSendAs, StepGrantSendOnBehalf, StepForward:
			addrs = append(addrs, s.Arg)
		case StepRestoreForwarding:
			// An undo that forwards the mail again gives its reader
			// every new message, as forward-to does.
			if s.Arg != "" {
				addrs = append(addrs, s.Arg)
			}
		}
	}
	for _, a := range lowerSorted(addrs) {
		if a == "" {
			return nil, fmt.Errorf("who gains access: a grant names nobody: %w", ErrNotFound)
		}
		t, err := p.findTrustee(ctx, a, true)
		if err != nil {
			return nil, fmt.Errorf("who gains access: %w", err)
		}
		if t.user != nil {
			add(principal(*t.user, a))
			continue
		}
		members, err := p.Directory.TransitiveMembers(ctx, t.group.ID)
		if err != nil {
			return nil, fmt.Errorf("who gains access: list the members of %s, nested groups included: %w", a, err)
		}
		for _, m := range members {
			m.Via = a
			add(m)
		}
	}
	slices.SortFunc(out, func(a, b Principal) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.UserPrincipalName), strings.ToLower(b.UserPrincipalName)), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func principal(u User, via string) Principal {
	return Principal{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail,
		ProxyAddresses: slices.Clone(u.ProxyAddresses), Via: via}
}
