package mailbox

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Kind names an operation.
type Kind string

const (
	// KindConvertToShared converts a user mailbox to a shared mailbox (and
	// recovers a deleted user's mailbox first, rule 10).
	KindConvertToShared Kind = "convert_to_shared"
	// KindConvertToRegular converts a shared mailbox back to a user mailbox (rule 9).
	KindConvertToRegular Kind = "convert_to_regular"
)

// Operation is what a requester asks for, parsed and validated.
type Operation struct {
	Kind    Kind    `json:"kind"`
	Mailbox string  `json:"mailbox"` // lower-case address or UPN
	Options Options `json:"options,omitzero"`
}

// Options of an operation. The zero value is the default of each, so that
// a request stored before an option existed keeps its meaning.
type Options struct {
	// To shared.
	KeepSignIn    bool     `json:"keep_sign_in,omitempty"`   // do not block sign-in (default: block, rule 6)
	KeepSessions  bool     `json:"keep_sessions,omitempty"`  // do not revoke sessions (default: revoke)
	KeepLicenses  bool     `json:"keep_licenses,omitempty"`  // do not remove licenses after verification
	AddLicense    bool     `json:"add_license,omitempty"`    // rule 1: assign a license first when there is none
	FullAccess    []string `json:"full_access,omitempty"`    // addresses to give Full Access (rule 12)
	SendAs        []string `json:"send_as,omitempty"`        // addresses to give Send As (rule 12)
	NoAutoMapping bool     `json:"no_automapping,omitempty"` // Full Access without automapping

	// To regular (rule 9).
	License  string `json:"license,omitempty"`  // SKU id or part number; "" chooses one
	Password bool   `json:"password,omitempty"` // a reset password instead of a Temporary Access Pass

	// Both.
	At     time.Time `json:"at,omitzero"`       // run at this time (approved now); zero: at once
	DryRun bool      `json:"dry_run,omitempty"` // report what would be done; change nothing
}

// Severity of a finding.
type Severity string

const (
	// Blocker: the operation cannot be offered; Fix says what to do.
	Blocker Severity = "blocker"
	// Warning: the operation goes ahead; the requester and approver should know.
	Warning Severity = "warning"
	// Info: a fact about the plan (for example "inbox rules are kept").
	Info Severity = "info"
)

// Finding is one result of the pre-checks.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     int      `json:"rule,omitempty"` // the rule of DESIGN.md section 2, 0 if none
	Text     string   `json:"text"`
	Fix      string   `json:"fix,omitempty"` // what to do about a blocker
}

// StepName names a step; it is stable and stored.
type StepName string

const (
	StepRevokeSessions   StepName = "revoke_sessions"
	StepBlockSignIn      StepName = "block_sign_in"
	StepAssignLicense    StepName = "assign_license"    // Arg: SKU id
	StepGrantFullAccess  StepName = "grant_full_access" // Arg: user principal name
	StepGrantSendAs      StepName = "grant_send_as"     // Arg: user principal name
	StepConvertToShared  StepName = "convert_to_shared"
	StepVerifyShared     StepName = "verify_shared"
	StepRemoveLicenses   StepName = "remove_licenses" // Arg: SKU ids, comma-separated
	StepConvertToRegular StepName = "convert_to_regular"
	StepVerifyRegular    StepName = "verify_regular"
	StepEnableSignIn     StepName = "enable_sign_in"
	StepIssueCredential  StepName = "issue_credential" // Arg: "tap" or "password"
	StepRestoreUser      StepName = "restore_user"
	StepResetPassword    StepName = "reset_password" // a random password shown to no one
	StepWaitMailbox      StepName = "wait_mailbox"
)

// Step is one change (or check) of a plan, in order.
type Step struct {
	Name  StepName `json:"name"`
	Title string   `json:"title"`         // for people: "Convert to a shared mailbox"
	Arg   string   `json:"arg,omitempty"` // what the step works on, see StepName
}

