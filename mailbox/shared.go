package mailbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Plans for the second seed document: creating a shared mailbox and
// managing who may use it (rules 11-14).

// planCreate plans a new shared mailbox: the address must be free and in an
// accepted domain before anyone is asked to approve.
func (p *Planner) planCreate(ctx context.Context, op Operation) (Plan, error) {
	addr := op.Mailbox
	d := draft{Plan: Plan{Op: op, Target: Target{
		UserID: addr, UserPrincipalName: addr, DisplayName: op.DisplayName, RecipientTypeDetails: "(new)",
	}}}
	domains, err := p.Exchange.AcceptedDomains(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("list accepted domains: %w", err)
	}
	_, domain, _ := strings.Cut(addr, "@")
	if !slices.ContainsFunc(domains, func(s string) bool { return strings.EqualFold(s, domain) }) {
		d.add(Blocker, 11, fmt.Sprintf("%s is not an accepted domain of the tenant, so Exchange cannot give a mailbox an address there.", domain),
			"Use one of: "+strings.Join(domains, ", ")+".")
	}
	taken, err := p.addressTaken(ctx, addr)
	if err != nil {
		return Plan{}, err
	}
	d.Target.AddressTaken = taken
	if taken {
		d.blocker(FindingTaken, 11, fmt.Sprintf("%s is already used by a mailbox, group, contact or user, as its address, one of its other (proxy) addresses or its user name.", addr),
			"Choose another address, or use the existing one: /shared-mailbox grant gives people access to an existing shared mailbox.")
	}
	members := p.people(ctx, &d, op.Members, false)
	d.add(Info, 11, "The mailbox's own account gets a password nobody knows, and its sign-in is blocked: people use the mailbox through their own accounts.", "")
	if len(members) > 0 {
		d.add(Info, 12, "Each member gets Full Access (with automapping: the mailbox appears in their Outlook) and Send As: both are needed to use a shared mailbox.", "")
	} else {
		d.add(Info, 12, "No members yet: add them later with `/shared-mailbox grant`.", "")
	}
	d.step(StepCreateShared, "", fmt.Sprintf("Create the shared mailbox “%s” <%s> (New-Mailbox -Shared)", op.DisplayName, addr))
	d.step(StepWaitMailbox, "new", "Wait until Exchange and Microsoft Entra ID find the new mailbox and its account")
	d.step(StepBlockSignIn, "", "Block sign-in of the mailbox's own account (rule 11)")
	for _, m := range members {
		d.Steps = append(d.Steps, Step{Name: StepGrantFullAccess, Arg: m.who, Title: fmt.Sprintf("Give %s Full Access, with automapping (rule 12)", m.who)})
		d.step(StepGrantSendAs, m.who, fmt.Sprintf("Give %s Send As (rule 12)", m.who))
	}
	return d.Plan, nil
}

// addressTaken reports whether any recipient already answers to addr:
// Get-Recipient finds mailboxes, groups, contacts and mail users by their
// primary or any proxy address, and Graph a user by its user principal
// name, which an account without a mailbox can have.
func (p *Planner) addressTaken(ctx context.Context, addr string) (bool, error) {
	taken, err := p.Exchange.RecipientExists(ctx, addr)
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", addr, err)
	}
	if taken {
		return true, nil
	}
	switch _, err := p.Directory.User(ctx, addr); {
	case err == nil:
		return true, nil
	case !errors.Is(err, ErrNotFound):
		return false, fmt.Errorf("look up user %s: %w", addr, err)
	}
	return false, nil
}

// trustee is a person or group named in a command, as found.
type trustee struct {
	who   string   // the address Exchange is given: a user's UPN or a group's mail
	id    string   // the user's or group's object id
	names []string // other names Exchange may list it by
	group *Group
	user  *User
}

// people resolves addresses to users (and groups, when allowed); an unknown
// one is a blocker.
func (p *Planner) people(ctx context.Context, d *draft, addrs []string, groups bool) []trustee {
	var out []trustee
	for _, a := range addrs {
		t, err := p.findTrustee(ctx, a, groups)
		d.person(a, Person{ID: t.id, Name: t.who, Group: t.group != nil})
		if err != nil {
			d.add(Blocker, 12, err.Error(), "Check the address: name a user (or, for grant and revoke, a mail-enabled group) of the tenant.")
			continue
		}
		out = append(out, t)
	}
	return out
}

