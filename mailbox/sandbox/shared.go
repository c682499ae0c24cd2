package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// GroupByMail finds a known group by its mail address, case-insensitively;
// mailbox.ErrNotFound (Graph's 404) when no group has it, also when a user
// or a group without mail has that name.
func (t *Tenant) GroupByMail(ctx context.Context, address string) (mailbox.Group, error) {
	const op = "GET /groups"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadGroupByMail]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.Group{}, err
	}
	for _, g := range t.groups {
		if g.Mail != "" && strings.EqualFold(g.Mail, address) {
			return g.public(), nil
		}
	}
	return mailbox.Group{}, graphNotFound(op, address)
}

// GroupMembers lists the members of a known group (by id) that are users
// Graph finds: not deleted, and not a mailbox's account still within
// Options.CreateLag. They come in the order the users were added;
// mailbox.ErrNotFound for an unknown group.
func (t *Tenant) GroupMembers(ctx context.Context, groupID string) ([]mailbox.User, error) {
	const op = "GET /groups/{id}/members/microsoft.graph.user"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadGroupMembers]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(t.groups, func(g Group) bool { return strings.EqualFold(g.ID, groupID) })
	if i < 0 {
		return nil, graphNotFound(op, groupID)
	}
	id := t.groups[i].ID
	out := []mailbox.User{}
	for _, u := range t.users {
		member := slices.ContainsFunc(u.groups, func(g string) bool { return strings.EqualFold(g, id) })
		if member && !u.deleted && u.absentLeft == 0 {
			out = append(out, u.public())
		}
	}
	return out, nil
}

// AddGroupMember makes the known group child a member of the known group
// parent (by id), so that TransitiveMembers of parent includes child's
// users. A loop (a group inside itself, through others) is allowed, as in
// Entra ID; adding a nesting twice changes nothing.
func (t *Tenant) AddGroupMember(parentID, childID string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range []string{parentID, childID} {
		if !t.hasGroup(id) {
			return fmt.Errorf("sandbox: nest %s in %s: no group %s: %w", childID, parentID, id, mailbox.ErrNotFound)
		}
	}
	if t.nested == nil {
		t.nested = map[string][]string{}
	}
	k := strings.ToLower(parentID)
	if !slices.ContainsFunc(t.nested[k], func(c string) bool { return strings.EqualFold(c, childID) }) {
		t.nested[k] = append(t.nested[k], childID)
	}
	return nil
}

// hasGroup reports whether the group id is known; t.mu is held.
func (t *Tenant) hasGroup(id string) bool {
	return slices.ContainsFunc(t.groups, func(g Group) bool { return strings.EqualFold(g.ID, id) })
}

// TransitiveMembers lists the users Graph finds (as GroupMembers) in a
// known group or in the groups nested in it (AddGroupMember), at any depth,
// each once, as principals whose proxy addresses are their mail
// ("SMTP:" and the mail); mailbox.ErrNotFound for an unknown group.
func (t *Tenant) TransitiveMembers(ctx context.Context, groupID string) ([]mailbox.Principal, error) {
	const op = "GET /groups/{id}/transitiveMembers/microsoft.graph.user"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadTransitiveMembers]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	if !t.hasGroup(groupID) {
		return nil, graphNotFound(op, groupID)
	}
	seen := map[string]bool{}
	queue := []string{strings.ToLower(groupID)}
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if seen[g] {
			continue
		}
		seen[g] = true
		for _, c := range t.nested[g] {
			queue = append(queue, strings.ToLower(c))
		}
	}
	out := []mailbox.Principal{}
	for _, u := range t.users {
		member := slices.ContainsFunc(u.groups, func(g string) bool { return seen[strings.ToLower(g)] })
		if !member || u.deleted || u.absentLeft != 0 {
			continue
		}
		p := mailbox.Principal{ID: u.id, DisplayName: u.displayName, UserPrincipalName: u.upn, Mail: u.mail}
		if u.mail != "" {
			p.ProxyAddresses = []string{"SMTP:" + u.mail}
		}
		out = append(out, p)
	}
	return out, nil
}

// sendOnBehalfTrustee resolves an entry of -GrantSendOnBehalfTo the way
// Exchange does: a user (not deleted) by UPN, mail, alias or object id,
// kept as its UPN; or a mail-enabled security group by id, name or mail,
// kept as its name. t.mu is held.
func (t *Tenant) sendOnBehalfTrustee(name string) (string, bool) {
	if u, ok := t.byMbx[strings.ToLower(name)]; ok && !u.deleted {
		return u.upn, true
	}
	if u, ok := t.byKey[strings.ToLower(name)]; ok && !u.deleted {
		return u.upn, true
	}
	if g, ok := t.findGroup(name); ok && g.Mail != "" && g.SecurityEnabled {
		return g.DisplayName, true
	}
	if u, ok := t.byName(name); ok { // a user by its Name, as Exchange lists it
		return u.upn, true
	}
	return "", false
}

