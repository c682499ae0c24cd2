package mailbox

import (
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
	// KindCreateShared creates a shared mailbox (rules 11, 12).
	KindCreateShared Kind = "create_shared"
	// KindGrant gives a person or group a right on a mailbox (rules 12-14).
	KindGrant Kind = "grant"
	// KindRevoke takes a right away.
	KindRevoke Kind = "revoke"
	// KindMembers lists who has which right; it changes nothing.
	KindMembers Kind = "members"
	// KindAutoReplyOff turns a shared mailbox's automatic reply off (one
	// set by auto-reply when it was converted).
	KindAutoReplyOff Kind = "auto_reply_off"
)

// Right is a mailbox right as the commands name it.
type Right string

const (
	FullAccess   Right = "full-access"
	SendAs       Right = "send-as"
	SendOnBehalf Right = "send-on-behalf"
)

// Title is the right as people read it: "Full Access", "Send As", "Send on
// Behalf".
func (r Right) Title() string {
	switch r {
	case FullAccess:
		return "Full Access"
	case SendAs:
		return "Send As"
	case SendOnBehalf:
		return "Send on Behalf"
	}
	return string(r)
}

// Operation is what a requester asks for, parsed and validated.
type Operation struct {
	Kind    Kind    `json:"kind"`
	Mailbox string  `json:"mailbox"` // lower-case address or UPN
	Options Options `json:"options,omitzero"`

	// KindCreateShared: the new mailbox's display name, and the members
	// who get Full Access and Send As (addresses, or Slack mentions "<@U…>"
	// until the bot resolves them).
	DisplayName string   `json:"display_name,omitempty"`
	Members     []string `json:"members,omitempty"`
	// KindGrant and KindRevoke: who (an address or a Slack mention) and what.
	Trustee string `json:"trustee,omitempty"`
	Right   Right  `json:"right,omitempty"`

	// Undo, when set, makes this the undo of an earlier request: Kind is
	// the reverse operation (whose policy decides who approves), and the
	// plan is the reverse of what that request did (reverse.go).
	Undo *Undo `json:"undo,omitempty"`
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
	EachMember    bool     `json:"each_member,omitempty"`    // rule 14: grant a group's members one by one
	// The leaver's mailbox settings (execute_settings.go).
	AutoReply string `json:"auto_reply,omitempty"` // plain text of an automatic reply, on until turned off
	ForwardTo string `json:"forward_to,omitempty"` // an internal recipient mail is forwarded to, a copy kept (rule 18)
	Hide      bool   `json:"hide,omitempty"`       // hide the mailbox from the address lists (rule 13)
	// Rule 18: the owner's rights on other mailboxes are taken away
	// (RemoveAccess; the bot sets it from MAILBOXBOT_LEAVER_REMOVE_ACCESS
	// unless the requester said keep-access or remove-access), or kept
	// (KeepAccess, as the requester typed it).
	RemoveAccess bool `json:"remove_access,omitempty"`
	KeepAccess   bool `json:"keep_access,omitempty"`
	// The owner's manager gets Full Access (with automapping) and Send As
	// (ManagerAccess; the bot sets it from MAILBOXBOT_LEAVER_MANAGER_ACCESS
	// unless the requester said manager-access or no-manager-access).
	ManagerAccess   bool `json:"manager_access,omitempty"`
	NoManagerAccess bool `json:"no_manager_access,omitempty"`

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
	// Code names, for the code that reads findings, what a blocker is about
	// when that is not told by the rule alone (FindingType, FindingTaken).
	Code string `json:"code,omitempty"`
}

// Finding codes.
const (
	// FindingType: the mailbox is not of the type the operation starts
	// from (already shared, not a user mailbox, not a shared mailbox).
	FindingType = "type"
	// FindingTaken: the address a new mailbox would get is used already.
	FindingTaken = "address_taken"
)

// StepName names a step; it is stable and stored.
type StepName string

