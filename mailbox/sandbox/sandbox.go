// Package sandbox is an in-memory Microsoft 365 tenant: a stand-in for
// Microsoft Entra ID (through mailbox.Directory) and Exchange Online (through
// mailbox.Exchange) that lives in one process and forgets everything when it
// ends.
//
// It exists for `mailboxbot demo` and for tests only. It is never used
// silently in production: a program that runs against it must say so loudly
// (the demo command does), and the fake Graph and Exchange HTTP servers used
// in tests are backed by it so that the real clients can be driven over the
// real wire.
//
// How far it goes: users (object id, UPN, mail, display name, sign-in,
// on-premises sync, licenses including group-assigned ones, manager,
// password, Temporary Access Pass, deletion), the tenant's subscriptions
// (SKUs), groups (name, mail, security-enabled, the users seeded as their
// members) and accepted domains, and mailboxes (recipient type, holds,
// archive and auto-expanding archive, address-list visibility, Send on
// Behalf, size and item count, Full Access and Send As grants), including
// the creation of shared mailboxes. Lookups are case-insensitive, as
// Microsoft's are.
//
// Exchange Online is not instant, and neither is the sandbox:
// Options.ConversionLag Get-Mailbox reads after a Set-Mailbox -Type change
// still report the old type, the mailbox of a restored user answers
// "not found" for Options.RestoreLag Get-Mailbox reads (Exchange takes
// 20-30 minutes to bring it back), and a mailbox New-Mailbox just created
// answers "not found" for Options.CreateLag Get-Mailbox reads, its account
// for as many Graph User reads.
//
// Creating a shared mailbox (NewSharedMailbox) gives it an account whose
// UPN and mail are the address, with sign-in enabled as Exchange leaves it,
// and no license. It is refused with Exchange's 400 and text for an
// address any user (deleted ones too), mailbox or group already has, a
// name another recipient has, and a domain that is not one of the tenant's
// accepted domains (Options.AcceptedDomains; by default the domains of the
// seeded users).
//
// Every change that really changed state is recorded (Changes,
// ChangeCount); a change that changes nothing (converting a shared mailbox
// to shared, blocking a blocked account, granting a grant that is there) is
// accepted and not recorded, so tests can assert that each change was made
// exactly once. Revoking sessions is recorded every time, as Graph cannot
// tell either. Reads are counted (Reads).
//
// Licenses: SubscribedSkus reports Consumed as the seeded units of people
// outside the tenant plus the licenses its users hold, so assigning and
// removing licenses keeps it in step. AssignLicenses answers as Graph does
// for a SKU without free units, a license inherited from a group, a license
// the user does not have, and a SKU the tenant does not have; it is all or
// nothing. Group-assigned licenses are seeded and never change. Whether a
// seeded license's SKU is subscribed is not checked.
//
// Secrets: a password is kept only as its SHA-256 and a Temporary Access
// Pass only in its user; neither is ever in a Change or an error. Tests
// reach them through CheckPassword, PasswordSet, PasswordMustChange and
// LastTemporaryAccessPass.
//
// Deleted users: a user seeded with UserSpec.Deleted is not found by User,
// Manager or GetMailbox; DeletedUser finds it by the UPN or mail it had
// for 30 days after its deletion (DeletedRetention, measured with
// Options.Now), RestoreDeletedUser brings it back as it was, without
// licenses (they were released when it was deleted). A deleted user's
// names stay taken: a new user cannot take them.
//
// Mailbox permissions: Get-MailboxPermission lists, besides the Full Access
// grants, Exchange's own entries (NT AUTHORITY\SELF with FullAccess and
// ReadPermission, not inherited; NT AUTHORITY\SYSTEM, inherited and
// denied), and Get-RecipientPermission the mailbox's own SendAs: callers
// must filter. A trustee is an existing user (shown by its UPN) or a known
// group (by id, name or mail; shown by its name); anything else is
// Exchange's ManagementObjectNotFoundException. Send on Behalf
// (SetSendOnBehalf) takes users and mail-enabled security groups, listed
// in GrantSendOnBehalfTo by UPN and by name; a seeded entry may be a
// display name, and removing that user removes it.
//
// Errors are the ones Microsoft answers, as *mailbox.RemoteError with the
// status, code and text Graph or Exchange would send, so errors.Is(err,
// mailbox.ErrNotFound) works and a fake HTTP server can put them on the wire
// unchanged.
//
// Not modelled yet (the seams are there, the behaviour is not): throttling
// (every operation passes through Tenant.gate, where a throttle answering
// 429 with Retry-After will plug in), the refusal of changes to a
// directory-synchronised mailbox, changes to group membership, nested
// groups, proxy addresses beyond the primary one, disabled plans. Object ids and
// mailbox GUIDs are deterministic, derived from the UPN (ObjectID,
// MailboxGUID), so demo transcripts and golden files are reproducible; the
// Temporary Access Passes are random (crypto/rand).
//
// # The Contoso cast
//
// NewContoso seeds a demo tenant at contoso.com (ContosoSkus and
// ContosoUsers list it). Its subscriptions:
//
//   - Office 365 E3 (ENTERPRISEPACK, SkuOffice365E3): Exchange Online Plan 2 and
//     more; 25 units, 3 free.
//   - Microsoft 365 E3 (SPE_E3, SkuMicrosoft365E3): Exchange Online Plan 2 and
//     more; 40 units, none free (the All Staff group holds them).
//   - Exchange Online Plan 1 (EXCHANGESTANDARD, SkuExchangeOnlinePlan1): 10 units,
//     none free.
//   - Exchange Online Archiving (EXCHANGEARCHIVE_ADDON, SkuExchangeOnlineArchive):
//     the archive add-on, no mailbox; 10 units, 8 free.
//   - Power BI (free) (POWER_BI_STANDARD, SkuPowerBIStandard): no Exchange; plenty free.
//
// Its people:
//
//   - alice@ Alice Andersen: Office 365 E3, user mailbox (14.61 GB), manager maria@.
//     The happy path.
//   - bob@ Bob Berg: already a shared mailbox, still licensed (Office 365 E3).
//   - carol@ Carol Chen: user mailbox with no license (rule 1 blocks), manager maria@.
//   - dave@ Dave Dekker: synchronised from on-premises AD (onPremisesSyncEnabled and
//     IsDirSynced; rule 8 blocks), Office 365 E3, manager maria@.
//   - erin@ Erin Evans: Microsoft 365 E3 assigned through the "All Staff" group
//     (ContosoAllStaffGroupID, ContosoAllStaff; rule 4), no manager.
//   - frank@ Frank Fox: Office 365 E3, a 58 GB mailbox (over the 50 GB limit of an
//     unlicensed shared mailbox), manager grace@, who has no Slack account.
//   - grace@ Grace Green: Office 365 E3, no manager, no Slack account.
//   - maria@ Maria Martens: the manager of alice, carol, dave, rita, hank,
//     irene, jack and gina; Office 365 E3.
//   - rita@ Rita Ramos: helpdesk (the usual requester), Office 365 E3, manager maria@.
//   - hank@ Hank Hill: Office 365 E3, a 112 GB mailbox (over 100 GB: rule 2
//     refuses), manager maria@.
//   - irene@ Irene Iris: Office 365 E3, on litigation hold (rule 3), manager maria@.
//   - jack@ Jack Jones: Office 365 E3, an active, auto-expanding archive (rule 3),
//     manager maria@.
//   - gina@ Gina Grey: deleted 3 days before the tenant was seeded (Options.Now);
//     was licensed (Office 365 E3, released), manager maria@ (rule 10).
//   - sales@ Sales Team: a shared mailbox without a license, sign-in blocked: the
//     one to convert back (rule 9).
//   - kim@ Kim King, lee@ Lee Long: Office 365 E3; people to give Full Access and
//     Send As to (rule 12); the members of sales-team@.
//   - info@ Contoso Info: a shared mailbox hidden from the address lists
//     (rule 13 warns on Send As and Send on Behalf), without a license,
//     sign-in blocked.
//
// Its groups: "All Staff" (ContosoAllStaff; not mail-enabled, holds erin@'s
// license) and "Sales Team Members" sales-team@ (ContosoSalesTeam; a
// mail-enabled security group, members kim@ and lee@: rule 14). Its
// accepted domains are contoso.com and contoso.onmicrosoft.com. Every
// address above is taken (sales@ too, for creation); support@ and any other
// unused address at contoso.com is free.
//
// All other accounts can sign in; every user has a mailbox.
package sandbox

