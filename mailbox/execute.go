package mailbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// Executor runs steps. Each step reads the current state first and changes
// only what differs, so running it again after a crash does no harm. In a
// dry run it reads, and describes the call it would make instead of making it.
type Executor struct {
	Directory Directory
	Exchange  Exchange
	// CredentialTTL is a Temporary Access Pass's lifetime (8 h).
	CredentialTTL time.Duration
	// NewPassword makes a password; nil uses a random 20-character one.
	NewPassword func() (string, error)
	// Now is the clock; nil: time.Now. The create step compares a found
	// mailbox's WhenCreatedUTC with it.
	Now func() time.Time
}

// ErrNotOurMailbox: the address of a mailbox to create is used by a mailbox
// this request did not create.
var ErrNotOurMailbox = errors.New("the address is used by a mailbox this request did not create")

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Run runs one step of a plan against its target.
func (e *Executor) Run(ctx context.Context, t Target, s Step, dryRun bool) (Outcome, error) {
	x := run{e: e, ctx: ctx, t: t, s: s, dry: dryRun}
	switch s.Name {
	case StepRevokeSessions:
		return x.revokeSessions()
	case StepBlockSignIn:
		return x.signIn(false)
	case StepEnableSignIn:
		return x.signIn(true)
	case StepAssignLicense:
		return x.assignLicense()
	case StepRemoveLicenses:
		return x.removeLicenses()
	case StepGrantFullAccess:
		return x.grant(RightFullAccess)
	case StepGrantSendAs:
		return x.grant(RightSendAs)
	case StepConvertToShared:
		return x.convert(TypeShared, RecipientSharedMailbox)
	case StepConvertToRegular:
		return x.convert(TypeRegular, RecipientUserMailbox)
	case StepVerifyShared:
		return x.verify(RecipientSharedMailbox)
	case StepVerifyRegular:
		return x.verify(RecipientUserMailbox)
	case StepIssueCredential:
		return x.credential()
	case StepRestoreUser:
		return x.restore()
	case StepResetPassword:
		return x.resetPassword()
	case StepWaitMailbox:
		return x.waitMailbox()
	case StepCreateShared:
		return x.createShared()
	case StepGrantSendOnBehalf:
		return x.sendOnBehalf(true)
	case StepRevokeSendOnBehalf:
		return x.sendOnBehalf(false)
	case StepRevokeFullAccess:
		return x.revoke(RightFullAccess)
	case StepRevokeSendAs:
		return x.revoke(RightSendAs)
	}
	return Outcome{}, fmt.Errorf("run step: unknown step %q", s.Name)
}

// run is one step being run.
type run struct {
	e   *Executor
	ctx context.Context
	t   Target
	s   Step
	dry bool
}

// unread reports a read that found nothing in a dry run: the account or
// mailbox is not there because nothing before was really done (a deleted
// user is not restored in a dry run). The step is described all the same.
func (x run) unread(err error) bool { return x.dry && errors.Is(err, ErrNotFound) }

// change makes one change, or in a dry run describes the call: what it
// would send and to where.
func (x run) change(call string, body any, done string, do func() error) (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + describe(call, body)}, nil
	}
	if err := do(); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: done}, nil
}

// clockSkew is how far Microsoft's clock may be behind ours when a re-run
// compares signInSessionsValidFromDateTime (whole seconds) with when its
// first attempt began. It is also the window in which someone else's
// revocation just before our first attempt passes for ours, so it is
// small: a larger real skew only makes the re-run revoke again, which is
// harmless.
const clockSkew = 5 * time.Second