// sameTrustee reports whether an entry of a mailbox's GrantSendOnBehalfTo
// (as stored: a UPN, a group's name, or a seeded display name) is the
// trustee who (as sendOnBehalfTrustee keeps it); t.mu is held.
func (t *Tenant) sameTrustee(entry, who string) bool {
	if strings.EqualFold(entry, who) {
		return true
	}
	if e, ok := t.sendOnBehalfTrustee(entry); ok {
		return strings.EqualFold(e, who)
	}
	// A seeded entry may be a display name, as Exchange shows them.
	for _, u := range t.users {
		if !u.deleted && strings.EqualFold(u.displayName, entry) {
			return strings.EqualFold(u.upn, who)
		}
	}
	return false
}

// SetSendOnBehalf changes a mailbox's GrantSendOnBehalfTo (Set-Mailbox
// -GrantSendOnBehalfTo @{Add=...; Remove=...}): removes, then adds. Every
// trustee must exist (a user, or a mail-enabled security group), else
// Exchange's ManagementObjectNotFound and nothing changes. An added user is
// listed by its UPN, a group by its name. Adding an entry that is there or
// removing one that is not changes nothing and is not recorded, as
// Exchange only warns.
func (t *Tenant) SetSendOnBehalf(ctx context.Context, identity string, add, remove []string) error {
	const op = "Set-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return exchangeNotFound(op, identity)
	}
	resolve := func(names []string) ([]string, error) {
		var out []string
		for _, n := range names {
			who, ok := t.sendOnBehalfTrustee(n)
			if !ok {
				return nil, exchangeNotFound(op, n)
			}
			out = append(out, who)
		}
		return out, nil
	}
	adds, err := resolve(add)
	if err != nil {
		return err
	}
	removes, err := resolve(remove)
	if err != nil {
		return err
	}
	m := u.mbx
	for _, who := range removes {
		i := slices.IndexFunc(m.sendOnBehalf, func(e string) bool { return t.sameTrustee(e, who) })
		if i < 0 {
			continue
		}
		t.record(ChangeSendOnBehalfRemoved, u, m.sendOnBehalf[i], "")
		m.sendOnBehalf = slices.Delete(m.sendOnBehalf, i, i+1)
	}
	for _, who := range adds {
		if slices.ContainsFunc(m.sendOnBehalf, func(e string) bool { return t.sameTrustee(e, who) }) {
			continue
		}
		m.sendOnBehalf = append(m.sendOnBehalf, who)
		t.record(ChangeSendOnBehalfAdded, u, "", who)
	}
	return nil
}

// exchangeBadRequest is Exchange's 400 with its own text.
func exchangeBadRequest(cmdlet, message string) error {
	return &mailbox.RemoteError{Service: "exchange", Op: cmdlet, Status: 400, Code: "BadRequest", Message: message}
}

// acceptedDomains returns Options.AcceptedDomains, else the domains of the
// users' UPNs and mail addresses in the order first seen; t.mu is held.
func (t *Tenant) acceptedDomains() []string {
	if len(t.domains) > 0 {
		return slices.Clone(t.domains)
	}
	var all []string
	for _, u := range t.users {
		for _, a := range []string{u.upn, u.mail} {
			if _, d, ok := strings.Cut(a, "@"); ok {
				all = append(all, d)
			}
		}
	}
	return uniq(all...)
}

// addressTaken reports whether a user (deleted ones too: their names stay
// taken), a mailbox or a group already has the address; t.mu is held.
func (t *Tenant) addressTaken(address string) bool {
	k := strings.ToLower(address)
	_, user := t.byKey[k]
	_, mbx := t.byMbx[k]
	return user || mbx || t.groupMailTaken(k, nil)
}

