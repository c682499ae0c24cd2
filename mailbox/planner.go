package mailbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// Size limits of a shared mailbox (rule 2).
const (
	GB                   = int64(1) << 30
	UnlicensedSharedMax  = 50 * GB  // a shared mailbox without a license
	LicensedSharedMax    = 100 * GB // with Exchange Online Plan 2
	DeletedRetention     = 30 * 24 * time.Hour
	DefaultCredentialTTL = 8 * time.Hour // a Temporary Access Pass's lifetime
)

// ErrNoMailbox: the user exists but has no Exchange Online mailbox.
var ErrNoMailbox = errors.New("no Exchange Online mailbox")

// Planner runs the pre-checks of an operation against live data: each rule
// of DESIGN.md section 2 becomes a blocker (with what to do), a warning, or
// a change to the plan.
type Planner struct {
	Directory Directory
	Exchange  Exchange
	Now       func() time.Time // nil: time.Now
}

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Plan looks up the account and mailbox of op and returns the plan. Errors
// are lookup failures: ErrNotFound for an unknown user, ErrNoMailbox for a
// user without a mailbox, or a Microsoft error. Rule violations are not
// errors: they are blockers in the plan.
func (p *Planner) Plan(ctx context.Context, op Operation) (Plan, error) {
	if op.Undo != nil {
		return p.planUndo(ctx, op)
	}
	switch op.Kind {
	case KindConvertToShared:
		return p.planToShared(ctx, op)
	case KindConvertToRegular:
		return p.planToRegular(ctx, op)
	case KindCreateShared:
		return p.planCreate(ctx, op)
	case KindGrant, KindRevoke:
		return p.planAccess(ctx, op)
	case KindAutoReplyOff:
		return p.planAutoReplyOff(ctx, op)
	}
	return Plan{}, fmt.Errorf("plan: unknown operation %q", op.Kind)
}

// planner state for one plan.
type draft struct {
	Plan
	skus    []Sku
	manager *User // the owner's manager; nil when none
}

func (d *draft) add(sev Severity, rule int, text, fix string) {
	d.Findings = append(d.Findings, Finding{Severity: sev, Rule: rule, Text: text, Fix: fix})
}

// blocker adds a blocker with a code (Finding.Code).
func (d *draft) blocker(code string, rule int, text, fix string) {
	d.Findings = append(d.Findings, Finding{Severity: Blocker, Rule: rule, Text: text, Fix: fix, Code: code})
}

func (d *draft) step(name StepName, arg, title string) {
	d.Steps = append(d.Steps, Step{Name: name, Arg: arg, Title: title})
}

func (d *draft) skuName(id string) string {
	for _, s := range d.skus {
		if s.ID == id && s.PartNumber != "" {
			return s.PartNumber
		}
	}
	return id
}

// userPlans lists the service plans of the user's licenses.
func (d *draft) userPlans(u User) map[string]bool {
	plans := map[string]bool{}
	for _, l := range u.Licenses {
		for _, s := range d.skus {
			if s.ID == l.SkuID {
				for _, sp := range s.ServicePlans {
					plans[sp] = true
				}
			}
		}
	}
	return plans
}