// revokeSessions revokes the user's sign-in sessions. Revoking leaves no
// state to read first, except signInSessionsValidFromDateTime, which the
// call sets to its own time: a re-run whose first attempt began before
// that time (less the clock skew) knows the revocation went through and
// does not make it again.
func (x run) revokeSessions() (Outcome, error) {
	call := "POST /users/" + x.t.UserID + "/revokeSignInSessions"
	if !x.dry && !x.s.Since.IsZero() {
		u, err := x.e.Directory.User(x.ctx, x.t.UserID)
		if err != nil {
			return Outcome{}, err
		}
		if v := u.SignInSessionsValidFrom; !v.IsZero() && !v.Before(x.s.Since.Add(-clockSkew)) {
			return Outcome{Status: Skipped, Detail: "sign-in sessions were already revoked at " + v.UTC().Format("2006-01-02 15:04:05 UTC")}, nil
		}
	}
	return x.change(call, nil, "sign-in sessions revoked", func() error {
		return x.e.Directory.RevokeSignInSessions(x.ctx, x.t.UserID)
	})
}

func describe(call string, body any) string {
	if body == nil {
		return call
	}
	b, _ := json.Marshal(body)
	return call + " " + string(b)
}

func exo(cmdlet string, params map[string]any) string {
	params["Confirm"] = false
	b, _ := json.Marshal(params)
	return "Exchange " + cmdlet + " " + string(b)
}

// userID is the target's Entra object id. A new shared mailbox is known by
// its address until it exists; Graph wants an object id (or the UPN, which
// Exchange picks itself), so it is read from the mailbox.
func (x run) userID() string {
	if x.t.Created.ObjectID != "" {
		return x.t.Created.ObjectID // the account of the mailbox this request created
	}
	if !strings.Contains(x.t.UserID, "@") {
		return x.t.UserID
	}
	if mb, err := x.e.Exchange.GetMailbox(x.ctx, x.t.UserPrincipalName); err == nil && mb.ExternalDirectoryObjectID != "" {
		return mb.ExternalDirectoryObjectID
	}
	return x.t.UserID
}

func (x run) signIn(enabled bool) (Outcome, error) {
	id := x.userID()
	u, err := x.e.Directory.User(x.ctx, id)
	if x.unread(err) {
		u, err = User{AccountEnabled: !enabled}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	word := map[bool]string{false: "blocked", true: "enabled"}[enabled]
	if u.AccountEnabled == enabled {
		return Outcome{Status: Skipped, Detail: "sign-in was already " + word}, nil
	}
	return x.change("PATCH /users/"+id, map[string]bool{"accountEnabled": enabled}, "sign-in "+word, func() error {
		return x.e.Directory.SetAccountEnabled(x.ctx, id, enabled)
	})
}

func licenseBody(add, remove []string) map[string]any {
	adds := []map[string]any{}
	for _, id := range add {
		adds = append(adds, map[string]any{"disabledPlans": []string{}, "skuId": id})
	}
	return map[string]any{"addLicenses": adds, "removeLicenses": append([]string{}, remove...)}
}

func (x run) assignLicense() (Outcome, error) {
	u, err := x.e.Directory.User(x.ctx, x.t.UserID)
	if x.unread(err) {
		err = nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if slices.ContainsFunc(u.Licenses, func(l License) bool { return l.SkuID == x.s.Arg }) {
		return Outcome{Status: Skipped, Detail: "the license was already assigned"}, nil
	}
	return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody([]string{x.s.Arg}, nil), "license assigned", func() error {
		return x.e.Directory.AssignLicenses(x.ctx, x.t.UserID, []string{x.s.Arg}, nil)
	})
}

// removeLicenses removes the step's direct licenses after the conversion,
// checking rules 2 and 3 again on the live mailbox: its size or a hold
// found now keeps them (a deleted user's mailbox could not be measured
// when the plan was made).
func (x run) removeLicenses() (Outcome, error) {
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if x.unread(err) {
		ids := strings.Split(x.s.Arg, ",")
		return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody(nil, ids), "", nil)
	}
	if err != nil {
		return Outcome{}, err
	}
	stats, err := x.e.Exchange.MailboxStatistics(x.ctx, x.mbx())
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case mb.RecipientTypeDetails != RecipientSharedMailbox && !x.dry: // a dry run converted nothing
		// Rule 1: never unlicense a mailbox that is not (or no longer) shared:
		// it would be disconnected, and deleted after 30 days.
		return Outcome{}, fmt.Errorf("%s is a %s, not a shared mailbox: its licenses stay (rule 1)", x.t.UserPrincipalName, mb.RecipientTypeDetails)
	case stats.TotalItemSize >= UnlicensedSharedMax:
		return Outcome{Status: Skipped, Detail: fmt.Sprintf("licenses kept: the mailbox is %s, over the 50 GB of an unlicensed shared mailbox (rule 2)", mrkdwn.Size(stats.TotalItemSize))}, nil
	case mb.OnHold() || mb.HasArchive():
		return Outcome{Status: Skipped, Detail: "licenses kept: the mailbox has a hold or an archive (rule 3)"}, nil
	}
	u, err := x.e.Directory.User(x.ctx, x.t.UserID)
	if err != nil {
		return Outcome{}, err
	}
	var remove []string
	for _, id := range strings.Split(x.s.Arg, ",") {
		if slices.ContainsFunc(u.Licenses, func(l License) bool { return l.SkuID == id && l.AssignedByGroup == "" }) {
			remove = append(remove, id)
		}
	}
	if len(remove) == 0 {
		return Outcome{Status: Skipped, Detail: "no direct license left to remove"}, nil
	}
	return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody(nil, remove), fmt.Sprintf("%d license(s) removed", len(remove)), func() error {
		return x.e.Directory.AssignLicenses(x.ctx, x.t.UserID, nil, remove)
	})
}

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