const (
	StepRevokeSessions     StepName = "revoke_sessions"
	StepBlockSignIn        StepName = "block_sign_in"
	StepAssignLicense      StepName = "assign_license"    // Arg: SKU id
	StepGrantFullAccess    StepName = "grant_full_access" // Arg: user principal name
	StepGrantSendAs        StepName = "grant_send_as"     // Arg: user principal name
	StepConvertToShared    StepName = "convert_to_shared"
	StepVerifyShared       StepName = "verify_shared"
	StepRemoveLicenses     StepName = "remove_licenses" // Arg: SKU ids, comma-separated
	StepConvertToRegular   StepName = "convert_to_regular"
	StepVerifyRegular      StepName = "verify_regular"
	StepEnableSignIn       StepName = "enable_sign_in"
	StepIssueCredential    StepName = "issue_credential" // Arg: "tap" or "password"
	StepRestoreUser        StepName = "restore_user"
	StepResetPassword      StepName = "reset_password" // a random password shown to no one
	StepWaitMailbox        StepName = "wait_mailbox"   // and its account, for a new mailbox
	StepCreateShared       StepName = "create_shared_mailbox"
	StepGrantSendOnBehalf  StepName = "grant_send_on_behalf"  // Arg: user principal name
	StepRevokeFullAccess   StepName = "revoke_full_access"    // Arg: the trustee as Exchange names it
	StepRevokeSendAs       StepName = "revoke_send_as"        // Arg: the trustee
	StepRevokeSendOnBehalf StepName = "revoke_send_on_behalf" // Arg: the trustee
	StepSetAutoReply       StepName = "set_auto_reply"        // Arg: the reply's plain text
	StepAutoReplyOff       StepName = "auto_reply_off"
	StepForward            StepName = "forward"                 // Arg: the recipient as Exchange is given it
	StepHide               StepName = "hide_from_address_lists" // HiddenFromAddressListsEnabled $true
	StepRestoreAutoReply   StepName = "restore_auto_reply"      // Before.AutoReply put back (an undo)
	StepRestoreForwarding  StepName = "restore_forwarding"      // Before's ForwardingAddress put back (an undo)
	StepUnhide             StepName = "unhide_in_address_lists" // HiddenFromAddressListsEnabled $false (an undo)
)

// Step is one change (or check) of a plan, in order.
type Step struct {
	Name          StepName `json:"name"`
	Title         string   `json:"title"`                    // for people: "Convert to a shared mailbox"
	Arg           string   `json:"arg,omitempty"`            // what the step works on, see StepName
	NoAutoMapping bool     `json:"no_automapping,omitempty"` // for StepGrantFullAccess
	// Names are the other names Exchange may list the trustee in Arg by
	// (display name, mail, alias): permissions and GrantSendOnBehalfTo
	// show groups, and sometimes people, by name.
	Names []string `json:"names,omitempty"`
	// Since is when the first attempt of this step began, set by the
	// caller when the step is run again (after a crash or a passing
	// fault); zero on a first attempt. A step whose change leaves no trace
	// to read first (revoking sessions) uses it to see that it already ran;
	// the create step, to tell its own mailbox from another when
	// Target.CreateStarted was not recorded.
	Since time.Time `json:"-"`
	// On is the mailbox the step acts on when it is not the request's own:
	// the removal of the owner's rights on another mailbox (rule 18) names
	// that mailbox's address here. "" is the request's mailbox.
	On string `json:"on,omitempty"`
	// Settings are the mailbox settings a step concerns: on an undo's
	// record of a done settings step (Undo.Done), what it replaced
	// (Outcome.Before); on an undo's step that puts them back
	// (StepRestoreAutoReply, StepRestoreForwarding), what it puts back.
	Settings *Settings `json:"settings,omitempty"`
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

	// The material facts the approver decided on (rule 17), as found at
	// planning time; Fingerprint covers them and Changes compares them.

	// ExchangeGUID is the mailbox's immutable ExchangeGuid: with UserID,
	// which mailbox the approver saw (one deleted and made again at the
	// same address has new ones).
	ExchangeGUID string `json:"exchange_guid,omitempty"`
	// Synced: the account or mailbox is synchronised from on-premises
	// Active Directory (onPremisesSyncEnabled or IsDirSynced).
	Synced bool `json:"synced,omitempty"`
	// LitigationHold, InPlaceHolds and Archive are the mailbox's holds and
	// archive (rule 3). Archive is an archive or an auto-expanding one.
	LitigationHold bool     `json:"litigation_hold,omitempty"`
	InPlaceHolds   []string `json:"in_place_holds,omitempty"`
	Archive        bool     `json:"archive,omitempty"`
	// Licenses are the account's licenses and where each comes from (rule 4).
	Licenses []LicenseFact `json:"licenses,omitempty"`
	// AddressTaken: for a new mailbox, some recipient already has the address.
	AddressTaken bool `json:"address_taken,omitempty"`
	// People are the trustees and members the plan names, each as it
	// resolved: who gains or loses a right.
	People []Person `json:"people,omitempty"`
	// Forwarding is where the mailbox forwarded its mail when planned
	// (ForwardingAddress, else ForwardingSmtpAddress); "" for nowhere.
	Forwarding string `json:"forwarding,omitempty"`

	// What the run of a create request records (not decided on, so not in
	// Fingerprint).

	// Created are the immutable ids of the mailbox this request created,
	// from the Outcome of its create step (Record). Once set, later steps
	// act on them (the account by ObjectID, the mailbox by ExchangeGUID),
	// not on a fresh lookup by address, and a run again of the create or
	// the wait step accepts only that mailbox at the address.
	Created MailboxIDs `json:"created,omitzero"`
	// CreateStarted is when the create step's first attempt began, recorded
	// by the caller before that attempt. When nothing was recorded in
	// Created (a crash between New-Mailbox and recording), a mailbox at the
	// address is this request's only if Exchange created it no earlier.
	CreateStarted time.Time `json:"create_started,omitzero"`
}

