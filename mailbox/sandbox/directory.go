package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// DeletedRetention is how long a deleted user stays in the directory's
// deleted items before it is gone for good.
const DeletedRetention = 30 * 24 * time.Hour

// Lifetimes of a Temporary Access Pass, as Graph allows them
// (lifetimeInMinutes, 10 to 43200) and as the default policy gives them.
const (
	TAPMinLifetime     = 10 * time.Minute
	TAPMaxLifetime     = 30 * 24 * time.Hour
	TAPDefaultLifetime = time.Hour
)

// graphBadRequest is Graph's 400 with Microsoft's own text.
func graphBadRequest(op, message string) error {
	return &mailbox.RemoteError{Service: "graph", Op: op, Status: 400, Code: "Request_BadRequest", Message: message}
}

// AddSku subscribes the tenant to a SKU. Enabled is the number of units
// bought; Consumed counts the units held by users the sandbox does not
// model: SubscribedSkus adds the licenses the tenant's users hold, so that
// assigning and removing licenses keeps it in step. Empty AppliesTo and
// CapabilityStatus read "User" and "Enabled". Adding the same SKU again
// changes nothing; a different SKU with the same id is an error.
func (t *Tenant) AddSku(s mailbox.Sku) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkSku(s); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	t.addSku(s)
	return nil
}

// normSku fills the defaults of a seeded SKU.
func normSku(s mailbox.Sku) mailbox.Sku {
	if s.AppliesTo == "" {
		s.AppliesTo = "User"
	}
	if s.CapabilityStatus == "" {
		s.CapabilityStatus = "Enabled"
	}
	s.ServicePlans = slices.Clone(s.ServicePlans)
	return s
}

// findSku returns the subscription with the SKU id; t.mu is held.
func (t *Tenant) findSku(id string) *sku {
	for _, k := range t.skus {
		if strings.EqualFold(k.ID, id) {
			return k
		}
	}
	return nil
}

// checkSku fails when s is unusable or conflicts with a subscription of the
// same id; t.mu is held.
func (t *Tenant) checkSku(s mailbox.Sku) error {
	if s.ID == "" {
		return fmt.Errorf("SKU %q has no id", s.PartNumber)
	}
	k := t.findSku(s.ID)
	if k == nil {
		return nil
	}
	n := normSku(s)
	if k.PartNumber != n.PartNumber || k.AppliesTo != n.AppliesTo || k.CapabilityStatus != n.CapabilityStatus ||
		k.Enabled != n.Enabled || k.base != n.Consumed || !slices.Equal(k.ServicePlans, n.ServicePlans) {
		return fmt.Errorf("SKU %s (%s) is already subscribed with other values", s.ID, s.PartNumber)
	}
	return nil
}

// addSku adds a checked SKU unless it is there; t.mu is held.
func (t *Tenant) addSku(s mailbox.Sku) {
	if t.findSku(s.ID) != nil {
		return
	}
	n := normSku(s)
	t.skus = append(t.skus, &sku{Sku: n, base: n.Consumed})
}

// AddGroup makes a group known, for GroupName and GroupByMail and as a
// trustee of mailbox permissions; its members are the users seeded with
// it in UserSpec.MemberOf. Adding the same group again changes nothing;
// other values for the same id, or a mail address already taken by a user,
// mailbox or another group, are an error.
func (t *Tenant) AddGroup(g Group) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.checkGroup(g); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	t.addGroup(g)
	return nil
}

// findGroup finds a known group by id, name or mail, as Exchange resolves
// a trustee; t.mu is held.
func (t *Tenant) findGroup(key string) (Group, bool) {
	for _, g := range t.groups {
		if strings.EqualFold(g.ID, key) || strings.EqualFold(g.DisplayName, key) ||
			(g.Mail != "" && strings.EqualFold(g.Mail, key)) {
			return g, true
		}
	}
	return Group{}, false
}

// groupMailTaken reports whether a known group, or one of extra, has the
// address as its mail; t.mu is held.
func (t *Tenant) groupMailTaken(address string, extra []Group) bool {
	for _, g := range slices.Concat(t.groups, extra) {
		if g.Mail != "" && strings.EqualFold(g.Mail, address) {
			return true
		}
	}
	return false
}

