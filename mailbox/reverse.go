package mailbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Undo: the reverse of what a finished request actually did. An undo is an
// Operation like any other (of the reverse kind, so that its policy and
// routing are the reverse operation's) that carries Undo: the request it
// undoes, that request's kind, its done steps and the facts it found. The
// Planner plans it from live data (planUndo), so the re-check before the
// first change plans it again the same way.
//
// Each step that changes something has an entry in reversals saying how it
// is undone. A step with no entry changes nothing an undo puts back
// (verifications, waits, a revocation of sign-in sessions). A new step
// adds its entry from its own file, in an init function:
//
//	func init() { reversals[StepHideFromGAL] = func(u *Undoing, done Step) error { ... } }
//
// A step that acts on another mailbox than the request's reads that mailbox
// through Undoing's readers, which take the mailbox to read.

// Undo makes an Operation the undo of an earlier, finished request.
type Undo struct {
	// Of is the id of the request undone.
	Of string `json:"of"`
	// Kind is that request's operation.
	Kind Kind `json:"kind"`
	// Done are the steps that request did (status done, not skipped: what
	// was already so was not its doing), in the order they ran.
	Done []Step `json:"done"`
	// Before is that request's target: the mailbox and account as it found
	// them (sign-in, licenses, ids), and the ids of a mailbox it created.
	Before Target `json:"before"`
}

// ReverseKind is the operation that undoes one of kind k: its policy
// decides who approves an undo. ok is false for an operation that changes
// nothing (members).
func ReverseKind(k Kind) (Kind, bool) {
	switch k {
	case KindConvertToShared:
		return KindConvertToRegular, true
	case KindConvertToRegular:
		return KindConvertToShared, true
	case KindGrant:
		return KindRevoke, true
	case KindRevoke:
		return KindGrant, true
	case KindCreateShared:
		// The mailbox is kept (rule 5); only the rights it gave are taken away.
		return KindRevoke, true
	case KindAutoReplyOff:
		// Turned back on as it was: the same people decide.
		return KindAutoReplyOff, true
	}
	return "", false
}

// UndoOperation is the operation that undoes request id, whose operation
// was op, whose target (as its run left it) was t, and whose done steps
// are done, in order. ok is false for an operation that cannot be undone.
func UndoOperation(id string, op Operation, t Target, done []Step) (Operation, bool) {
	kind, ok := ReverseKind(op.Kind)
	if !ok {
		return Operation{}, false
	}
	u := Operation{Kind: kind, Mailbox: op.Mailbox, Undo: &Undo{Of: id, Kind: op.Kind, Done: slices.Clone(done), Before: t}}
	if op.Kind == KindGrant || op.Kind == KindRevoke {
		u.Trustee, u.Right = op.Trustee, op.Right
	}
	return u, true
}

// Reversal adds to the undo being planned what undoes one done step: the
// steps that put back what it changed, after reading live data. What is
// already as it was before gives no step and is said (Info); a change made
// since that the undo would overwrite is a blocker. An error is a lookup
// that failed.
type Reversal func(u *Undoing, done Step) error

// reversals gives how each step that changes something is undone.
var reversals = map[StepName]Reversal{
	StepBlockSignIn:        reverseBlockSignIn,
	StepEnableSignIn:       reverseEnableSignIn,
	StepIssueCredential:    reverseCredential,
	StepAssignLicense:      reverseAssignLicense,
	StepRemoveLicenses:     reverseRemoveLicenses,
	StepConvertToShared:    reverseConversion(RecipientSharedMailbox),
	StepConvertToRegular:   reverseConversion(RecipientUserMailbox),
	StepGrantFullAccess:    reverseAccess(RightFullAccess, true),
	StepGrantSendAs:        reverseAccess(RightSendAs, true),
	StepGrantSendOnBehalf:  reverseAccess(rightSendOnBehalf, true),
	StepRevokeFullAccess:   reverseAccess(RightFullAccess, false),
	StepRevokeSendAs:       reverseAccess(RightSendAs, false),
	StepRevokeSendOnBehalf: reverseAccess(rightSendOnBehalf, false),
	StepCreateShared:       reverseCreate,
	StepRestoreUser:        reverseRestore,
}

// rightSendOnBehalf names Send on Behalf among the rights Undoing reads
// (it is a property of the mailbox, not a permission entry).
const rightSendOnBehalf = "SendOnBehalf"