func (p *Planner) planToShared(ctx context.Context, op Operation) (Plan, error) {
	u, err := p.Directory.User(ctx, op.Mailbox)
	if errors.Is(err, ErrNotFound) {
		del, derr := p.Directory.DeletedUser(ctx, op.Mailbox)
		switch {
		case derr == nil:
			return p.planRecover(ctx, op, del)
		case !errors.Is(derr, ErrNotFound):
			return Plan{}, fmt.Errorf("look up deleted user %s: %w", op.Mailbox, derr)
		}
	}
	if err != nil {
		return Plan{}, fmt.Errorf("look up user %s: %w", op.Mailbox, err)
	}
	mb, err := p.mailbox(ctx, u)
	if err != nil {
		return Plan{}, err
	}
	d, err := p.start(ctx, op, u, mb.RecipientTypeDetails)
	if err != nil {
		return Plan{}, err
	}
	d.mailboxFacts(mb)
	upn := u.UserPrincipalName
	switch mb.RecipientTypeDetails {
	case RecipientSharedMailbox:
		d.blocker(FindingType, 0, fmt.Sprintf("%s is already a shared mailbox.", upn), "Nothing to do. To manage who may use it, use /shared-mailbox.")
	case RecipientUserMailbox:
	default:
		d.blocker(FindingType, 0, fmt.Sprintf("%s is a %s, not a user mailbox.", upn, mb.RecipientTypeDetails),
			"Only a user mailbox (UserMailbox) can be converted to a shared mailbox.")
	}
	// Rule 8: a synchronised account must be converted on-premises.
	if u.OnPremisesSyncEnabled || mb.IsDirSynced {
		d.add(Blocker, 8, fmt.Sprintf("%s is synchronised from on-premises Active Directory; a change made in the cloud would be overwritten.", upn),
			fmt.Sprintf("Convert it on your Exchange server (2013 CU21 / 2016 CU10 or later) with: Set-RemoteMailbox -Identity %s -Type Shared", upn))
	}
	members := p.members(ctx, &d, op)

	// Rule 1: a license with Exchange Online is needed when the mailbox is
	// converted.
	added := ""
	size := p.size(ctx, upn)
	if plans := d.userPlans(u); len(u.Licenses) > 0 && !hasExchange(plans) {
		d.add(Blocker, 1, fmt.Sprintf("%s has licenses, but none includes Exchange Online, so its mailbox is not licensed.", upn),
			"Assign a license that includes Exchange Online (or ask again with `add-license`), then ask again.")
		if op.Options.AddLicense {
			d.Findings = d.Findings[:len(d.Findings)-1]
		}
	}
	if len(u.Licenses) == 0 || (op.Options.AddLicense && !hasExchange(d.userPlans(u))) {
		sku, ok := chooseSku(d.skus, size)
		switch {
		case op.Options.AddLicense && ok:
			added = sku.ID
			d.add(Info, 1, fmt.Sprintf("%s has no license: %s (%d free) is assigned before the conversion, and removed after it is verified when the rules allow.", upn, sku.PartNumber, sku.Free()), "")
		case op.Options.AddLicense:
			d.add(Blocker, 1, fmt.Sprintf("%s has no license, and no subscription with Exchange Online has a free license to assign.", upn),
				"Free or buy a license that includes Exchange Online, then ask again.")
		default:
			fix := "Assign the license back to the account in the Microsoft 365 admin center, then ask again"
			if ok {
				fix += fmt.Sprintf(", or ask again with `add-license` and I will assign %s (%d free) before converting and remove it afterwards", sku.PartNumber, sku.Free())
			}
			d.add(Blocker, 1, fmt.Sprintf("%s has no license. A mailbox must be licensed when it is converted; without one it is disconnected and deleted after 30 days.", upn), fix+".")
		}
	}

	// Rules 2-4: which licenses may go after the conversion.
	kept := p.licenseRules(ctx, &d, u, mb)
	direct := directLicenses(u)
	if added != "" {
		direct = append(direct, added)
	}
	switch {
	case op.Options.KeepLicenses && len(direct) > 0:
		kept = append(kept, "you asked to keep them")
	case len(direct) == 0 && len(u.Licenses) > 0:
		kept = append(kept, "none is assigned directly")
	}
	d.Target.LicensesKept = strings.Join(kept, "; ")
	if len(kept) > 0 && len(direct) > 0 {
		d.add(Info, 2, "Licenses kept: "+d.Target.LicensesKept+".", "")
	}

	// Rule 6: the old password keeps working unless sign-in is blocked.
	if op.Options.KeepSignIn {
		d.add(Warning, 6, "Sign-in stays enabled: the old user name and password keep working in the shared mailbox.", "")
	}
	d.add(Info, 7, "Inbox rules are kept after the conversion.", "")
	d.add(Info, 5, "The user account is kept: it anchors the shared mailbox. Do not delete it.", "")

	if !op.Options.KeepSessions {
		d.step(StepRevokeSessions, "", "Revoke sign-in sessions (rule 6)")
	}
	if !op.Options.KeepSignIn {
		d.step(StepBlockSignIn, "", "Block sign-in of the account (rule 6)")
	}
	if added != "" {
		d.step(StepAssignLicense, added, fmt.Sprintf("Assign a license for the conversion: %s (rule 1)", d.skuName(added)))
	}
	d.grantSteps(op, members)
	if op.Options.ManagerAccess {
		d.Steps = append(d.Steps, d.managerAccess(op)...)
	}
	d.step(StepConvertToShared, "", "Convert to a shared mailbox (Set-Mailbox -Type Shared)")
	d.step(StepVerifyShared, "", "Verify that Exchange reports SharedMailbox")
	if err := p.settingSteps(ctx, &d, op, mb); err != nil {
		return Plan{}, err
	}
	// Rule 18: the owner's rights elsewhere go once the conversion is
	// verified, before the licenses (which go last, rule 1). A plan that
	// cannot go ahead does not read the whole tenant.
	switch {
	case op.Options.RemoveAccess && !op.Options.KeepAccess && len(d.Blockers()) == 0:
		removals, err := p.accessElsewhere(ctx, &d, u, mb)
		if err != nil {
			return Plan{}, err
		}
		d.Steps = append(d.Steps, removals...)
	case op.Options.KeepAccess:
		d.add(Warning, 18, fmt.Sprintf("%s keeps any Full Access, Send As and Send on Behalf it holds on other mailboxes (keep-access).", upn), "")
	}
	if len(kept) == 0 && len(direct) > 0 {
		names := make([]string, len(direct))
		for i, id := range direct {
			names[i] = d.skuName(id)
		}
		d.step(StepRemoveLicenses, strings.Join(direct, ","), "Remove the direct licenses after the conversion is verified: "+strings.Join(names, ", "))
	}
	return d.Plan, nil
}