func (x run) convert(to MailboxType, want string) (Outcome, error) {
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if x.unread(err) {
		err = nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if mb.RecipientTypeDetails == want {
		return Outcome{Status: Skipped, Detail: "Exchange already reports " + want}, nil
	}
	return x.change(exo("Set-Mailbox", map[string]any{"Identity": x.mbx(), "Type": string(to)}), nil,
		"Set-Mailbox -Type "+string(to)+" accepted", func() error {
			return x.e.Exchange.SetMailboxType(x.ctx, x.mbx(), to)
		})
}

func (x run) verify(want string) (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox reports " + want}, nil
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if err != nil {
		return Outcome{}, err
	}
	if mb.RecipientTypeDetails == want {
		return Outcome{Status: Done, Detail: "Exchange reports " + want}, nil
	}
	return Outcome{Status: Pending, Detail: "Exchange still reports " + mb.RecipientTypeDetails}, nil
}

func (x run) credential() (Outcome, error) {
	ttl := x.e.CredentialTTL
	if ttl <= 0 {
		ttl = DefaultCredentialTTL
	}
	if x.s.Arg == "password" {
		if x.dry {
			return Outcome{Status: Skipped, Detail: `would send PATCH /users/` + x.t.UserID + ` {"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"(random)"}} and send you the password privately`}, nil
		}
		pw, err := x.e.password()
		if err != nil {
			return Outcome{}, err
		}
		if err := x.e.Directory.ResetPassword(x.ctx, x.t.UserID, pw, true); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Done, Detail: "password reset (change required at next sign-in); sent to the requester privately", Secret: pw}, nil
	}
	body := map[string]any{"lifetimeInMinutes": int(ttl / time.Minute), "isUsableOnce": false}
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + describe("POST /users/"+x.t.UserID+"/authentication/temporaryAccessPassMethods", body) + " and send you the pass privately"}, nil
	}
	tap, err := x.e.Directory.CreateTemporaryAccessPass(x.ctx, x.t.UserID, ttl)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: fmt.Sprintf("Temporary Access Pass created, valid until %s; sent to the requester privately", tap.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")), Secret: tap.Pass}, nil
}

func (x run) restore() (Outcome, error) {
	if _, err := x.e.Directory.User(x.ctx, x.t.UserID); err == nil {
		return Outcome{Status: Skipped, Detail: "the account was already restored"}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Outcome{}, err
	}
	return x.change("POST /directory/deletedItems/"+x.s.Arg+"/restore", nil, "account restored", func() error {
		err := x.e.Directory.RestoreDeletedUser(x.ctx, x.s.Arg)
		if errors.Is(err, ErrNotFound) {
			// Not in the deleted items: an earlier run may have restored it
			// and the read before lagged. Restored is what we want.
			if _, uerr := x.e.Directory.User(x.ctx, x.t.UserID); uerr == nil {
				return nil
			}
		}
		return err
	})
}