// MailboxIDs are the immutable ids of a mailbox and its account.
type MailboxIDs struct {
	ExchangeGUID string `json:"exchange_guid,omitempty"`
	ObjectID     string `json:"object_id,omitempty"` // ExternalDirectoryObjectId: the account's Entra object id
}

// IsZero reports whether no id is known.
func (m MailboxIDs) IsZero() bool { return m.ExchangeGUID == "" && m.ObjectID == "" }

// idsOf are mb's immutable ids.
func idsOf(mb Mailbox) MailboxIDs {
	return MailboxIDs{ExchangeGUID: mb.ExchangeGUID, ObjectID: mb.ExternalDirectoryObjectID}
}

// Is reports whether mb is the mailbox with these ids: each id known on
// both sides is equal, and at least one is.
func (m MailboxIDs) Is(mb Mailbox) bool {
	o := idsOf(mb)
	same := func(a, b string) bool { return a == "" || b == "" || strings.EqualFold(a, b) }
	return same(m.ExchangeGUID, o.ExchangeGUID) && same(m.ObjectID, o.ObjectID) &&
		((m.ExchangeGUID != "" && o.ExchangeGUID != "") || (m.ObjectID != "" && o.ObjectID != ""))
}

// Record keeps the ids of a mailbox the create (or the wait) step reports
// in its Outcome; an Outcome without ids, or ids already recorded, change
// nothing. Call it with every Outcome of a create request's steps, and
// store the Target before running the next step.
func (t *Target) Record(o Outcome) {
	if t.Created.IsZero() && !o.Created.IsZero() {
		t.Created = o.Created
	}
}

// LicenseFact is one license of the target's account and its source.
type LicenseFact struct {
	SkuID     string `json:"sku_id"`
	Group     string `json:"group,omitempty"`      // the group it comes from; "" when direct
	GroupName string `json:"group_name,omitempty"` // that group's display name, for people
}

// Person is a trustee or member named in an operation, as it resolved at
// planning time.
type Person struct {
	Address string `json:"address"`        // as the operation names it
	ID      string `json:"id,omitempty"`   // the user's or group's object id; "" when unresolved
	Name    string `json:"name,omitempty"` // what Exchange is given: a user's UPN or a group's mail
	Group   bool   `json:"group,omitempty"`
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
// lower case. Only printable ASCII is accepted: an invisible character
// (a zero width space, a bidi override) or a letter of another script
// would make an address look, in the approver's message, like another
// one (issue 15: what the approver sees is what runs).
func ParseAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<mailto:") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<mailto:"), ">")
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[i+1:]
		}
	}
	bad := fmt.Errorf("%q: %w", s, ErrInvalidAddress)
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " <>\"(),;:\\[]") ||
		strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
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
	// Created are the ids of the mailbox the create step made (or the
	// wait step found to be it); record them with Target.Record.
	Created MailboxIDs
	// Before is what the step changed, as it was before the change (the
	// settings steps: the automatic reply, the forwarding, the hidden
	// flag), for a reverse step to put back; nil when the step changed
	// nothing or keeps no such record.
	Before *Settings
	// Secret is a credential the step made (a Temporary Access Pass or a
	// password) for the requester alone. It is never stored, logged, put
	// in Detail or shown to anyone else.
	Secret string
}