// mailbox reads the user's mailbox; ErrNoMailbox when there is none.
func (p *Planner) mailbox(ctx context.Context, u User) (Mailbox, error) {
	mb, err := p.Exchange.GetMailbox(ctx, u.UserPrincipalName)
	if errors.Is(err, ErrNotFound) {
		return Mailbox{}, fmt.Errorf("look up mailbox %s: %w", u.UserPrincipalName, ErrNoMailbox)
	}
	if err != nil {
		return Mailbox{}, fmt.Errorf("look up mailbox %s: %w", u.UserPrincipalName, err)
	}
	return mb, nil
}

// start fills the target, the manager and the tenant's SKUs.
func (p *Planner) start(ctx context.Context, op Operation, u User, typ string) (draft, error) {
	d := draft{Plan: Plan{Op: op, Target: Target{
		UserID: u.ID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
		RecipientTypeDetails: typ, AccountEnabled: u.AccountEnabled, Synced: u.OnPremisesSyncEnabled,
	}}}
	for _, l := range u.Licenses {
		d.Target.Licenses = append(d.Target.Licenses, LicenseFact{SkuID: l.SkuID, Group: l.AssignedByGroup})
	}
	if m, err := p.Directory.Manager(ctx, u.ID); err == nil {
		d.Target.ManagerEmail, d.Target.ManagerName = m.Email(), m.DisplayName
		d.manager = &m
	} else if !errors.Is(err, ErrNotFound) {
		return d, fmt.Errorf("look up manager of %s: %w", u.UserPrincipalName, err)
	}
	skus, err := p.Directory.SubscribedSkus(ctx)
	if err != nil {
		return d, fmt.Errorf("list subscribed SKUs: %w", err)
	}
	d.skus = skus
	return d, nil
}

// mailboxFacts records the mailbox's sync state, holds and archive.
func (d *draft) mailboxFacts(mb Mailbox) {
	d.Target.ExchangeGUID = mb.ExchangeGUID
	d.Target.Synced = d.Target.Synced || mb.IsDirSynced
	d.Target.LitigationHold = mb.LitigationHoldEnabled
	d.Target.InPlaceHolds = slices.Clone(mb.InPlaceHolds)
	d.Target.Archive = mb.HasArchive()
}

// person records who an address named in the operation resolved to.
func (d *draft) person(addr string, pr Person) {
	pr.Address = addr
	if !slices.Contains(d.Target.People, pr) {
		d.Target.People = append(d.Target.People, pr)
	}
}

