// Users: seeding them (AddUser, AddUsers), finding them by any of their
// keys, and the Graph user reads and writes that are not about licenses or
// groups (User, Manager, SetAccountEnabled, Users).

package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// AddUser seeds a user (and its mailbox), the SKUs and groups it carries,
// and returns the user as the Directory reads it. It fails, changing
// nothing, when the UPN is empty, when any of its names (object id, UPN,
// mail, alias) is already taken, by a deleted user too, or when it carries
// a SKU or group that conflicts with one the tenant has.
func (t *Tenant) AddUser(s UserSpec) (mailbox.User, error) {
	if s.UserPrincipalName == "" || !strings.Contains(s.UserPrincipalName, "@") {
		return mailbox.User{}, fmt.Errorf("sandbox: add user %q: %w", s.UserPrincipalName, mailbox.ErrInvalidAddress)
	}
	u := &user{
		id:          s.ID,
		upn:         s.UserPrincipalName,
		displayName: s.DisplayName,
		mail:        s.Mail,
		aliases:     slices.Clone(s.Aliases),
		enabled:     !s.SignInBlocked,
		onPremSync:  s.OnPremisesSyncEnabled,
		licenses:    slices.Clone(s.Licenses),
		managerUPN:  s.ManagerUPN,
		deleted:     s.Deleted,
		deletedAt:   s.DeletedAt,
	}
	if u.deleted {
		u.licenses = nil // released on deletion
		if u.deletedAt.IsZero() {
			u.deletedAt = t.now().Add(-s.DeletedAgo)
		}
	}
	if u.id == "" {
		u.id = ObjectID(u.upn)
	}
	if u.displayName == "" {
		u.displayName = u.upn
	}
	u.name = u.displayName
	for _, g := range s.MemberOf {
		u.groups = append(u.groups, g.ID)
	}
	if !s.NoMailbox {
		if u.mail == "" {
			u.mail = u.upn
		}
		rt := s.RecipientTypeDetails
		if rt == "" {
			rt = mailbox.RecipientUserMailbox
		}
		archive := s.ArchiveStatus
		if archive == "" {
			archive = "None"
		}
		alias := s.Alias
		if alias == "" {
			alias, _, _ = strings.Cut(u.upn, "@")
		}
		items := s.MailboxItemCount
		if items == 0 {
			items = s.MailboxSizeBytes / 325_000
		}
		u.mbx = &mbox{
			guid:          MailboxGUID(u.upn),
			alias:         alias,
			smtp:          u.mail,
			actual:        rt,
			shown:         rt,
			dirSynced:     s.OnPremisesSyncEnabled,
			litHold:       s.LitigationHoldEnabled,
			inPlaceHolds:  slices.Clone(s.InPlaceHolds),
			archive:       archive,
			autoExpanding: s.AutoExpandingArchiveEnabled,
			hidden:        s.HiddenFromAddressListsEnabled,
			sendOnBehalf:  slices.Clone(s.GrantSendOnBehalfTo),
			sizeBytes:     s.MailboxSizeBytes,
			items:         items,
		}
	}

	dirKeys := uniq(u.id, u.upn, u.mail)
	var mbxKeys []string
	if u.mbx != nil {
		mbxKeys = uniq(u.upn, u.mbx.smtp, u.mbx.alias, u.mbx.guid, u.id)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range s.Skus {
		if err := t.checkSku(k); err != nil {
			return mailbox.User{}, fmt.Errorf("sandbox: add user %s: %w", u.upn, err)
		}
	}
	for _, g := range s.MemberOf {
		if err := t.checkGroup(g); err != nil {
			return mailbox.User{}, fmt.Errorf("sandbox: add user %s: %w", u.upn, err)
		}
	}
	for _, k := range dirKeys {
		if _, ok := t.byKey[k]; ok || t.groupMailTaken(k, s.MemberOf) {
			return mailbox.User{}, fmt.Errorf("sandbox: add user %s: %q is already taken", u.upn, k)
		}
	}
	for _, k := range mbxKeys {
		if _, ok := t.byMbx[k]; ok {
			return mailbox.User{}, fmt.Errorf("sandbox: add user %s: mailbox identity %q is already taken", u.upn, k)
		}
	}
	for _, k := range s.Skus {
		t.addSku(k)
	}
	for _, g := range s.MemberOf {
		t.addGroup(g)
	}
	for _, k := range dirKeys {
		t.byKey[k] = u
	}
	for _, k := range mbxKeys {
		t.byMbx[k] = u
	}
	t.users = append(t.users, u)
	return u.public(), nil
}

// AddUsers seeds several users, stopping at the first error.
func (t *Tenant) AddUsers(specs ...UserSpec) error {
	for _, s := range specs {
		if _, err := t.AddUser(s); err != nil {
			return err
		}
	}
	return nil
}

// uniq lower-cases the non-empty keys and drops repeats.
func uniq(keys ...string) []string {
	var out []string
	for _, k := range keys {
		if k = strings.ToLower(k); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// proxyAddresses are u's addresses as Graph lists them: the primary
// "SMTP:" first, then each alias as "smtp:"; nil for a user without mail.
func (u *user) proxyAddresses() []string {
	if u.mail == "" {
		return nil
	}
	out := []string{"SMTP:" + u.mail}
	for _, a := range u.aliases {
		out = append(out, "smtp:"+a)
	}
	return out
}

func (u *user) public() mailbox.User {
	return mailbox.User{
		ID:                      u.id,
		DisplayName:             u.displayName,
		UserPrincipalName:       u.upn,
		Mail:                    u.mail,
		ProxyAddresses:          u.proxyAddresses(),
		AccountEnabled:          u.enabled,
		OnPremisesSyncEnabled:   u.onPremSync,
		Licenses:                slices.Clone(u.licenses),
		SignInSessionsValidFrom: u.sessionsValidFrom,
	}
}

// live finds a user that is not deleted by object id, UPN or mail; t.mu is
// held. The account of a mailbox created within Options.CreateLag User
// reads is not found.
func (t *Tenant) live(key string) (*user, bool) { return t.account(key, false) }

// gatedUser passes op through the gate (faults, throttling) and then finds
// the live user userID, or answers as Graph does when there is none. The
// caller holds t.mu.
func (t *Tenant) gatedUser(ctx context.Context, op, userID string) (*user, error) {
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	u, ok := t.live(userID)
	if !ok {
		return nil, graphNotFound(op, userID)
	}
	return u, nil
}

// account is live; read (a Graph User read) uses up one read of
// Options.CreateLag.
func (t *Tenant) account(key string, read bool) (*user, bool) {
	u, ok := t.byKey[strings.ToLower(key)]
	if !ok || u.deleted {
		return nil, false
	}
	if u.absentLeft > 0 {
		if read {
			u.absentLeft--
		}
		return nil, false
	}
	return u, true
}

// graphNotFound is Graph's answer for a missing resource.
func graphNotFound(op, resource string) error {
	return &mailbox.RemoteError{
		Service: "graph", Op: op, Status: 404, Code: "Request_ResourceNotFound",
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", resource),
	}
}

// User returns a user by object id, UPN or mail, case-insensitively. The
// account of a mailbox created by NewSharedMailbox is not found for the
// first Options.CreateLag reads of it.
func (t *Tenant) User(ctx context.Context, idOrUPN string) (mailbox.User, error) {
	const op = "GET /users/{id}"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadUser]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.User{}, err
	}
	u, ok := t.account(idOrUPN, true)
	if !ok {
		return mailbox.User{}, graphNotFound(op, idOrUPN)
	}
	return u.public(), nil
}

// Manager returns the manager of a user given by object id or UPN;
// mailbox.ErrNotFound when the user or the manager does not exist.
func (t *Tenant) Manager(ctx context.Context, userID string) (mailbox.User, error) {
	const op = "GET /users/{id}/manager"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadManager]++
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return mailbox.User{}, err
	}
	m, ok := t.live(u.managerUPN)
	if u.managerUPN == "" || !ok {
		return mailbox.User{}, graphNotFound(op, "manager")
	}
	return m.public(), nil
}

// SetAccountEnabled allows or blocks sign-in of a user given by object id or
// UPN. Setting the value it already has changes nothing and is not recorded.
func (t *Tenant) SetAccountEnabled(ctx context.Context, userID string, enabled bool) error {
	const op = "PATCH /users/{id}"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return err
	}
	if u.enabled == enabled {
		return nil
	}
	t.record(ChangeAccountEnabled, u, strconv.FormatBool(u.enabled), strconv.FormatBool(enabled))
	u.enabled = enabled
	return nil
}

// Users returns every user that is not deleted, in the order they were
// added.
func (t *Tenant) Users() []mailbox.User {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []mailbox.User
	for _, u := range t.users {
		if !u.deleted {
			out = append(out, u.public())
		}
	}
	return out
}