// resetPassword sets a random password that nobody is shown: the account
// of a recovered mailbox only anchors it, and its sign-in is blocked next.
func (x run) resetPassword() (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: `would send PATCH /users/` + x.t.UserID + ` {"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"(random, shown to no one)"}}`}, nil
	}
	pw, err := x.e.password()
	if err != nil {
		return Outcome{}, err
	}
	if err := x.e.Directory.ResetPassword(x.ctx, x.t.UserID, pw, true); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: "password reset to a random value shown to no one"}, nil
}

// waitMailbox waits until Exchange finds the mailbox and Entra ID its
// account: a restored user's (rule 10) or a new shared mailbox's (Arg
// "new"), which Exchange may not find for a while after creating it.
func (x run) waitMailbox() (Outcome, error) {
	fresh := x.s.Arg == "new"
	if x.dry {
		if fresh {
			return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox and GET /users find the new mailbox and its account"}, nil
		}
		return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox finds the mailbox again (typically 20-30 minutes)"}, nil
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.t.UserPrincipalName)
	if errors.Is(err, ErrNotFound) {
		if fresh {
			return Outcome{Status: Pending, Detail: "Exchange does not find the new mailbox yet"}, nil
		}
		return Outcome{Status: Pending, Detail: "the mailbox is not back yet"}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if fresh && (mb.RecipientTypeDetails != RecipientSharedMailbox || !strings.EqualFold(mb.DisplayName, x.t.DisplayName)) {
		return Outcome{}, fmt.Errorf("the address %s belongs to %q (%s), not to the new shared mailbox %q: someone else took it (%w)", x.t.UserPrincipalName, mb.DisplayName, mb.RecipientTypeDetails, x.t.DisplayName, ErrNotOurMailbox)
	}
	if fresh {
		if err := x.ours(mb, x.t.CreateStarted); err != nil {
			return Outcome{}, err
		}
	}
	if _, err := x.e.Directory.User(x.ctx, firstOf(mb.ExternalDirectoryObjectID, x.t.UserID)); errors.Is(err, ErrNotFound) {
		return Outcome{Status: Pending, Detail: "Microsoft Entra ID does not find the mailbox's account yet"}, nil
	} else if err != nil {
		return Outcome{}, err
	}
	if fresh {
		return Outcome{Status: Done, Detail: "Exchange and Entra ID find the new mailbox", Created: idsOf(mb)}, nil
	}
	return Outcome{Status: Done, Detail: "the mailbox is back (" + mb.RecipientTypeDetails + ")"}, nil
}

// createShared creates the mailbox once and reports its immutable ids in
// Outcome.Created. New-Mailbox is not idempotent: the step reads first.
// A mailbox already at the address is adopted only when it is the one this
// request created: its ids are those recorded in Target.Created, or, with
// none recorded (a crash between New-Mailbox and recording), Exchange
// created it no earlier than the step's first attempt (Target.CreateStarted,
// else Step.Since). Otherwise, and always on a first attempt, the step fails
// with ErrNotOurMailbox. If New-Mailbox is refused because the address now
// exists and Exchange does not show the mailbox yet, the step counts as
// done and the wait that follows checks it is this request's.
func (x run) createShared() (Outcome, error) {
	addr, name := x.t.UserPrincipalName, x.t.DisplayName
	attempt := x.e.now()
	began := x.t.CreateStarted
	if began.IsZero() {
		began = x.s.Since
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, addr)
	switch {
	case err == nil && x.t.Created.IsZero() && began.IsZero():
		return Outcome{}, x.notOurs(mb, "this request had not tried to create it yet")
	case err == nil:
		if err := x.ours(mb, began); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Skipped, Detail: "the mailbox this request created already exists", Created: idsOf(mb)}, nil
	case !errors.Is(err, ErrNotFound):
		return Outcome{}, err
	case !x.t.Created.IsZero():
		return Outcome{Status: Skipped, Detail: "this request created the mailbox already; Exchange does not show it yet"}, nil
	}
	// Exchange's Name must be unique in the tenant, a display name need not
	// be: the Name is the address's local part, which is free with it.
	local, _, _ := strings.Cut(addr, "@")
	params := map[string]any{"Shared": true, "Name": local, "DisplayName": name, "PrimarySmtpAddress": addr}
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + exo("New-Mailbox", params)}, nil
	}
	if began.IsZero() {
		began = attempt
	}
	made, err := x.e.Exchange.NewSharedMailbox(x.ctx, local, name, addr)
	if err != nil {
		if taken, terr := x.e.Exchange.RecipientExists(x.ctx, addr); terr != nil || !taken {
			return Outcome{}, err
		}
		// Taken now: this request's New-Mailbox that went through (its
		// answer lost), or someone else's.
		found, gerr := x.e.Exchange.GetMailbox(x.ctx, addr)
		if gerr != nil {
			return Outcome{Status: Skipped, Detail: "the address exists now (an earlier try went through); checked next"}, nil
		}
		if err := x.ours(found, began); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Skipped, Detail: "an earlier try went through", Created: idsOf(found)}, nil
	}
	return Outcome{Status: Done, Detail: "New-Mailbox -Shared accepted", Created: idsOf(made)}, nil
}