// members resolves the people to grant Full Access and Send As; an unknown
// person is a blocker.
func (p *Planner) members(ctx context.Context, d *draft, op Operation) map[string]string {
	upns := map[string]string{}
	for _, addr := range slices.Concat(op.Options.FullAccess, op.Options.SendAs) {
		if _, done := upns[addr]; done {
			continue
		}
		u, err := p.Directory.User(ctx, addr)
		switch {
		case err == nil:
			upns[addr] = u.UserPrincipalName
			d.person(addr, Person{ID: u.ID, Name: u.UserPrincipalName})
		case errors.Is(err, ErrNotFound):
			upns[addr] = ""
			d.person(addr, Person{})
			d.add(Blocker, 12, fmt.Sprintf("%s, named to get access, is not a user in Microsoft Entra ID.", addr), "Check the address, or leave it out.")
		default:
			upns[addr] = addr
			d.add(Warning, 12, fmt.Sprintf("I could not look up %s (%v); the grant will name the address as typed.", addr, err), "")
		}
	}
	return upns
}

func (d *draft) grantSteps(op Operation, upns map[string]string) {
	for _, a := range op.Options.FullAccess {
		auto := "with automapping"
		if op.Options.NoAutoMapping {
			auto = "without automapping"
		}
		d.Steps = append(d.Steps, Step{Name: StepGrantFullAccess, Arg: upns[a], NoAutoMapping: op.Options.NoAutoMapping,
			Title: fmt.Sprintf("Give %s Full Access, %s (rule 12)", upns[a], auto)})
	}
	for _, a := range op.Options.SendAs {
		d.step(StepGrantSendAs, upns[a], fmt.Sprintf("Give %s Send As (rule 12)", upns[a]))
	}
	if len(op.Options.FullAccess) > 0 && len(op.Options.SendAs) == 0 {
		d.add(Warning, 12, "Full Access lets people open the mailbox and change items, not send from it: add Send As (`members`) for that.", "")
	}
}

// licenseRules applies rules 2-4 and returns why the licenses must stay
// (nothing when they may go).
func (p *Planner) licenseRules(ctx context.Context, d *draft, u User, mb Mailbox) []string {
	var kept []string
	upn := u.UserPrincipalName
	plans := d.userPlans(u)
	// Rule 2: without a license a shared mailbox holds at most 50 GB.
	stats, err := p.Exchange.MailboxStatistics(ctx, upn)
	switch {
	case err != nil:
		kept = append(kept, "the mailbox's size could not be measured")
		d.add(Warning, 2, fmt.Sprintf("I could not measure the mailbox's size (%v), so the licenses stay.", err), "")
	case stats.TotalItemSize >= LicensedSharedMax:
		d.Target.SizeBytes = stats.TotalItemSize
		d.add(Blocker, 2, fmt.Sprintf("The mailbox is %s: over the 100 GB a shared mailbox can hold even with Exchange Online Plan 2.", mrkdwn.Size(stats.TotalItemSize)),
			"Bring it under 100 GB (move or delete large items, or archive them), then ask again.")
	case stats.TotalItemSize >= UnlicensedSharedMax:
		d.Target.SizeBytes = stats.TotalItemSize
		kept = append(kept, fmt.Sprintf("the mailbox is %s, over the 50 GB a shared mailbox holds without a license", mrkdwn.Size(stats.TotalItemSize)))
		if !plans[PlanExchangeOnline2] {
			d.add(Warning, 2, fmt.Sprintf("The mailbox is %s: as a shared mailbox over 50 GB it needs Exchange Online Plan 2, which its licenses do not include.", mrkdwn.Size(stats.TotalItemSize)),
				"Assign a license with Exchange Online Plan 2 (for example Office 365 E3) before or after the conversion.")
		}
	default:
		d.Target.SizeBytes = stats.TotalItemSize
	}
	// Rule 3: a hold or an archive needs Plan 2, or Plan 1 with Exchange Online Archiving.
	var why []string
	if mb.LitigationHoldEnabled {
		why = append(why, "a litigation hold")
	}
	if len(mb.InPlaceHolds) > 0 {
		why = append(why, "an in-place hold")
	}
	if mb.AutoExpandingArchiveEnabled {
		why = append(why, "an auto-expanding archive")
	} else if mb.HasArchive() {
		why = append(why, "an archive")
	}
	if len(why) > 0 {
		reason := "the mailbox has " + strings.Join(why, " and ")
		kept = append(kept, reason)
		if !plans[PlanExchangeOnline2] && !(plans[PlanExchangeOnline1] && plans[PlanExchangeOnlineArchive]) {
			d.add(Warning, 3, fmt.Sprintf("%s: a shared mailbox needs Exchange Online Plan 2, or Plan 1 with Exchange Online Archiving, for that; its licenses include neither.", capitalize(reason)),
				"Assign Exchange Online Plan 2, or Exchange Online Archiving next to Plan 1.")
		}
	}
	// Rule 4: a license from a group cannot be removed from the user.
	for _, l := range u.Licenses {
		if l.AssignedByGroup == "" {
			continue
		}
		name, err := p.Directory.GroupName(ctx, l.AssignedByGroup)
		if err != nil {
			name = l.AssignedByGroup
		}
		for i, f := range d.Target.Licenses {
			if f.SkuID == l.SkuID && f.Group == l.AssignedByGroup {
				d.Target.Licenses[i].GroupName = name
			}
		}
		d.add(Info, 4, fmt.Sprintf("The license %s comes from the group “%s”: it cannot be removed from the user directly and stays while %s is a member.", d.skuName(l.SkuID), name, upn),
			fmt.Sprintf("To stop paying for it, remove %s from “%s” in Microsoft Entra ID after the conversion.", upn, name))
	}
	return kept
}

