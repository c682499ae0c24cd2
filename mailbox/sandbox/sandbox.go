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
// members, groups nested with AddGroupMember) and accepted domains, and
// mailboxes (ExchangeGuid, when New-Mailbox created it, recipient type, holds,
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
//   - leo@ Leo Lane: a leaver, Office 365 E3, manager maria@, who holds
//     Full Access on projects@, Send As on billing@ and Send on Behalf on
//     hr@ (listed there by his name, "Leo Lane"): rule 18.
//   - projects@ Projects, billing@ Billing, hr@ HR: shared mailboxes
//     without a license, sign-in blocked.
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
	// Aliases are more e-mail addresses of the user (smtp: proxy
	// addresses beside the primary Mail).
	Aliases []string
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
	aliases                    []string // more smtp addresses
	name                       string   // Exchange's Name (the Identity it shows): the display name, or New-Mailbox -Name
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
	created            time.Time // by New-Mailbox (UTC, whole seconds); zero for a seeded one
	actual             string    // the recipient type after the last change
	shown              string    // what Get-Mailbox reports while lagLeft > 0
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
	// The settings (settings.go).
	autoReply   mailbox.AutoReply
	forwardTo   string // ForwardingAddress as Get-Mailbox shows it
	forwardCopy bool   // DeliverToMailboxAndForward
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

// gate runs first in every operation, with t.mu held. It is where a
// throttle (an error answering 429 with Retry-After) will plug in.
func (t *Tenant) gate(ctx context.Context, op string) error {
	return ctx.Err()
}