// Undoing is an undo being planned: the draft plan, the request undone,
// and what was read of the live state (each read once).
type Undoing struct {
	ctx  context.Context
	p    *Planner
	d    *draft
	Undo *Undo
	// User and Mailbox are the live account and mailbox of the operation
	// (User is zero for a shared mailbox's rights).
	User    User
	Mailbox Mailbox
	perms   map[string][]Permission // by mailbox and right
}

// Step adds a step to the undo's plan.
func (u *Undoing) Step(s Step) { u.d.Steps = append(u.d.Steps, s) }

// Say adds a finding to the undo's plan.
func (u *Undoing) Say(sev Severity, rule int, text, fix string) { u.d.add(sev, rule, text, fix) }

// Block adds a blocker with a code (Finding.Code).
func (u *Undoing) Block(code string, rule int, text, fix string) { u.d.blocker(code, rule, text, fix) }

// Context is the planning's context.
func (u *Undoing) Context() context.Context { return u.ctx }

// Has reports whether who (by any of names) holds right on mailbox mbx
// now: RightFullAccess, RightSendAs or Send on Behalf.
func (u *Undoing) Has(mbx, right, who string, names ...string) (bool, error) {
	if right == rightSendOnBehalf {
		mb := u.Mailbox
		if !strings.EqualFold(mbx, u.mbx()) {
			var err error
			if mb, err = u.p.Exchange.GetMailbox(u.ctx, mbx); err != nil {
				return false, fmt.Errorf("look up mailbox %s: %w", mbx, err)
			}
		}
		return slices.ContainsFunc(mb.GrantSendOnBehalfTo, Names(who, names...).Match), nil
	}
	key := strings.ToLower(mbx) + "\x00" + right
	perms, ok := u.perms[key]
	if !ok {
		var err error
		if perms, err = readPermissions(u.ctx, u.p.Exchange, mbx, right); err != nil {
			return false, fmt.Errorf("read the permissions of %s: %w", mbx, err)
		}
		u.perms[key] = perms
	}
	return HasRight(perms, who, right, names...), nil
}

// mbx is how the undo names the request's mailbox to Exchange: the
// ExchangeGuid of a mailbox the request created, else its address.
func (u *Undoing) mbx() string {
	return firstOf(u.Undo.Before.Created.ExchangeGUID, u.d.Target.UserPrincipalName)
}

// of is the request undone, as its plan's sentences name it.
func (u *Undoing) of() string { return "`" + u.Undo.Of + "`" }

// planUndo plans op, the undo of op.Undo.Of, from live data.
func (p *Planner) planUndo(ctx context.Context, op Operation) (Plan, error) {
	un := op.Undo
	u := &Undoing{ctx: ctx, p: p, Undo: un, perms: map[string][]Permission{}}
	switch un.Kind {
	case KindConvertToShared, KindConvertToRegular:
		usr, err := p.Directory.User(ctx, op.Mailbox)
		if err != nil {
			return Plan{}, fmt.Errorf("look up user %s: %w", op.Mailbox, err)
		}
		mb, err := p.mailbox(ctx, usr)
		if err != nil {
			return Plan{}, err
		}
		d, err := p.start(ctx, op, usr, mb.RecipientTypeDetails)
		if err != nil {
			return Plan{}, err
		}
		d.mailboxFacts(mb)
		u.d, u.User, u.Mailbox = &d, usr, mb
		if usr.OnPremisesSyncEnabled || mb.IsDirSynced {
			d.add(Blocker, 8, fmt.Sprintf("%s is now synchronised from on-premises Active Directory; a change made in the cloud would be overwritten.", usr.UserPrincipalName),
				"Change it on your Exchange server instead.")
		}
	default:
		mb, err := p.Exchange.GetMailbox(ctx, firstOf(un.Before.Created.ExchangeGUID, op.Mailbox))
		if err != nil {
			return Plan{}, fmt.Errorf("look up mailbox %s: %w", op.Mailbox, err)
		}
		upn := firstOf(mb.UserPrincipalName, mb.PrimarySMTPAddress, op.Mailbox)
		d := draft{Plan: Plan{Op: op, Target: Target{
			UserID: firstOf(mb.ExternalDirectoryObjectID, upn), UserPrincipalName: upn, DisplayName: mb.DisplayName,
			RecipientTypeDetails: mb.RecipientTypeDetails, Created: un.Before.Created,
		}}}
		d.mailboxFacts(mb)
		u.d, u.Mailbox = &d, mb
	}
	if !u.sameMailbox() {
		return u.d.Plan, nil
	}
	for i := len(un.Done) - 1; i >= 0; i-- {
		rev, ok := reversals[un.Done[i].Name]
		if !ok {
			continue
		}
		if err := rev(u, un.Done[i]); err != nil {
			return Plan{}, err
		}
	}
	u.d.Steps = slices.CompactFunc(u.d.Steps, sameStep)
	return u.d.Plan, nil
}