func (p *Planner) findTrustee(ctx context.Context, addr string, groups bool) (trustee, error) {
	u, err := p.Directory.User(ctx, addr)
	if err == nil {
		return trustee{who: u.UserPrincipalName, id: u.ID, names: []string{u.Mail, u.DisplayName, localPart(u.UserPrincipalName)}, user: &u}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return trustee{}, fmt.Errorf("I could not look up %s: %w", addr, err)
	}
	g, gerr := p.Directory.GroupByMail(ctx, addr)
	switch {
	case gerr == nil && groups:
		return trustee{who: g.Mail, id: g.ID, names: []string{g.DisplayName, localPart(g.Mail)}, group: &g}, nil
	case gerr == nil:
		return trustee{}, fmt.Errorf("%s is a group (“%s”); name its members one by one", addr, g.DisplayName)
	case errors.Is(gerr, ErrNotFound):
		return trustee{}, fmt.Errorf("%s is not a user or a mail-enabled group in Microsoft Entra ID", addr)
	}
	return trustee{}, fmt.Errorf("I could not look up %s: %w", addr, gerr)
}

// planAccess plans a grant or a revoke of one right. What is already so is
// said, and gives no step.
func (p *Planner) planAccess(ctx context.Context, op Operation) (Plan, error) {
	mb, err := p.Exchange.GetMailbox(ctx, op.Mailbox)
	if err != nil {
		return Plan{}, fmt.Errorf("look up mailbox %s: %w", op.Mailbox, err)
	}
	d := sharedDraft(op, mb)
	if mb.RecipientTypeDetails != RecipientSharedMailbox {
		// A person's own mailbox is not for /shared-mailbox: its rights are
		// that person's and their manager's business, not the requester's.
		d.add(Blocker, 12, fmt.Sprintf("%s is a %s, not a shared mailbox: /shared-mailbox does not grant or revoke rights on it.", op.Mailbox, mb.RecipientTypeDetails),
			"/shared-mailbox manages shared mailboxes only. If it should become one, convert it first with /convert-mailbox, then ask again.")
	}
	ts := p.people(ctx, &d, []string{op.Trustee}, true)
	if len(ts) == 0 {
		return d.Plan, nil
	}
	t := ts[0]
	grant := op.Kind == KindGrant
	if op.Options.EachMember && (t.group == nil || op.Right != FullAccess || !grant) {
		d.add(Blocker, 14, "`each-member` applies only when granting Full Access to a group.", "Leave it out, or name a group.")
		return d.Plan, nil
	}
	// Rule 13: Send As and Send on Behalf need the mailbox in the address list.
	if grant && op.Right != FullAccess && mb.HiddenFromAddressListsEnabled {
		d.add(Warning, 13, fmt.Sprintf("%s is hidden from the address lists (HiddenFromAddressListsEnabled): Send As and Send on Behalf do not work in classic Outlook for Windows until it is visible in the global address list. Outlook on the web and the new Outlook are not affected.", op.Mailbox),
			fmt.Sprintf("To use it from classic Outlook, show it in the address lists: Set-Mailbox -Identity %s -HiddenFromAddressListsEnabled $false", op.Mailbox))
	}
	if grant && op.Right == FullAccess {
		d.add(Warning, 12, fmt.Sprintf("Full Access lets %s open the mailbox and change its items, not send from it: grant send-as too for that.", t.who), "")
	}
	whos := []string{t.who}
	if t.group != nil && op.Right == FullAccess && grant {
		members, err := p.Directory.GroupMembers(ctx, t.group.ID)
		if err != nil {
			return Plan{}, fmt.Errorf("list the members of %s: %w", t.who, err)
		}
		if op.Options.EachMember {
			whos = whos[:0]
			for _, m := range members {
				whos = append(whos, m.UserPrincipalName)
			}
			if len(whos) == 0 {
				d.add(Blocker, 14, fmt.Sprintf("“%s” has no user members to grant Full Access to one by one.", t.group.DisplayName), "")
				return d.Plan, nil
			}
			d.add(Info, 14, fmt.Sprintf("Full Access is given to the %d members of “%s” one by one, so that automapping works for each.", len(members), t.group.DisplayName), "")
		} else {
			d.add(Warning, 14, fmt.Sprintf("Automapping does not work through a group: the mailbox will not appear by itself in the Outlook of the %d members of “%s”.", len(members), t.group.DisplayName),
				"Ask again with `each-member` to give the members Full Access one by one instead.")
		}
	}
	have, err := p.holders(ctx, op, mb)
	if err != nil {
		return Plan{}, err
	}
	for _, who := range whos {
		names := Names(who)
		if who == t.who {
			names = Names(who, t.names...)
		}
		has := slices.ContainsFunc(have, names.Match)
		switch {
		case grant && has:
			d.add(Info, 0, fmt.Sprintf("%s already has %s on %s: nothing to change.", who, op.Right.Title(), op.Mailbox), "")
		case !grant && !has:
			d.add(Info, 0, fmt.Sprintf("%s does not have %s on %s: nothing to change.", who, op.Right.Title(), op.Mailbox), "")
		default:
			st := accessStep(op, who)
			st.Names = names[1:]
			d.Steps = append(d.Steps, st)
		}
	}
	return d.Plan, nil
}