// Target is the mailbox and account an operation works on, as found at
// planning time.
type Target struct {
	UserID               string `json:"user_id"`
	UserPrincipalName    string `json:"upn"`
	DisplayName          string `json:"display_name"`
	RecipientTypeDetails string `json:"recipient_type"`
	AccountEnabled       bool   `json:"account_enabled"`
	ManagerEmail         string `json:"manager_email,omitempty"`
	ManagerName          string `json:"manager_name,omitempty"`
	Deleted              bool   `json:"deleted,omitempty"`       // in the deleted items: recover first (rule 10)
	SizeBytes            int64  `json:"size_bytes,omitempty"`    // mailbox size at planning (rule 2)
	LicensesKept         string `json:"licenses_kept,omitempty"` // why licenses stay, "" when they go
}

// Plan is the outcome of the pre-checks: what is true now and the ordered
// steps that would be run.
type Plan struct {
	Op       Operation `json:"op"`
	Target   Target    `json:"target"`
	Findings []Finding `json:"findings,omitempty"`
	Steps    []Step    `json:"steps,omitempty"`
}

// Blockers returns the findings that stop the operation.
func (p Plan) Blockers() []Finding {
	var out []Finding
	for _, f := range p.Findings {
		if f.Severity == Blocker {
			out = append(out, f)
		}
	}
	return out
}

// ParseAddress validates a mailbox address typed by a person. It accepts a
// bare address and Slack's escaped form <mailto:a@b|a@b>, and returns it in
// lower case.
func ParseAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<mailto:") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<mailto:"), ">")
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[i+1:]
		}
	}
	bad := fmt.Errorf("%q: %w", s, ErrInvalidAddress)
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\"(),;:\\[]") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad
	}
	return strings.ToLower(s), nil
}

// Planner runs the pre-checks of an operation against live data.
type Planner struct {
	Directory Directory
	Exchange  Exchange
}

// ErrNoMailbox: the user exists but has no Exchange Online mailbox.
var ErrNoMailbox = errors.New("no Exchange Online mailbox")

// Plan looks up the account and mailbox of op and returns the plan. Errors
// are lookup failures: ErrNotFound for an unknown user, ErrNoMailbox for a
// user without a mailbox, or a Microsoft error. Rule violations are not
// errors: they are blockers in the plan.
func (p *Planner) Plan(ctx context.Context, op Operation) (Plan, error) {
	switch op.Kind {
	case KindConvertToShared:
		return p.planConvertToShared(ctx, op)
	}
	return Plan{}, fmt.Errorf("plan: unknown operation %q", op.Kind)
}