// checkGroup; t.mu is held.
func (t *Tenant) checkGroup(g Group) error {
	if g.ID == "" || g.DisplayName == "" {
		return fmt.Errorf("group %+v needs an id and a name", g)
	}
	if g.Mail != "" && !strings.Contains(g.Mail, "@") {
		return fmt.Errorf("group %s: mail %q: %w", g.DisplayName, g.Mail, mailbox.ErrInvalidAddress)
	}
	for _, o := range t.groups {
		if !strings.EqualFold(o.ID, g.ID) {
			continue
		}
		if o.DisplayName != g.DisplayName || !strings.EqualFold(o.Mail, g.Mail) || o.SecurityEnabled != g.SecurityEnabled {
			return fmt.Errorf("group %s is already known as %+v", g.ID, o)
		}
		return nil // the same group again
	}
	if g.Mail == "" {
		return nil
	}
	k := strings.ToLower(g.Mail)
	_, user := t.byKey[k]
	_, mbx := t.byMbx[k]
	if user || mbx || t.groupMailTaken(k, nil) {
		return fmt.Errorf("group %s: mail %q is already taken", g.DisplayName, g.Mail)
	}
	return nil
}

// addGroup adds a checked group unless it is there; t.mu is held.
func (t *Tenant) addGroup(g Group) {
	for _, o := range t.groups {
		if strings.EqualFold(o.ID, g.ID) {
			return
		}
	}
	t.groups = append(t.groups, g)
}

// consumed counts the units of a SKU in use; t.mu is held. A user holding
// the SKU both directly and through a group uses one unit, as in Entra.
func (t *Tenant) consumed(k *sku) int {
	n := k.base
	for _, u := range t.users {
		if !u.deleted && u.holds(k.ID) {
			n++
		}
	}
	return n
}

// holds reports whether the user has the SKU, directly or through a group.
func (u *user) holds(skuID string) bool {
	return slices.ContainsFunc(u.licenses, func(l mailbox.License) bool { return strings.EqualFold(l.SkuID, skuID) })
}

// direct returns the index of the user's direct license of the SKU, or -1.
func (u *user) direct(skuID string) int {
	return slices.IndexFunc(u.licenses, func(l mailbox.License) bool {
		return l.AssignedByGroup == "" && strings.EqualFold(l.SkuID, skuID)
	})
}

// SubscribedSkus lists the tenant's subscriptions in the order they were
// added, Consumed counting the licenses the tenant's users hold.
func (t *Tenant) SubscribedSkus(ctx context.Context) ([]mailbox.Sku, error) {
	const op = "GET /subscribedSkus"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadSubscribedSkus]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	out := make([]mailbox.Sku, 0, len(t.skus))
	for _, k := range t.skus {
		s := k.Sku
		s.ServicePlans = slices.Clone(s.ServicePlans)
		s.Consumed = t.consumed(k)
		out = append(out, s)
	}
	return out, nil
}

// GroupName returns the display name of a known group by id;
// mailbox.ErrNotFound otherwise.
func (t *Tenant) GroupName(ctx context.Context, groupID string) (string, error) {
	const op = "GET /groups/{id}"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadGroupName]++
	if err := t.gate(ctx, op); err != nil {
		return "", err
	}
	for _, g := range t.groups {
		if strings.EqualFold(g.ID, groupID) {
			return g.DisplayName, nil
		}
	}
	return "", graphNotFound(op, groupID)
}

// AssignLicenses removes and then adds direct licenses of a user given by
// object id or UPN, all or nothing, with Graph's answers: a SKU the tenant
// is not subscribed to, a SKU without free units (unless the user already
// holds it through a group), a license the user does not have, and a
// license that comes only from a group are refused with 400 and nothing
// changes. Adding a direct license the user already has changes nothing
// and is not recorded.
func (t *Tenant) AssignLicenses(ctx context.Context, userID string, add, remove []string) error {
	const op = "POST /users/{id}/assignLicense"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return err
	}
	if len(add) == 0 && len(remove) == 0 {
		return graphBadRequest(op, "No license changes provided. At least one license to add or remove must be specified.")
	}
	for _, id := range remove {
		if u.direct(id) >= 0 {
			continue
		}
		if u.holds(id) {
			return graphBadRequest(op, "User license is inherited from a group membership and it cannot be removed directly from the user.")
		}
		return graphBadRequest(op, "User does not have a corresponding license.")
	}
	var adds []string
	for _, id := range add {
		k := t.findSku(id)
		if k == nil {
			return graphBadRequest(op, fmt.Sprintf("License %s does not correspond to a valid company License.", id))
		}
		removed := slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(r, id) })
		if (u.direct(id) >= 0 && !removed) || slices.ContainsFunc(adds, func(a string) bool { return strings.EqualFold(a, k.ID) }) {
			continue // already held directly: nothing to do
		}
		if !u.holds(id) && k.Enabled-t.consumed(k) < 1 {
			return graphBadRequest(op, fmt.Sprintf("Subscription with SKU %s does not have any available licenses.", k.ID))
		}
		adds = append(adds, k.ID)
	}
	for _, id := range remove {
		if i := u.direct(id); i >= 0 {
			t.record(ChangeLicenseRemoved, u, u.licenses[i].SkuID, "")
			u.licenses = slices.Delete(u.licenses, i, i+1)
		}
	}
	for _, id := range adds {
		t.record(ChangeLicenseAdded, u, "", id)
		u.licenses = append(u.licenses, mailbox.License{SkuID: id})
	}
	return nil
}