// NewSharedMailbox creates a shared mailbox and its account (New-Mailbox
// -Shared -Name -DisplayName -PrimarySmtpAddress): a user whose UPN and mail
// are the address, with the display name, no license and sign-in enabled
// (Exchange leaves it so: rule 11 is the caller's), and a visible
// SharedMailbox whose alias is the address's local part (made unique with a
// number). Exchange's 400s: an address that is not an address, a domain
// that is not accepted, an address any user, mailbox or group already has
// (the proxy address text), a name another recipient has. With
// Options.CreateLag the new mailbox and account are not found at first.
func (t *Tenant) NewSharedMailbox(ctx context.Context, name, displayName, address string) (mailbox.Mailbox, error) {
	const op = "New-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return mailbox.Mailbox{}, err
	}
	if name == "" {
		return mailbox.Mailbox{}, exchangeBadRequest(op, "Cannot validate argument on parameter 'Name'. The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
	}
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(address, " \t\r\n\"<>,;:()[]\\") || strings.Count(address, "@") != 1 {
		return mailbox.Mailbox{}, exchangeBadRequest(op, fmt.Sprintf("Cannot bind parameter 'PrimarySmtpAddress'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.SmtpAddress\". Error: \"The email address \"%s\" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.\"", address, address))
	}
	if !slices.ContainsFunc(t.acceptedDomains(), func(d string) bool { return strings.EqualFold(d, domain) }) {
		return mailbox.Mailbox{}, exchangeBadRequest(op, fmt.Sprintf("The domain %s isn't an accepted domain for your organization.", domain))
	}
	if t.addressTaken(address) {
		return mailbox.Mailbox{}, exchangeBadRequest(op, fmt.Sprintf("The proxy address \"SMTP:%s\" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.", address))
	}
	if t.nameTaken(name) {
		return mailbox.Mailbox{}, exchangeBadRequest(op, fmt.Sprintf("The name \"%s\" is already being used. Please try another name.", name))
	}
	if displayName == "" {
		displayName = name
	}
	alias := local
	for i := 2; t.addressTaken(alias); i++ {
		alias = local + strconv.Itoa(i)
	}
	u := &user{
		id: ObjectID(address), upn: address, displayName: displayName, mail: address, name: name,
		enabled: true, absentLeft: t.createLag,
		mbx: &mbox{
			guid: MailboxGUID(address), alias: alias, smtp: address, created: t.now().UTC().Truncate(time.Second),
			actual: mailbox.RecipientSharedMailbox, shown: mailbox.RecipientSharedMailbox,
			archive: "None", absentLeft: t.createLag,
		},
	}
	if _, ok := t.byKey[strings.ToLower(u.id)]; ok {
		// ObjectID is derived from the address, which is free: a seeded
		// user must have been given this id by hand.
		return mailbox.Mailbox{}, fmt.Errorf("sandbox: new mailbox %s: object id %s is already taken", address, u.id)
	}
	for _, k := range uniq(u.id, u.upn) {
		t.byKey[k] = u
	}
	for _, k := range uniq(u.upn, alias, u.mbx.guid, u.id) {
		t.byMbx[k] = u
	}
	t.users = append(t.users, u)
	t.record(ChangeMailboxCreated, u, "", mailbox.RecipientSharedMailbox)
	return mailbox.Mailbox{
		Identity:                  u.name,
		DisplayName:               u.displayName,
		UserPrincipalName:         u.upn,
		PrimarySMTPAddress:        u.mail,
		ExternalDirectoryObjectID: u.id,
		ExchangeGUID:              u.mbx.guid,
		WhenCreatedUTC:            u.mbx.created,
		RecipientTypeDetails:      mailbox.RecipientSharedMailbox,
		ArchiveStatus:             "None",
	}, nil
}

// nameTaken reports whether a user (its Exchange name or display name) or
// a group already has the name; t.mu is held.
func (t *Tenant) nameTaken(name string) bool {
	for _, u := range t.users {
		if strings.EqualFold(u.name, name) || strings.EqualFold(u.displayName, name) {
			return true
		}
	}
	_, ok := t.findGroup(name)
	return ok
}

// AcceptedDomains answers Get-AcceptedDomain: Options.AcceptedDomains, else
// the domains of the seeded users (see Options).
func (t *Tenant) AcceptedDomains(ctx context.Context) ([]string, error) {
	const op = "Get-AcceptedDomain"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadAcceptedDomains]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	return t.acceptedDomains(), nil
}

// RecipientExists answers whether Get-Recipient -Identity finds a
// recipient with the address (or name): a user that is not deleted (by
// UPN, mail or object id; with or without a mailbox), a mailbox (by any of
// its identities) or a group (by mail, name or id). A mailbox just created
// is found at once: its address is taken, whatever Options.CreateLag says.
// A deleted user is not found, as Get-Recipient leaves out soft-deleted
// recipients, though New-Mailbox still refuses its address.
func (t *Tenant) RecipientExists(ctx context.Context, address string) (bool, error) {
	const op = "Get-Recipient"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadRecipient]++
	if err := t.gate(ctx, op); err != nil {
		return false, err
	}
	k := strings.ToLower(address)
	if u, ok := t.byKey[k]; ok && !u.deleted {
		return true, nil
	}
	if u, ok := t.byMbx[k]; ok && !u.deleted {
		return true, nil
	}
	_, ok := t.findGroup(address)
	return ok, nil
}