// sameMailbox adds a blocker, and reports false, when the mailbox at the
// address is not the one the request changed (deleted and made again, or
// the address moved).
func (u *Undoing) sameMailbox() bool {
	was, now := u.Undo.Before, u.d.Target
	other := false
	switch {
	case !was.Created.IsZero():
		other = !was.Created.Is(u.Mailbox)
	default:
		other = (was.ExchangeGUID != "" && now.ExchangeGUID != "" && !strings.EqualFold(was.ExchangeGUID, now.ExchangeGUID)) ||
			(was.UserID != "" && !strings.Contains(was.UserID, "@") && now.UserID != "" && !strings.EqualFold(was.UserID, now.UserID))
	}
	if other {
		u.Block("", 0, fmt.Sprintf("%s is not the mailbox %s changed: it was deleted and made again since, or the address moved.", now.UserPrincipalName, u.of()),
			"Nothing of it can be undone here. Ask for what you want as a new request.")
	}
	return !other
}

// reverseBlockSignIn: sign-in was enabled before (the step was done, not
// skipped), so it is enabled again, unless the request made the mailbox
// (its own account stays blocked, rule 11).
func reverseBlockSignIn(u *Undoing, _ Step) error {
	if u.Undo.Kind == KindCreateShared {
		return nil
	}
	if u.User.AccountEnabled {
		u.Say(Info, 6, fmt.Sprintf("Sign-in is already enabled again (it was blocked by %s): nothing to change.", u.of()), "")
		return nil
	}
	u.Say(Warning, 6, fmt.Sprintf("Sign-in is enabled again, as it was before %s: the account's old password works again.", u.of()), "")
	u.Step(Step{Name: StepEnableSignIn, Title: fmt.Sprintf("Enable sign-in again, as before %s", u.Undo.Of)})
	return nil
}

// reverseEnableSignIn: sign-in was blocked before; it is blocked again.
func reverseEnableSignIn(u *Undoing, _ Step) error {
	if !u.User.AccountEnabled {
		u.Say(Info, 6, fmt.Sprintf("Sign-in is already blocked again (it was enabled by %s): nothing to change.", u.of()), "")
		return nil
	}
	u.Step(Step{Name: StepBlockSignIn, Title: fmt.Sprintf("Block sign-in again, as before %s (rule 6)", u.Undo.Of)})
	return nil
}

// reverseCredential: the credential the request issued may have been
// used; the sessions it opened are revoked.
func reverseCredential(u *Undoing, _ Step) error {
	u.Step(Step{Name: StepRevokeSessions, Title: "Revoke sign-in sessions, those opened with the credential " + u.Undo.Of + " issued included"})
	return nil
}

// assignedBy lists the licenses the request assigned itself (done
// assign_license steps).
func (u *Undoing) assignedBy() []string {
	var ids []string
	for _, s := range u.Undo.Done {
		if s.Name == StepAssignLicense {
			ids = append(ids, strings.ToLower(s.Arg))
		}
	}
	return ids
}

// removedBy lists the licenses the request removed: the SKUs of its done
// remove_licenses steps that the account had directly before it.
func (u *Undoing) removedBy() []string {
	var ids []string
	for _, s := range u.Undo.Done {
		if s.Name != StepRemoveLicenses {
			continue
		}
		for _, id := range strings.Split(s.Arg, ",") {
			if slices.ContainsFunc(u.Undo.Before.Licenses, func(l LicenseFact) bool { return strings.EqualFold(l.SkuID, id) && l.Group == "" }) {
				ids = append(ids, strings.ToLower(id))
			}
		}
	}
	return ids
}

func (u *Undoing) hasLicense(id string) bool {
	return slices.ContainsFunc(u.User.Licenses, func(l License) bool { return strings.EqualFold(l.SkuID, id) })
}