import (
	"context"
	"crypto/sha1"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The tenant implements both interfaces.
var (
	_ mailbox.Directory = (*Tenant)(nil)
	_ mailbox.Exchange  = (*Tenant)(nil)
)

// Well-known SKU ids (skuId in Graph's assignedLicenses).
const (
	SkuOffice365E3           = "6fd2c87f-b296-42f0-b197-1e91e994b900" // ENTERPRISEPACK
	SkuMicrosoft365E3        = "05e9a617-0261-4cee-bb44-138d3ef5d965" // SPE_E3
	SkuExchangeOnlinePlan1   = "4b9405b0-7788-4568-add1-99614e613b69" // EXCHANGESTANDARD
	SkuExchangeOnlinePlan2   = "19ec0d23-8335-4cbd-94ac-6050e30712fa" // EXCHANGEENTERPRISE
	SkuExchangeOnlineArchive = "ee02fd1b-340e-4a4b-b355-4a514e4c8943" // EXCHANGEARCHIVE_ADDON
	SkuPowerBIStandard       = "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235" // POWER_BI_STANDARD
)

// Options configure a Tenant. The zero value is usable.
type Options struct {
	// ConversionLag is how many Get-Mailbox reads of a mailbox after a
	// Set-Mailbox -Type change still report the old type (Exchange is not
	// instant). 0: the new type shows at once.
	ConversionLag int
	// RestoreLag is how many Get-Mailbox reads of a restored user's mailbox
	// still answer "not found" (Exchange takes 20-30 minutes to bring the
	// mailbox of a restored account back). 0: it is back at once.
	RestoreLag int
	// CreateLag is how many reads after New-Mailbox the new mailbox and
	// its account are not found yet: Get-Mailbox reads of the mailbox (the
	// other cmdlets answer "not found" meanwhile) and, separately, Graph
	// User reads of the account (Graph's other calls answer "not found"
	// meanwhile). 0: both are there at once.
	CreateLag int
	// AcceptedDomains are the tenant's accepted domains (Get-AcceptedDomain);
	// nil: the domains of the seeded users' UPNs and mail addresses, in the
	// order first seen.
	AcceptedDomains []string
	// Now stamps recorded changes, dates deletions and Temporary Access
	// Passes and ends the 30 days a deleted user can be restored; nil means
	// time.Now.
	Now func() time.Time
}

// UserSpec seeds one user and, unless NoMailbox, its mailbox. Zero values
// give the common case: sign-in allowed, cloud-only, a user mailbox that is
// visible in the address lists, without holds or archive.
type UserSpec struct {
	UserPrincipalName string // required, unique
	DisplayName       string // default: the UPN
	// ID is the Entra object id; default: ObjectID(UserPrincipalName).
	ID string
	// Mail is the primary e-mail address; default for a user with a
	// mailbox: the UPN. It is also the mailbox's PrimarySmtpAddress.
	Mail string
	// Alias is the Exchange alias; default: the part of the UPN before @.
	Alias string
	// Licenses assigned to the user, directly or through a group.
	Licenses []mailbox.License
	// SignInBlocked: accountEnabled is false.
	SignInBlocked bool
	// OnPremisesSyncEnabled: synchronised from on-premises Active
	// Directory; the mailbox then reports IsDirSynced too.
	OnPremisesSyncEnabled bool
	// ManagerUPN is the UPN of the user's manager, "" for none. It is
	// resolved when read, so the manager may be added later.
	ManagerUPN string

	// Deleted puts the user in the directory's deleted items: User and
	// GetMailbox do not find it, DeletedUser does (for 30 days after
	// DeletedAt), RestoreDeletedUser brings it back. Its licenses were
	// released when it was deleted: Licenses are ignored.
	Deleted bool
	// DeletedAt is when the user was deleted; when zero, DeletedAgo before
	// the tenant's clock (Options.Now) at the time it is seeded.
	DeletedAt  time.Time
	DeletedAgo time.Duration

	// Skus and MemberOf are tenant-wide: they travel with a user so that a
	// []UserSpec alone seeds a whole tenant (the contract suites hand their
	// factories nothing else). The tenant subscribes to each SKU and learns
	// each group it does not know yet, as AddSku and AddGroup do.
	Skus []mailbox.Sku
	// MemberOf lists groups the user belongs to, such as the group of a
	// license with AssignedByGroup. A license may name a group the tenant
	// does not know: GroupName then answers not found.
	MemberOf []Group

	// NoMailbox: the user has no Exchange Online mailbox; the fields below
	// are then ignored.
	NoMailbox bool
	// RecipientTypeDetails; default mailbox.RecipientUserMailbox.
	RecipientTypeDetails          string
	LitigationHoldEnabled         bool
	InPlaceHolds                  []string
	ArchiveStatus                 string // "None" (default) or "Active"
	AutoExpandingArchiveEnabled   bool
	HiddenFromAddressListsEnabled bool
	GrantSendOnBehalfTo           []string
	// MailboxSizeBytes is the TotalItemSize of Get-MailboxStatistics.
	MailboxSizeBytes int64
	// MailboxItemCount is its ItemCount; default: one item per 325 kB.
	MailboxItemCount int64
}

// Group is a group of the directory, as far as the sandbox knows it: its
// name for GroupName, a trustee Exchange can grant permissions to (by id,
// name or mail), and, when it has a Mail, a mail-enabled group that
// GroupByMail finds and whose address is taken. Its members are the users
// seeded with it in UserSpec.MemberOf.
type Group struct {
	ID          string
	DisplayName string
	// Mail is the group's primary SMTP address; "" for a group that is not
	// mail-enabled (such as a plain security group holding licenses).
	Mail string
	// SecurityEnabled: a security group (rule 14: automapping does not
	// work through it); false for a Microsoft 365 or distribution group.
	SecurityEnabled bool
}

// public returns the group as the Directory reads it.
func (g Group) public() mailbox.Group {
	return mailbox.Group{ID: g.ID, DisplayName: g.DisplayName, Mail: g.Mail, SecurityEnabled: g.SecurityEnabled}
}

// ChangeKind names a kind of change.
type ChangeKind string

const (
	// ChangeMailboxType: Set-Mailbox -Type changed RecipientTypeDetails.
	ChangeMailboxType ChangeKind = "mailbox_type"
	// ChangeAccountEnabled: accountEnabled was changed.
	ChangeAccountEnabled ChangeKind = "account_enabled"
	// ChangeSessionsRevoked: revokeSignInSessions was called. Every call
	// counts, as in Graph, which does not know whether there were any.
	ChangeSessionsRevoked ChangeKind = "sessions_revoked"
	// ChangeLicenseAdded: a direct license was assigned (To: the SKU id).
	ChangeLicenseAdded ChangeKind = "license_added"
	// ChangeLicenseRemoved: a direct license was removed (From: the SKU id).
	ChangeLicenseRemoved ChangeKind = "license_removed"
	// ChangePasswordReset: the password was set (To: "true" when it must be
	// changed at next sign-in). The password itself is never recorded.
	ChangePasswordReset ChangeKind = "password_reset"
	// ChangeTemporaryAccessPass: a Temporary Access Pass was created (To:
	// when it expires, RFC 3339). The pass itself is never recorded.
	ChangeTemporaryAccessPass ChangeKind = "temporary_access_pass"
	// ChangeUserRestored: a deleted user was restored ("deleted" -> "active").
	ChangeUserRestored ChangeKind = "user_restored"
	// ChangeFullAccessAdded, ChangeFullAccessRemoved: a Full Access grant
	// (To or From: the trustee as Get-MailboxPermission shows it).
	ChangeFullAccessAdded   ChangeKind = "full_access_added"
	ChangeFullAccessRemoved ChangeKind = "full_access_removed"
	// ChangeSendAsAdded, ChangeSendAsRemoved: a Send As grant (To or From:
	// the trustee as Get-RecipientPermission shows it).
	ChangeSendAsAdded   ChangeKind = "send_as_added"
	ChangeSendAsRemoved ChangeKind = "send_as_removed"
	// ChangeSendOnBehalfAdded, ChangeSendOnBehalfRemoved: an entry of
	// GrantSendOnBehalfTo (To or From: the entry as Get-Mailbox shows it).
	ChangeSendOnBehalfAdded   ChangeKind = "send_on_behalf_added"
	ChangeSendOnBehalfRemoved ChangeKind = "send_on_behalf_removed"
	// ChangeMailboxCreated: New-Mailbox -Shared created a mailbox and its
	// account ("" -> "SharedMailbox").
	ChangeMailboxCreated ChangeKind = "mailbox_created"
)

// Change is one change that really changed the tenant's state. It never
// holds a secret (a password or a Temporary Access Pass).
type Change struct {
	Seq               int // 1, 2, ... in the order the changes were made
	At                time.Time
	Kind              ChangeKind
	UserID            string
	UserPrincipalName string
	From, To          string // e.g. "UserMailbox" -> "SharedMailbox", "true" -> "false"
}

// Names of the read operations counted by Reads.
const (
	ReadUser                 = "User"
	ReadManager              = "Manager"
	ReadGetMailbox           = "GetMailbox"
	ReadMailboxSize          = "MailboxSize" // MailboxStatistics and MailboxSizeBytes
	ReadSubscribedSkus       = "SubscribedSkus"
	ReadGroupName            = "GroupName"
	ReadDeletedUser          = "DeletedUser"
	ReadMailboxPermissions   = "MailboxPermissions"
	ReadRecipientPermissions = "RecipientPermissions"
	ReadGroupByMail          = "GroupByMail"
	ReadGroupMembers         = "GroupMembers"
	ReadTransitiveMembers    = "TransitiveMembers"
	ReadAcceptedDomains      = "AcceptedDomains"
	ReadRecipient            = "Recipient" // RecipientExists
)

// Tenant is an in-memory Microsoft 365 tenant. It is safe for concurrent use.
type Tenant struct {
	lag, restoreLag, createLag int
	domains                    []string // Options.AcceptedDomains
	now                        func() time.Time

	mu      sync.Mutex
	users   []*user             // in the order they were added
	byKey   map[string]*user    // lower-case object id, UPN and mail
	byMbx   map[string]*user    // lower-case UPN, SMTP address, alias, GUID, object id
	skus    []*sku              // in the order they were added
	groups  []Group             // in the order they were added
	nested  map[string][]string // lower-case group id -> ids of the groups that are its members
	changes []Change
	reads   map[string]int
}

// sku is a subscription; base counts the units consumed by users the
// sandbox does not model.
type sku struct {
	mailbox.Sku
	base int
}

type user struct {
	id, upn, displayName, mail string
	name                       string // Exchange's Name (the Identity it shows): the display name, or New-Mailbox -Name
	enabled, onPremSync        bool
	licenses                   []mailbox.License
	managerUPN                 string
	groups                     []string // ids of the groups it is a member of
	mbx                        *mbox    // nil: no mailbox
	// absentLeft is how many more Graph User reads answer "not found"
	// after New-Mailbox created the account (Options.CreateLag).
	absentLeft int

	deleted   bool
	deletedAt time.Time
	// sessionsValidFrom is signInSessionsValidFromDateTime, set by
	// RevokeSignInSessions; zero: never revoked.
	sessionsValidFrom time.Time

	// Secrets, for the test accessors only: never in a Change, a log
	// line or an error.
	passwordHash   []byte // SHA-256 of the last password set; nil: none
	passwordChange bool   // the last password must be changed at next sign-in
	tap            *mailbox.TemporaryAccessPass
}

type mbox struct {
	guid, alias, smtp  string
	actual             string // the recipient type after the last change
	shown              string // what Get-Mailbox reports while lagLeft > 0
	lagLeft            int
	dirSynced, litHold bool
	inPlaceHolds       []string
	archive            string
	autoExpanding      bool
	hidden             bool
	sendOnBehalf       []string
	sizeBytes, items   int64
	// absentLeft is how many more Get-Mailbox reads answer "not found"
	// after the user was restored (Options.RestoreLag) or the mailbox was
	// created (Options.CreateLag).
	absentLeft int
	fullAccess []grant  // explicit Full Access, in the order granted
	sendAs     []string // Send As trustees, in the order granted
}

// grant is a Full Access grant to a trustee (as Exchange shows it).
type grant struct {
	trustee     string
	autoMapping bool
}

// New returns an empty tenant.
func New(opts Options) *Tenant {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Tenant{
		lag:        max(opts.ConversionLag, 0),
		restoreLag: max(opts.RestoreLag, 0),
		createLag:  max(opts.CreateLag, 0),
		domains:    uniq(opts.AcceptedDomains...),
		now:        now,
		byKey:      make(map[string]*user),
		byMbx:      make(map[string]*user),
		reads:      make(map[string]int),
	}
}

// ObjectID returns the object id the sandbox gives a user by default: a
// UUID (version 5) derived from the lower-cased UPN, the same in every run.
func ObjectID(upn string) string { return uuid5("user:" + strings.ToLower(upn)) }

// MailboxGUID returns the Exchange GUID the sandbox gives a user's mailbox.
func MailboxGUID(upn string) string { return uuid5("mailbox:" + strings.ToLower(upn)) }

// uuid5 is a name-based UUID (RFC 9562 version 5) in the DNS namespace.
func uuid5(name string) string {
	ns := []byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte("mailboxbot.sandbox/" + name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

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

func (u *user) public() mailbox.User {
	return mailbox.User{
		ID:                      u.id,
		DisplayName:             u.displayName,
		UserPrincipalName:       u.upn,
		Mail:                    u.mail,
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

// mailbox finds a mailbox Exchange shows, by any of its identities; t.mu
// is held. A restored user's mailbox is absent for Options.RestoreLag
// Get-Mailbox reads, a created one for Options.CreateLag (read: this is
// one).
func (t *Tenant) mailbox(identity string, read bool) (*user, bool) {
	u, ok := t.byMbx[strings.ToLower(identity)]
	if !ok || u.deleted {
		return nil, false
	}
	if u.mbx.absentLeft > 0 {
		if read {
			u.mbx.absentLeft--
		}
		return nil, false
	}
	return u, true
}

// gate runs first in every operation, with t.mu held. It is where a
// throttle (an error answering 429 with Retry-After) will plug in.
func (t *Tenant) gate(ctx context.Context, op string) error {
	return ctx.Err()
}

// graphNotFound is Graph's answer for a missing resource.
func graphNotFound(op, resource string) error {
	return &mailbox.RemoteError{
		Service: "graph", Op: op, Status: 404, Code: "Request_ResourceNotFound",
		Message: fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", resource),
	}
}

// exchangeNotFound is Exchange's answer for a missing identity (the text of
// details[0].message after the second '|').
func exchangeNotFound(cmdlet, identity string) error {
	return &mailbox.RemoteError{
		Service: "exchange", Op: cmdlet, Status: 404, Code: "NotFound",
		Message: fmt.Sprintf("The operation couldn't be performed because object '%s' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.", identity),
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

// GetMailbox returns a mailbox by UPN, primary SMTP address, alias, mailbox
// GUID or object id, case-insensitively; mailbox.ErrNotFound when there is
// none (also for a user without a mailbox, a deleted user, and a restored
// user within Options.RestoreLag reads). Within Options.ConversionLag reads
// after a type change it still reports the old type.
func (t *Tenant) GetMailbox(ctx context.Context, identity string) (mailbox.Mailbox, error) {
	const op = "Get-Mailbox"
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads[ReadGetMailbox]++
	if err := t.gate(ctx, op); err != nil {
		return mailbox.Mailbox{}, err
	}
	u, ok := t.mailbox(identity, true)
	if !ok {
		return mailbox.Mailbox{}, exchangeNotFound(op, identity)
	}
	m := u.mbx
	if m.lagLeft > 0 {
		m.lagLeft--
	} else {
		m.shown = m.actual
	}
	return mailbox.Mailbox{
		Identity:                      u.name,
		DisplayName:                   u.displayName,
		UserPrincipalName:             u.upn,
		PrimarySMTPAddress:            m.smtp,
		ExternalDirectoryObjectID:     u.id,
		RecipientTypeDetails:          m.shown,
		IsDirSynced:                   m.dirSynced,
		LitigationHoldEnabled:         m.litHold,
		InPlaceHolds:                  slices.Clone(m.inPlaceHolds),
		ArchiveStatus:                 m.archive,
		AutoExpandingArchiveEnabled:   m.autoExpanding,
		HiddenFromAddressListsEnabled: m.hidden,
		GrantSendOnBehalfTo:           slices.Clone(m.sendOnBehalf),
	}, nil
}

// SetMailboxType converts a mailbox (Set-Mailbox -Type Shared|Regular).
// Converting a mailbox to the type it already has (or is already being
// converted to) changes nothing, like Exchange's "no settings have been
// modified" warning, and is not recorded.
func (t *Tenant) SetMailboxType(ctx context.Context, identity string, typ mailbox.MailboxType) error {
	const op = "Set-Mailbox"
	var want string
	switch typ {
	case mailbox.TypeShared:
		want = mailbox.RecipientSharedMailbox
	case mailbox.TypeRegular:
		want = mailbox.RecipientUserMailbox
	default:
		return &mailbox.RemoteError{
			Service: "exchange", Op: op, Status: 400, Code: "BadRequest",
			Message: fmt.Sprintf("Cannot process argument transformation on parameter 'Type'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Directory.Management.ConvertibleMailboxSubType\".", typ),
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.gate(ctx, op); err != nil {
		return err
	}
	u, ok := t.mailbox(identity, false)
	if !ok {
		return exchangeNotFound(op, identity)
	}
	m := u.mbx
	if m.actual == want {
		return nil
	}
	t.record(ChangeMailboxType, u, m.actual, want)
	if m.lagLeft == 0 {
		m.shown = m.actual
	}
	m.actual = want
	m.lagLeft = t.lag
	return nil
}

// MailboxSizeBytes returns the TotalItemSize of a mailbox in bytes
// (Get-MailboxStatistics); mailbox.ErrNotFound when there is none.
func (t *Tenant) MailboxSizeBytes(ctx context.Context, identity string) (int64, error) {
	st, err := t.MailboxStatistics(ctx, identity)
	return st.TotalItemSize, err
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

// record appends a change; t.mu is held.
func (t *Tenant) record(k ChangeKind, u *user, from, to string) {
	t.changes = append(t.changes, Change{
		Seq: len(t.changes) + 1, At: t.now(), Kind: k,
		UserID: u.id, UserPrincipalName: u.upn, From: from, To: to,
	})
}

// Changes returns every change that changed state, oldest first.
func (t *Tenant) Changes() []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.changes)
}

// ChangeCount counts the changes made to one user (by UPN, case-insensitive),
// by kind. Kinds without changes are absent.
func (t *Tenant) ChangeCount(upn string) map[ChangeKind]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[ChangeKind]int)
	for _, c := range t.changes {
		if strings.EqualFold(c.UserPrincipalName, upn) {
			out[c.Kind]++
		}
	}
	return out
}

// Reads returns how many times each read operation was called (keys
// ReadUser, ReadManager, ReadGetMailbox, ReadMailboxSize), failed calls
// included.
func (t *Tenant) Reads() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.reads))
	for k, v := range t.reads {
		out[k] = v
	}
	return out
}