func (p *Planner) planConvertToShared(ctx context.Context, op Operation) (Plan, error) {
	u, err := p.Directory.User(ctx, op.Mailbox)
	if err != nil {
		return Plan{}, fmt.Errorf("look up user %s: %w", op.Mailbox, err)
	}
	mb, err := p.Exchange.GetMailbox(ctx, u.UserPrincipalName)
	if errors.Is(err, ErrNotFound) {
		return Plan{}, fmt.Errorf("look up mailbox %s: %w", u.UserPrincipalName, ErrNoMailbox)
	}
	if err != nil {
		return Plan{}, fmt.Errorf("look up mailbox %s: %w", u.UserPrincipalName, err)
	}
	plan := Plan{
		Op: op,
		Target: Target{
			UserID:               u.ID,
			UserPrincipalName:    u.UserPrincipalName,
			DisplayName:          u.DisplayName,
			RecipientTypeDetails: mb.RecipientTypeDetails,
			AccountEnabled:       u.AccountEnabled,
		},
	}
	if m, err := p.Directory.Manager(ctx, u.ID); err == nil {
		plan.Target.ManagerEmail, plan.Target.ManagerName = m.Email(), m.DisplayName
	} else if !errors.Is(err, ErrNotFound) {
		return Plan{}, fmt.Errorf("look up manager of %s: %w", u.UserPrincipalName, err)
	}
	add := func(f Finding) { plan.Findings = append(plan.Findings, f) }

	switch mb.RecipientTypeDetails {
	case RecipientSharedMailbox:
		add(Finding{Severity: Blocker, Text: fmt.Sprintf("%s is already a shared mailbox.", u.UserPrincipalName),
			Fix: "Nothing to do. To manage who may use it, use /shared-mailbox."})
	case RecipientUserMailbox:
	default:
		add(Finding{Severity: Blocker, Text: fmt.Sprintf("%s is a %s, not a user mailbox.", u.UserPrincipalName, mb.RecipientTypeDetails),
			Fix: "Only a user mailbox (UserMailbox) can be converted to a shared mailbox."})
	}
	// Rule 8: a synchronised account must be converted on-premises.
	if u.OnPremisesSyncEnabled || mb.IsDirSynced {
		add(Finding{Severity: Blocker, Rule: 8,
			Text: fmt.Sprintf("%s is synchronised from on-premises Active Directory; a change made in the cloud would be overwritten.", u.UserPrincipalName),
			Fix:  fmt.Sprintf("Convert it on your Exchange server (2013 CU21 / 2016 CU10 or later) with: Set-RemoteMailbox -Identity %s -Type Shared", u.UserPrincipalName)})
	}
	// Rule 1: a license is needed at conversion time.
	if len(u.Licenses) == 0 {
		add(Finding{Severity: Blocker, Rule: 1,
			Text: fmt.Sprintf("%s has no license. A mailbox must be licensed when it is converted; without one it is disconnected and deleted after 30 days.", u.UserPrincipalName),
			Fix:  "Assign the license back to the account in the Microsoft 365 admin center, then ask again."})
	}
	// Rule 7: inbox rules are kept.
	add(Finding{Severity: Info, Rule: 7, Text: "Inbox rules are kept after the conversion."})
	// Rule 5: the account stays.
	add(Finding{Severity: Info, Rule: 5, Text: "The user account is kept: it anchors the shared mailbox. Do not delete it."})

	plan.Steps = []Step{
		{Name: StepConvertToShared, Title: "Convert to a shared mailbox (Set-Mailbox -Type Shared)"},
		{Name: StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"},
		{Name: StepBlockSignIn, Title: "Block sign-in of the account (rule 6)"},
	}
	return plan, nil
}

// Status of a step after one run.
type Status string

const (
	// Done: the change was made (or the check passed).
	Done Status = "done"
	// Skipped: the state was already as wanted; nothing was changed.
	Skipped Status = "skipped"
	// Pending: not there yet; run the step again later (waits such as the
	// conversion's verification).
	Pending Status = "pending"
)

// Outcome is the result of running one step once.
type Outcome struct {
	Status Status
	Detail string // for people: "already shared", "still UserMailbox"
	// Secret is a credential the step made (a Temporary Access Pass or a
	// password) for the requester alone. It is never stored, logged, put
	// in Detail or shown to anyone else.
	Secret string
}

// Executor runs steps. Each step reads the current state first, so running
// it again after a crash does no harm.
type Executor struct {
	Directory Directory
	Exchange  Exchange
}

// Run runs one step of a plan against its target.
func (e *Executor) Run(ctx context.Context, t Target, s Step) (Outcome, error) {
	switch s.Name {
	case StepConvertToShared:
		mb, err := e.Exchange.GetMailbox(ctx, t.UserPrincipalName)
		if err != nil {
			return Outcome{}, err
		}
		if mb.RecipientTypeDetails == RecipientSharedMailbox {
			return Outcome{Status: Skipped, Detail: "already a shared mailbox"}, nil
		}
		if err := e.Exchange.SetMailboxType(ctx, t.UserPrincipalName, TypeShared); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Done, Detail: "Set-Mailbox -Type Shared accepted"}, nil
	case StepVerifyShared:
		mb, err := e.Exchange.GetMailbox(ctx, t.UserPrincipalName)
		if err != nil {
			return Outcome{}, err
		}
		if mb.RecipientTypeDetails == RecipientSharedMailbox {
			return Outcome{Status: Done, Detail: "Exchange reports SharedMailbox"}, nil
		}
		return Outcome{Status: Pending, Detail: "Exchange still reports " + mb.RecipientTypeDetails}, nil
	case StepBlockSignIn:
		u, err := e.Directory.User(ctx, t.UserID)
		if err != nil {
			return Outcome{}, err
		}
		if !u.AccountEnabled {
			return Outcome{Status: Skipped, Detail: "sign-in was already blocked"}, nil
		}
		if err := e.Directory.SetAccountEnabled(ctx, t.UserID, false); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Done, Detail: "sign-in blocked"}, nil
	}
	return Outcome{}, fmt.Errorf("run step: unknown step %q", s.Name)
}