// reverseAssignLicense: a license the request assigned is removed after
// the conversion back is verified, when the request converted a shared
// mailbox to a user mailbox. One a conversion to shared assigned (rule 1)
// and removed again nets out; one it kept stays, since the mailbox becomes
// a user mailbox again and needs a license.
func reverseAssignLicense(u *Undoing, done Step) error {
	sku := u.d.skuNameOf(u.ctx, u.p, done.Arg)
	switch {
	case u.Undo.Kind != KindConvertToRegular:
		if !slices.Contains(removedArgs(u.Undo.Done), strings.ToLower(done.Arg)) {
			u.Say(Info, 1, fmt.Sprintf("The license %s that %s assigned for the conversion stays: a user mailbox needs one.", sku, u.of()),
				"Remove it in the Microsoft 365 admin center if the account has another license with Exchange Online.")
		}
		return nil
	case !u.hasLicense(done.Arg):
		u.Say(Info, 9, fmt.Sprintf("The license %s that %s assigned is no longer assigned: nothing to remove.", sku, u.of()), "")
		return nil
	}
	u.Step(Step{Name: StepRemoveLicenses, Arg: done.Arg, Title: fmt.Sprintf("Remove the license %s assigned, after the conversion is verified: %s", u.Undo.Of, sku)})
	return nil
}

// removedArgs lists every SKU the done remove_licenses steps named.
func removedArgs(done []Step) []string {
	var ids []string
	for _, s := range done {
		if s.Name == StepRemoveLicenses {
			for _, id := range strings.Split(s.Arg, ",") {
				ids = append(ids, strings.ToLower(id))
			}
		}
	}
	return ids
}

// reverseRemoveLicenses: the direct licenses the request removed are
// assigned again (not one it had assigned itself first: that nets out).
// One with no free unit now stops the undo.
func reverseRemoveLicenses(u *Undoing, _ Step) error {
	if err := u.d.loadSkus(u.ctx, u.p); err != nil {
		return err
	}
	var again []string
	for _, id := range u.removedBy() {
		if slices.Contains(u.assignedBy(), id) || slices.Contains(again, id) {
			continue
		}
		name := u.d.skuName(id)
		if u.hasLicense(id) {
			u.Say(Info, 9, fmt.Sprintf("The license %s that %s removed is already assigned again: nothing to change.", name, u.of()), "")
			continue
		}
		if s, ok := findSku(u.d.skus, id); !ok || s.Free() <= 0 {
			u.Block("", 9, fmt.Sprintf("The license %s that %s removed has no free unit now: it was given to someone else since.", name, u.of()),
				"Free or buy one, then ask for the undo again.")
			continue
		}
		again = append(again, id)
	}
	// The steps run in the order of the removal: one step per license.
	for _, id := range again {
		u.Step(Step{Name: StepAssignLicense, Arg: id, Title: fmt.Sprintf("Assign the license %s again (%s removed it)", u.d.skuName(id), u.Undo.Of)})
	}
	if extra := u.licensesSince(); len(extra) > 0 {
		u.Say(Warning, 4, fmt.Sprintf("The account's licenses changed since %s: it now also has %s. The undo leaves them as they are.", u.of(), strings.Join(extra, ", ")), "")
	}
	return nil
}

// licensesSince lists the licenses the account has now that it had neither
// before the request nor from it.
func (u *Undoing) licensesSince() []string {
	var out []string
	for _, l := range u.User.Licenses {
		id := strings.ToLower(l.SkuID)
		had := slices.ContainsFunc(u.Undo.Before.Licenses, func(b LicenseFact) bool { return strings.EqualFold(b.SkuID, id) })
		if !had && !slices.Contains(u.assignedBy(), id) && !slices.Contains(out, u.d.skuName(id)) {
			out = append(out, u.d.skuName(id))
		}
	}
	return out
}