// ours checks that mb, found at the address of a mailbox to create, is the
// one this request created: the ids recorded in Target.Created, or, with
// none recorded, made no earlier than began (less the clock skew). With
// neither known there is nothing to check it by, and it passes.
func (x run) ours(mb Mailbox, began time.Time) error {
	switch {
	case !x.t.Created.IsZero():
		if x.t.Created.Is(mb) {
			return nil
		}
		return x.notOurs(mb, fmt.Sprintf("this request created the mailbox %s", firstOf(x.t.Created.ExchangeGUID, x.t.Created.ObjectID)))
	case began.IsZero():
		return nil
	case mb.WhenCreatedUTC.IsZero():
		return x.notOurs(mb, "Exchange does not say when it was created")
	case mb.WhenCreatedUTC.Before(began.Add(-clockSkew)):
		return x.notOurs(mb, "this request began creating its mailbox at "+began.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return nil
}

func (x run) notOurs(mb Mailbox, why string) error {
	created := "at an unknown time"
	if !mb.WhenCreatedUTC.IsZero() {
		created = "at " + mb.WhenCreatedUTC.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Errorf("%s: %w: it belongs to %q (%s, ExchangeGuid %s), created %s; %s",
		x.t.UserPrincipalName, ErrNotOurMailbox, mb.DisplayName, mb.RecipientTypeDetails, firstOf(mb.ExchangeGUID, "unknown"), created, why)
}

// mbx is how the step names the mailbox to Exchange: by the ExchangeGuid
// of the mailbox this request created, else by its address.
func (x run) mbx() string { return firstOf(x.t.Created.ExchangeGUID, x.t.UserPrincipalName) }

func (x run) sendOnBehalf(add bool) (Outcome, error) {
	mbx, who := x.mbx(), x.s.Arg
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
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

func (e *Executor) password() (string, error) {
	if e.NewPassword != nil {
		return e.NewPassword()
	}
	return RandomPassword()
}

// RandomPassword returns a 20-character password with upper and lower
// case letters, digits and symbols, from crypto/rand.
func RandomPassword() (string, error) {
	sets := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%*-_=+?"}
	all := strings.Join(sets, "")
	pick := func(s string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(s))))
		if err != nil {
			return 0, err
		}
		return s[n.Int64()], nil
	}
	b := make([]byte, 0, 20)
	for _, s := range sets { // one of each kind
		c, err := pick(s)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for len(b) < 20 {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for i := len(b) - 1; i > 0; i-- { // shuffle
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return string(b), nil
}