func directLicenses(u User) []string {
	var ids []string
	for _, l := range u.Licenses {
		if l.AssignedByGroup == "" && !slices.Contains(ids, l.SkuID) {
			ids = append(ids, l.SkuID)
		}
	}
	return ids
}

// chooseSku picks a license to assign: a subscription for users, enabled,
// with free units and an Exchange Online plan big enough for a mailbox of
// size bytes (-1: unknown): Kiosk holds 2 GB, Plan 1 50 GB, Plan 2 100 GB.
// Plan 1 (the plainest mailbox that fits) is preferred, then the one with
// the most free units.
func chooseSku(skus []Sku, size int64) (Sku, bool) {
	var c []Sku
	for _, s := range skus {
		if (s.AppliesTo == "" || s.AppliesTo == "User") && (s.CapabilityStatus == "" || s.CapabilityStatus == "Enabled") &&
			s.Free() > 0 && s.HasExchange() && fits(s, size) {
			c = append(c, s)
		}
	}
	if len(c) == 0 {
		return Sku{}, false
	}
	plan1 := func(s Sku) int {
		if slices.Contains(s.ServicePlans, PlanExchangeOnline1) {
			return 0
		}
		return 1
	}
	slices.SortFunc(c, func(a, b Sku) int {
		return cmp.Or(cmp.Compare(plan1(a), plan1(b)), cmp.Compare(b.Free(), a.Free()), strings.Compare(a.PartNumber, b.PartNumber))
	})
	return c[0], true
}

// fits reports whether s's Exchange plan holds a mailbox of size bytes.
func fits(s Sku, size int64) bool {
	switch {
	case slices.Contains(s.ServicePlans, PlanExchangeOnline2):
		return size < LicensedSharedMax
	case slices.Contains(s.ServicePlans, PlanExchangeOnline1):
		return size < UnlicensedSharedMax
	}
	return size >= 0 && size < 2*GB // Kiosk, and only when the size is known
}

func hasExchange(plans map[string]bool) bool {
	return plans[PlanExchangeOnline1] || plans[PlanExchangeOnline2] || plans[PlanExchangeKiosk]
}

// size is the mailbox's size in bytes, or -1 when it cannot be read.
func (p *Planner) size(ctx context.Context, upn string) int64 {
	st, err := p.Exchange.MailboxStatistics(ctx, upn)
	if err != nil {
		return -1
	}
	return st.TotalItemSize
}