// reverseConversion undoes a conversion that left the mailbox of type
// made: it is converted back and verified. A mailbox that is no longer of
// that type was converted again since: the undo stops (the rest of it,
// sign-in, licenses and rights, would overwrite what was done since).
func reverseConversion(made string) Reversal {
	return func(u *Undoing, _ Step) error {
		now := u.Mailbox.RecipientTypeDetails
		if now != made {
			u.Block(FindingType, 0, fmt.Sprintf("%s is a %s again: it was converted since %s.", u.d.Target.UserPrincipalName, now, u.of()),
				"The undo would overwrite what was done since. Ask for what you want as a new request.")
			return nil
		}
		if made == RecipientSharedMailbox {
			u.Step(Step{Name: StepConvertToRegular, Title: "Convert back to a user mailbox (Set-Mailbox -Type Regular)"})
			u.Step(Step{Name: StepVerifyRegular, Title: "Verify that Exchange reports UserMailbox"})
			return nil
		}
		u.Step(Step{Name: StepConvertToShared, Title: "Convert back to a shared mailbox (Set-Mailbox -Type Shared)"})
		u.Step(Step{Name: StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"})
		return nil
	}
}

// reverseAccess undoes a grant (granted) or a revoke of right: the right
// is taken away, or given back (Full Access with automapping: whether it
// had automapping cannot be read). What is already as it was before is
// said, and gives no step.
func reverseAccess(right string, granted bool) Reversal {
	return func(u *Undoing, done Step) error {
		who := done.Arg
		// A right on another mailbox (the leaver's, rule 18) is read and
		// given back on that mailbox.
		has, err := u.Has(firstOf(done.On, u.mbx()), right, who, done.Names...)
		if done.On != "" && errors.Is(err, ErrNotFound) {
			u.Say(Info, 18, fmt.Sprintf("%s no longer exists: %s's right on it cannot be given back.", done.On, who), "")
			return nil
		}
		if err != nil {
			return err
		}
		title := map[string]string{RightFullAccess: "Full Access", RightSendAs: "Send As", rightSendOnBehalf: "Send on Behalf"}[right]
		if done.On != "" {
			title += " on " + done.On
		}
		if has != granted {
			state := map[bool]string{true: "already has %s again", false: "no longer has %s"}[has]
			u.Say(Info, 0, fmt.Sprintf("%s "+state+" (changed since %s): nothing to change.", who, title, u.of()), "")
			return nil
		}
		s := Step{Arg: who, Names: done.Names, On: done.On}
		switch {
		case granted && right == RightFullAccess:
			s.Name, s.Title = StepRevokeFullAccess, fmt.Sprintf("Take Full Access away from %s (Remove-MailboxPermission), given by %s", who, u.Undo.Of)
		case granted && right == RightSendAs:
			s.Name, s.Title = StepRevokeSendAs, fmt.Sprintf("Take Send As away from %s (Remove-RecipientPermission), given by %s", who, u.Undo.Of)
		case granted:
			s.Name, s.Title = StepRevokeSendOnBehalf, fmt.Sprintf("Take Send on Behalf away from %s (Set-Mailbox -GrantSendOnBehalfTo), given by %s", who, u.Undo.Of)
		case right == RightFullAccess:
			s.Name, s.Title = StepGrantFullAccess, fmt.Sprintf("Give %s Full Access back, with automapping (Add-MailboxPermission), taken away by %s", who, u.Undo.Of)
		case right == RightSendAs:
			s.Name, s.Title = StepGrantSendAs, fmt.Sprintf("Give %s Send As back (Add-RecipientPermission), taken away by %s", who, u.Undo.Of)
		default:
			s.Name, s.Title = StepGrantSendOnBehalf, fmt.Sprintf("Give %s Send on Behalf back (Set-Mailbox -GrantSendOnBehalfTo), taken away by %s", who, u.Undo.Of)
		}
		if done.On != "" {
			s.Title += ", on " + done.On
		}
		u.Step(s)
		return nil
	}
}

// reverseCreate: the bot never deletes (rule 5). The mailbox stays; the
// rights it gave are taken away (their own reversals).
func reverseCreate(u *Undoing, _ Step) error {
	u.Say(Info, 5, fmt.Sprintf("The mailbox %s created is kept: I never delete (rule 5). The undo takes away the rights it gave.", u.of()),
		"To delete the mailbox itself, an Exchange administrator removes it in the Exchange admin center.")
	return nil
}

// reverseRestore: undoing the recovery of a deleted account would delete
// it again, which the bot never does (rule 5).
func reverseRestore(u *Undoing, _ Step) error {
	u.Block("", 5, fmt.Sprintf("%s restored a deleted account: undoing it would delete the account again, and I never delete (rule 5).", u.of()),
		"To use it as a user mailbox again, ask with /convert-mailbox … to regular; to delete it, an administrator does so in the Microsoft 365 admin center.")
	return nil
}

// loadSkus reads the tenant's subscriptions once (start reads them for a
// conversion).
func (d *draft) loadSkus(ctx context.Context, p *Planner) error {
	if d.skus != nil {
		return nil
	}
	skus, err := p.Directory.SubscribedSkus(ctx)
	if err != nil {
		return fmt.Errorf("list subscribed SKUs: %w", err)
	}
	d.skus = skus
	return nil
}

// skuNameOf is a SKU's part number, reading the subscriptions if needed;
// the id when it cannot be read.
func (d *draft) skuNameOf(ctx context.Context, p *Planner, id string) string {
	if err := d.loadSkus(ctx, p); err != nil && !errors.Is(err, context.Canceled) {
		return id
	}
	return d.skuName(id)
}