// sharedDraft starts the plan of an operation on an existing shared
// mailbox mb.
func sharedDraft(op Operation, mb Mailbox) draft {
	upn := firstOf(mb.UserPrincipalName, mb.PrimarySMTPAddress, op.Mailbox)
	d := draft{Plan: Plan{Op: op, Target: Target{
		UserID: firstOf(mb.ExternalDirectoryObjectID, upn), UserPrincipalName: upn, DisplayName: mb.DisplayName,
		RecipientTypeDetails: mb.RecipientTypeDetails,
	}}}
	d.mailboxFacts(mb)
	return d
}

func accessStep(op Operation, who string) Step {
	grant := op.Kind == KindGrant
	s := Step{Arg: who, NoAutoMapping: op.Options.NoAutoMapping}
	switch {
	case grant && op.Right == FullAccess:
		auto := "with automapping"
		if op.Options.NoAutoMapping {
			auto = "without automapping"
		}
		s.Name, s.Title = StepGrantFullAccess, fmt.Sprintf("Give %s Full Access, %s (Add-MailboxPermission)", who, auto)
	case grant && op.Right == SendAs:
		s.Name, s.Title = StepGrantSendAs, fmt.Sprintf("Give %s Send As (Add-RecipientPermission)", who)
	case grant:
		s.Name, s.Title = StepGrantSendOnBehalf, fmt.Sprintf("Give %s Send on Behalf (Set-Mailbox -GrantSendOnBehalfTo)", who)
	case op.Right == FullAccess:
		s.Name, s.Title = StepRevokeFullAccess, fmt.Sprintf("Take Full Access away from %s (Remove-MailboxPermission)", who)
	case op.Right == SendAs:
		s.Name, s.Title = StepRevokeSendAs, fmt.Sprintf("Take Send As away from %s (Remove-RecipientPermission)", who)
	default:
		s.Name, s.Title = StepRevokeSendOnBehalf, fmt.Sprintf("Take Send on Behalf away from %s (Set-Mailbox -GrantSendOnBehalfTo)", who)
	}
	return s
}

// holders lists who has op.Right on mb now, explicitly.
func (p *Planner) holders(ctx context.Context, op Operation, mb Mailbox) ([]string, error) {
	switch op.Right {
	case FullAccess, SendAs:
		want := RightFullAccess
		if op.Right == SendAs {
			want = RightSendAs
		}
		perms, err := readPermissions(ctx, p.Exchange, op.Mailbox, want)
		if err != nil {
			return nil, err
		}
		var who []string
		for _, m := range Explicit(perms) {
			if slices.Contains(m.AccessRights, want) {
				who = append(who, m.User)
			}
		}
		return who, nil
	}
	return mb.GrantSendOnBehalfTo, nil
}

// Explicit keeps the entries people granted: not inherited, not denied,
// not Exchange's own (NT AUTHORITY\SELF and the like).
func Explicit(perms []Permission) []Permission {
	var out []Permission
	for _, p := range perms {
		u := strings.ToUpper(p.User)
		if p.IsInherited || p.Deny || strings.HasPrefix(u, `NT AUTHORITY\`) || strings.HasPrefix(u, "S-1-5-") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Member is one row of a mailbox's members: who, and which rights.
type Member struct {
	Who                            string
	FullAccess, SendAs, OnBehalfOf bool
}

// Members reads who may use a mailbox: Full Access from
// Get-MailboxPermission and Send As from Get-RecipientPermission (without
// inherited entries and NT AUTHORITY\SELF), and Send on Behalf from the
// mailbox's GrantSendOnBehalfTo. Rows are sorted by who.
func Members(ctx context.Context, x Exchange, mbx string) (Mailbox, []Member, error) {
	mb, err := x.GetMailbox(ctx, mbx)
	if err != nil {
		return Mailbox{}, nil, err
	}
	full, err := x.MailboxPermissions(ctx, mbx)
	if err != nil {
		return mb, nil, err
	}
	sendAs, err := x.RecipientPermissions(ctx, mbx)
	if err != nil {
		return mb, nil, err
	}
	rows := map[string]*Member{}
	row := func(who string) *Member {
		k := strings.ToLower(who)
		if rows[k] == nil {
			rows[k] = &Member{Who: who}
		}
		return rows[k]
	}
	for _, p := range Explicit(full) {
		if slices.Contains(p.AccessRights, RightFullAccess) {
			row(p.User).FullAccess = true
		}
	}
	for _, p := range Explicit(sendAs) {
		if slices.Contains(p.AccessRights, RightSendAs) {
			row(p.User).SendAs = true
		}
	}
	for _, who := range mb.GrantSendOnBehalfTo {
		row(who).OnBehalfOf = true
	}
	out := make([]Member, 0, len(rows))
	for _, m := range rows {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(strings.ToLower(a.Who), strings.ToLower(b.Who)) })
	return mb, out, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func localPart(addr string) string {
	l, _, _ := strings.Cut(addr, "@")
	return l
}