// RevokeSignInSessions ends a user's sessions. Every call is recorded: Graph
// cannot tell whether there was anything to revoke either.
func (t *Tenant) RevokeSignInSessions(ctx context.Context, userID string) error {
	const op = "POST /users/{id}/revokeSignInSessions"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return err
	}
	u.sessionsValidFrom = t.now().UTC().Truncate(time.Second) // Graph keeps whole seconds
	t.record(ChangeSessionsRevoked, u, "", "")
	return nil
}

// complexEnough is Entra's password rule for cloud users: 8 to 256
// characters, three of lower case, upper case, digits and symbols.
func complexEnough(p string) bool {
	if n := len([]rune(p)); n < 8 || n > 256 {
		return false
	}
	var lower, upper, digit, symbol int
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			symbol = 1
		}
	}
	return lower+upper+digit+symbol >= 3
}

// ResetPassword sets a user's password. A password Entra would find too
// simple is refused with Graph's 400. The change is recorded without the
// password; the tenant keeps only its SHA-256, for CheckPassword.
func (t *Tenant) ResetPassword(ctx context.Context, userID, password string, forceChange bool) error {
	const op = "PATCH /users/{id}"
	t.mu.Lock()
	defer t.mu.Unlock()
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return err
	}
	if !complexEnough(password) {
		return graphBadRequest(op, "The specified password does not comply with password complexity requirements. Please provide a different password.")
	}
	h := sha256.Sum256([]byte(password))
	u.passwordHash = h[:]
	u.passwordChange = forceChange
	t.record(ChangePasswordReset, u, "", strconv.FormatBool(forceChange))
	return nil
}

// tapAlphabet is the alphabet of the passes: Entra's mix of letters, digits
// and symbols, without look-alikes.
const tapAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789@#$%&*+=?"

// newPass returns a random pass of n characters from crypto/rand.
func newPass(n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(tapAlphabet)))
	for i := range b {
		r, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b[i] = tapAlphabet[r.Int64()]
	}
	return string(b), nil
}