// findSku finds a SKU by id or part number.
func findSku(skus []Sku, name string) (Sku, bool) {
	for _, s := range skus {
		if strings.EqualFold(s.ID, name) || strings.EqualFold(s.PartNumber, name) {
			return s, true
		}
	}
	return Sku{}, false
}

// planRecover plans rule 10: a deleted user's mailbox is recovered, then
// converted.
func (p *Planner) planRecover(ctx context.Context, op Operation, del DeletedUser) (Plan, error) {
	d, err := p.start(ctx, op, del.User, "(deleted)")
	if err != nil {
		return Plan{}, err
	}
	d.Target.Deleted = true
	d.Target.Synced = del.OnPremisesSyncEnabled
	upn := del.UserPrincipalName
	until := del.DeletedAt.Add(DeletedRetention)
	start := p.now()
	if op.Options.At.After(start) {
		start = op.Options.At // a scheduled recovery must still be in time when it runs
	}
	if !start.Before(until) {
		d.add(Blocker, 10, fmt.Sprintf("%s was deleted on %s: by the time the work would start, more than 30 days will have passed, and the account and its mailbox can no longer be restored.", upn, del.DeletedAt.UTC().Format("2006-01-02")), "Ask to run it now, not later.")
	} else {
		d.add(Info, 10, fmt.Sprintf("%s was deleted on %s. The account can be restored until %s; its mailbox comes back 20-30 minutes after the account is restored and licensed, and I wait for it.",
			upn, del.DeletedAt.UTC().Format("2006-01-02"), until.UTC().Format("2006-01-02 15:04 UTC")), "")
	}
	if del.OnPremisesSyncEnabled {
		d.add(Blocker, 8, fmt.Sprintf("%s was synchronised from on-premises Active Directory: restore it there.", upn),
			fmt.Sprintf("Restore the account on-premises, then convert it with: Set-RemoteMailbox -Identity %s -Type Shared", upn))
	}
	sku, ok := chooseSku(d.skus, -1) // the size of a deleted mailbox cannot be read
	if !ok {
		d.add(Blocker, 10, "To bring the mailbox back the account needs a license with Exchange Online, and no subscription has one free.", "Free or buy a license that includes Exchange Online, then ask again.")
	}
	members := p.members(ctx, &d, op)
	d.add(Info, 10, "The password is reset to a random value that nobody is shown, and sign-in is blocked: the account only anchors the shared mailbox.", "")
	d.add(Info, 5, "The user account is kept: it anchors the shared mailbox. Do not delete it.", "")
	d.step(StepRestoreUser, del.ID, "Restore the deleted account (rule 10)")
	d.step(StepAssignLicense, sku.ID, fmt.Sprintf("Assign a license so the mailbox comes back: %s", d.skuName(sku.ID)))
	d.step(StepResetPassword, "", "Reset the password to a random value shown to no one")
	d.step(StepBlockSignIn, "", "Block sign-in of the account (rule 6)")
	d.step(StepWaitMailbox, "", "Wait until the mailbox exists again (typically 20-30 minutes)")
	d.step(StepConvertToShared, "", "Convert to a shared mailbox (Set-Mailbox -Type Shared)")
	d.step(StepVerifyShared, "", "Verify that Exchange reports SharedMailbox")
	if err := p.settingSteps(ctx, &d, op, Mailbox{}); err != nil {
		return Plan{}, err
	}
	if !op.Options.KeepLicenses {
		d.step(StepRemoveLicenses, sku.ID, fmt.Sprintf("Remove the license after the conversion is verified, unless rules 2-3 keep it: %s", d.skuName(sku.ID)))
	}
	d.grantSteps(op, members)
	return d.Plan, nil
}