// CreateTemporaryAccessPass issues a random 12-character pass that expires
// lifetime after the tenant's clock (Options.Now); lifetime 0 takes the
// default policy's hour, and one outside 10 minutes to 30 days is refused
// as Graph refuses it. A new pass replaces the old. The change is recorded
// without the pass; LastTemporaryAccessPass returns it to tests.
func (t *Tenant) CreateTemporaryAccessPass(ctx context.Context, userID string, lifetime time.Duration) (mailbox.TemporaryAccessPass, error) {
	const op = "POST /users/{id}/authentication/temporaryAccessPassMethods"
	if lifetime == 0 {
		lifetime = TAPDefaultLifetime
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	u, err := t.gatedUser(ctx, op, userID)
	if err != nil {
		return mailbox.TemporaryAccessPass{}, err
	}
	if lifetime < TAPMinLifetime || lifetime > TAPMaxLifetime {
		return mailbox.TemporaryAccessPass{}, graphBadRequest(op,
			fmt.Sprintf("The lifetimeInMinutes %d is outside the range allowed by the Temporary Access Pass policy (10 to 43200).", int(lifetime/time.Minute)))
	}
	pass, err := newPass(12)
	if err != nil {
		return mailbox.TemporaryAccessPass{}, fmt.Errorf("sandbox: temporary access pass: %w", err)
	}
	tap := mailbox.TemporaryAccessPass{Pass: pass, ExpiresAt: t.now().Add(lifetime)}
	u.tap = &tap
	t.record(ChangeTemporaryAccessPass, u, "", tap.ExpiresAt.UTC().Format(time.RFC3339))
	return tap, nil
}

// deleted finds a deleted user still in the deleted items (deleted less
// than DeletedRetention ago) by object id, UPN or mail; t.mu is held.
func (t *Tenant) deleted(key string) (*user, bool) {
	u, ok := t.byKey[strings.ToLower(key)]
	if !ok || !u.deleted || !t.now().Before(u.deletedAt.Add(DeletedRetention)) {
		return nil, false
	}
	return u, true
}

// DeletedUser finds a deleted user by the UPN or mail it had (or its object
// id), case-insensitively, for DeletedRetention after it was deleted;
// mailbox.ErrNotFound otherwise, and for a user that is not deleted.
func (t *Tenant) DeletedUser(ctx context.Context, upn string) (mailbox.DeletedUser, error) {
	const op = "GET /directory/deletedItems/microsoft.graph.user"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadDeletedUser]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.DeletedUser{}, err
	}
	u, ok := t.deleted(upn)
	if !ok {
		return mailbox.DeletedUser{}, graphNotFound(op, upn)
	}
	return mailbox.DeletedUser{User: u.public(), DeletedAt: u.deletedAt}, nil
}

// DeletedUsers lists the directory's deleted items (users deleted less than
// DeletedRetention ago) in the order they were added, each with the UPN it
// had: what GET /directory/deletedItems/microsoft.graph.user lists, for a
// fake Graph server (graphtest.DeletedUserLister).
func (t *Tenant) DeletedUsers(ctx context.Context) ([]mailbox.DeletedUser, error) {
	const op = "GET /directory/deletedItems/microsoft.graph.user"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadDeletedUser]++
	if err := t.gate(ctx, op); err != nil {
		return nil, err
	}
	var out []mailbox.DeletedUser
	for _, u := range t.users {
		if d, ok := t.deleted(u.id); ok {
			out = append(out, mailbox.DeletedUser{User: d.public(), DeletedAt: d.deletedAt})
		}
	}
	return out, nil
}

// RestoreDeletedUser restores a deleted user by object id. The account
// comes back as it was (names, sign-in, manager) without licenses: they
// were released when it was deleted. Its mailbox comes back after
// Options.RestoreLag Get-Mailbox reads.
func (t *Tenant) RestoreDeletedUser(ctx context.Context, id string) error {
	const op = "POST /directory/deletedItems/{id}/restore"
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return err
	}
	u, ok := t.deleted(id)
	if !ok || !strings.EqualFold(u.id, id) {
		return graphNotFound(op, id)
	}
	u.deleted = false
	u.deletedAt = time.Time{}
	if u.mbx != nil {
		u.mbx.absentLeft = t.restoreLag
	}
	t.record(ChangeUserRestored, u, "deleted", "active")
	return nil
}

// LastTemporaryAccessPass returns the last Temporary Access Pass issued to
// a user (by UPN), "" for none, for tests that check the requester got the
// right one. When it expires is in the Change that recorded it.
func (t *Tenant) LastTemporaryAccessPass(upn string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.byKey[strings.ToLower(upn)]
	if !ok || u.tap == nil {
		return ""
	}
	return u.tap.Pass
}

// PasswordSet reports whether a password was set for a user (by UPN)
// through ResetPassword.
func (t *Tenant) PasswordSet(upn string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.byKey[strings.ToLower(upn)]
	return ok && u.passwordHash != nil
}

// PasswordMustChange reports whether the last password set for a user (by
// UPN) must be changed at next sign-in (forceChangePasswordNextSignIn).
func (t *Tenant) PasswordMustChange(upn string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.byKey[strings.ToLower(upn)]
	return ok && u.passwordHash != nil && u.passwordChange
}

// CheckPassword reports whether password is the last one set for a user
// (by UPN), the way a sign-in would: for tests that check the requester
// got the right one.
func (t *Tenant) CheckPassword(upn, password string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.byKey[strings.ToLower(upn)]
	if !ok || u.passwordHash == nil {
		return false
	}
	h := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(h[:], u.passwordHash) == 1
}