// planToRegular plans rule 9: a shared mailbox back to a user mailbox.
func (p *Planner) planToRegular(ctx context.Context, op Operation) (Plan, error) {
	u, err := p.Directory.User(ctx, op.Mailbox)
	if err != nil {
		return Plan{}, fmt.Errorf("look up user %s: %w", op.Mailbox, err)
	}
	mb, err := p.mailbox(ctx, u)
	if err != nil {
		return Plan{}, err
	}
	d, err := p.start(ctx, op, u, mb.RecipientTypeDetails)
	if err != nil {
		return Plan{}, err
	}
	d.mailboxFacts(mb)
	upn := u.UserPrincipalName
	if mb.RecipientTypeDetails != RecipientSharedMailbox {
		d.blocker(FindingType, 9, fmt.Sprintf("%s is a %s, not a shared mailbox.", upn, mb.RecipientTypeDetails), "Only a shared mailbox can be converted back to a user mailbox.")
	}
	if u.OnPremisesSyncEnabled || mb.IsDirSynced {
		d.add(Blocker, 8, fmt.Sprintf("%s is synchronised from on-premises Active Directory; a change made in the cloud would be overwritten.", upn),
			fmt.Sprintf("Convert it on your Exchange server with: Set-RemoteMailbox -Identity %s -Type Regular", upn))
	}
	// Rule 9: a license with Exchange Online, with free units.
	license := ""
	licensed := hasExchange(d.userPlans(u))
	size := p.size(ctx, upn)
	switch {
	case op.Options.License != "":
		sku, ok := findSku(d.skus, op.Options.License)
		switch {
		case !ok:
			d.add(Blocker, 9, fmt.Sprintf("The tenant has no subscription %q.", op.Options.License), "Name a SKU id or part number of the tenant (for example ENTERPRISEPACK), or leave `license` out and I choose one.")
		case !sku.HasExchange():
			d.add(Blocker, 9, fmt.Sprintf("%s does not include Exchange Online, so the mailbox would not work.", sku.PartNumber), "Name a license that includes Exchange Online.")
		case size > 0 && !fits(sku, size):
			d.add(Blocker, 9, fmt.Sprintf("%s's Exchange plan does not hold a mailbox of %s.", sku.PartNumber, mrkdwn.Size(size)), "Name a license with a bigger Exchange plan (Plan 2 holds 100 GB).")
		case sku.Free() <= 0 && !slices.ContainsFunc(u.Licenses, func(l License) bool { return l.SkuID == sku.ID }):
			d.add(Blocker, 9, fmt.Sprintf("%s has no free licenses (%d of %d used).", sku.PartNumber, sku.Consumed, sku.Enabled), "Free one, buy one, or name another license.")
		default:
			license = sku.ID
		}
	case licensed:
		d.add(Info, 9, fmt.Sprintf("%s already has a license with Exchange Online.", upn), "")
	default:
		if sku, ok := chooseSku(d.skus, size); ok {
			license = sku.ID
			d.add(Info, 9, fmt.Sprintf("License to assign: %s (%d free), a subscription with Exchange Online.", sku.PartNumber, sku.Free()), "")
		} else {
			d.add(Blocker, 9, "A user mailbox needs a license with Exchange Online, and no subscription has one free.", "Free or buy a license that includes Exchange Online, or name one with `license`.")
		}
	}
	cred := "tap"
	if op.Options.Password {
		cred = "password"
		d.add(Info, 9, "The old password is replaced by a new one that must be changed at the next sign-in; I send it only to you, in a private message.", "")
	} else {
		d.add(Info, 9, fmt.Sprintf("The old password is replaced by a random one nobody knows, and the user gets a Temporary Access Pass valid %s; I send it only to you, in a private message.", mrkdwn.Hours(DefaultCredentialTTL)), "")
	}
	if license != "" {
		d.step(StepAssignLicense, license, fmt.Sprintf("Assign a license: %s (rule 9)", d.skuName(license)))
	}
	d.step(StepConvertToRegular, "", "Convert to a user mailbox (Set-Mailbox -Type Regular)")
	d.step(StepVerifyRegular, "", "Verify that Exchange reports UserMailbox")
	// The old owner's password must not come back with sign-in (rule 6).
	if cred == "tap" {
		d.step(StepResetPassword, "", "Reset the old password to a random value shown to no one")
		d.step(StepIssueCredential, cred, "Create a Temporary Access Pass, sent to you privately")
	} else {
		d.step(StepIssueCredential, cred, "Reset the password (change required at next sign-in), sent to you privately")
	}
	d.step(StepEnableSignIn, "", "Enable sign-in of the account, now that the old password is gone")
	return d.Plan, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
