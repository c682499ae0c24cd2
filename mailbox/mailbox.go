// Package mailbox holds what the bot knows about Microsoft 365 mailboxes: the
// directory and Exchange types it reads, the small interfaces through which it
// reads and changes them, the rules of DESIGN.md section 2 as a planner
// (pre-checks -> ordered steps) and the execution of each step.
//
// It knows nothing of Slack or Redis. The Graph client (mailbox/graph), the
// Exchange Online admin REST client (mailbox/exchange) and the in-memory
// sandbox tenant (mailbox/sandbox) implement Directory and Exchange.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Adapter errors (RemoteError) answer errors.Is for them.
var (
	// ErrNotFound: the user, mailbox or manager does not exist.
	ErrNotFound = errors.New("not found")
	// ErrThrottled: Microsoft asked us to slow down and retries ran out.
	ErrThrottled = errors.New("throttled by Microsoft")
	// ErrForbidden: the app lacks a permission or role.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalidAddress: the text is not a usable e-mail address or UPN.
	ErrInvalidAddress = errors.New("not a valid e-mail address")
)

// RemoteError is an error answered by Microsoft Graph or Exchange Online.
// Message is Microsoft's own text, fit to quote to a user.
type RemoteError struct {
	Service string // "graph" or "exchange"
	Op      string // the cmdlet or the HTTP method and path, e.g. "Set-Mailbox"
	Status  int    // HTTP status code
	Code    string // Microsoft's error code, e.g. "Request_ResourceNotFound"
	Message string // Microsoft's own text
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s: %s", e.Service, e.Op, e.Status, e.Code, e.Message)
}

// Is maps the HTTP status to the package's sentinel errors.
func (e *RemoteError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404 || strings.Contains(e.Code, "NotFound")
	case ErrThrottled:
		return e.Status == 429
	case ErrForbidden:
		return e.Status == 401 || e.Status == 403
	}
	return false
}

// Temporary reports whether trying again later may succeed.
func (e *RemoteError) Temporary() bool {
	return e.Status == 429 || e.Status >= 500
}

// User is an Entra ID (Azure AD) user, as far as the bot needs it.
type User struct {
	ID                string
	DisplayName       string
	UserPrincipalName string
	Mail              string
	// ProxyAddresses are all the user's addresses as Graph lists them:
	// "SMTP:primary@b", "smtp:alias@b", "SIP:…". An alias names the same
	// person (rule 16 compares them).
	ProxyAddresses        []string
	AccountEnabled        bool
	OnPremisesSyncEnabled bool
	Licenses              []License
	// SignInSessionsValidFrom is signInSessionsValidFromDateTime: tokens
	// issued before it are invalid. revokeSignInSessions sets it to the
	// time of the call, which is how a re-run tells that it already ran.
	SignInSessionsValidFrom time.Time
}

// Email is the address to match against Slack: mail, else the UPN.
func (u User) Email() string {
	if u.Mail != "" {
		return u.Mail
	}
	return u.UserPrincipalName
}

// License is one assigned license (a SKU). AssignedByGroup is the id of the
// group it comes from, or "" when assigned directly.
type License struct {
	SkuID           string
	AssignedByGroup string
}

// Directory is what the bot reads and changes in Entra ID (Microsoft Graph).
// Each method is one Graph call (DESIGN.md section 4); changes are not
// idempotent by themselves: the steps read first.
type Directory interface {
	// User returns a user by object id or user principal name; ErrNotFound.
	User(ctx context.Context, idOrUPN string) (User, error)
	// Manager returns the user's manager; ErrNotFound when there is none.
	Manager(ctx context.Context, userID string) (User, error)
	// SetAccountEnabled enables or blocks sign-in (PATCH accountEnabled).
	SetAccountEnabled(ctx context.Context, userID string, enabled bool) error
	// RevokeSignInSessions ends the user's sessions
	// (POST /users/{id}/revokeSignInSessions).
	RevokeSignInSessions(ctx context.Context, userID string) error
	// AssignLicenses adds and removes licenses by SKU id, with no disabled
	// plans (POST /users/{id}/assignLicense).
	AssignLicenses(ctx context.Context, userID string, add, remove []string) error
	// SubscribedSkus lists the tenant's subscriptions (GET /subscribedSkus).
	SubscribedSkus(ctx context.Context) ([]Sku, error)
	// GroupName returns a group's display name; ErrNotFound.
	GroupName(ctx context.Context, groupID string) (string, error)
	// ResetPassword sets a new password (PATCH passwordProfile).
	ResetPassword(ctx context.Context, userID, password string, forceChange bool) error
	// CreateTemporaryAccessPass creates a Temporary Access Pass
	// (POST /users/{id}/authentication/temporaryAccessPassMethods); a new
	// one replaces the old.
	CreateTemporaryAccessPass(ctx context.Context, userID string, lifetime time.Duration) (TemporaryAccessPass, error)
	// DeletedUser finds a user in the directory's deleted items by the
	// user principal name it had (GET /directory/deletedItems/microsoft.graph.user);
	// ErrNotFound.
	DeletedUser(ctx context.Context, upn string) (DeletedUser, error)
	// RestoreDeletedUser restores a deleted user by object id
	// (POST /directory/deletedItems/{id}/restore).
	RestoreDeletedUser(ctx context.Context, id string) error
	// GroupByMail finds a mail-enabled group by its address
	// (GET /groups?$filter=mail eq '...'); ErrNotFound.
	GroupByMail(ctx context.Context, address string) (Group, error)
	// GroupMembers lists a group's members that are users
	// (GET /groups/{id}/members/microsoft.graph.user, all pages).
	GroupMembers(ctx context.Context, groupID string) ([]User, error)
	// TransitiveMembers lists the users in a group directly or through
	// nested groups, each once
	// (GET /groups/{id}/transitiveMembers/microsoft.graph.user, all pages;
	// GroupMember.Read.All); ErrNotFound for an unknown group.
	TransitiveMembers(ctx context.Context, groupID string) ([]Principal, error)
}

// Principal is a person who gains access: a user, with the addresses an
// approver's e-mail is compared with (rule 16).
type Principal struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"display_name,omitempty"`
	UserPrincipalName string   `json:"upn"`
	Mail              string   `json:"mail,omitempty"`
	ProxyAddresses    []string `json:"proxy_addresses,omitempty"` // as Graph lists them: "SMTP:a@b", "smtp:c@d", "SIP:..."
	// Via is the trustee or member address of the plan through which the
	// person gains access: their own address, or a group's.
	Via string `json:"via,omitempty"`
}

// Matches reports whether email is one of the principal's addresses: its
// user principal name, its mail or one of its smtp: proxy addresses,
// compared without case. An empty email matches nothing.
func (p Principal) Matches(email string) bool {
	email = strings.TrimSpace(email)
	if email == "" {
		return false
	}
	if strings.EqualFold(email, p.UserPrincipalName) || strings.EqualFold(email, p.Mail) {
		return true
	}
	for _, a := range p.ProxyAddresses {
		scheme, addr, ok := strings.Cut(a, ":")
		if ok && strings.EqualFold(scheme, "smtp") && strings.EqualFold(addr, email) {
			return true
		}
	}
	return false
}

// Group is a mail-enabled group (a security group or a Microsoft 365 group).
type Group struct {
	ID              string
	DisplayName     string
	Mail            string
	SecurityEnabled bool
}

// Sku is one of the tenant's subscriptions (a subscribedSku).
type Sku struct {
	ID               string   // skuId
	PartNumber       string   // skuPartNumber, e.g. "ENTERPRISEPACK"
	AppliesTo        string   // "User" or "Company"
	CapabilityStatus string   // "Enabled", "Warning", "Suspended", ...
	Enabled          int      // prepaidUnits.enabled
	Consumed         int      // consumedUnits
	ServicePlans     []string // servicePlans[].servicePlanName, e.g. "EXCHANGE_S_ENTERPRISE"
}

// Free is the number of units that can still be assigned.
func (s Sku) Free() int { return s.Enabled - s.Consumed }

// Exchange service plans, as Graph names them.
const (
	PlanExchangeOnline1       = "EXCHANGE_S_STANDARD"      // Exchange Online (Plan 1)
	PlanExchangeOnline2       = "EXCHANGE_S_ENTERPRISE"    // Exchange Online (Plan 2)
	PlanExchangeKiosk         = "EXCHANGE_S_DESKLESS"      // Exchange Online Kiosk
	PlanExchangeOnlineArchive = "EXCHANGE_S_ARCHIVE_ADDON" // Exchange Online Archiving
)

// HasExchange reports whether the SKU includes an Exchange Online mailbox.
func (s Sku) HasExchange() bool {
	for _, p := range s.ServicePlans {
		switch p {
		case PlanExchangeOnline1, PlanExchangeOnline2, PlanExchangeKiosk:
			return true
		}
	}
	return false
}

// TemporaryAccessPass is a new Temporary Access Pass. Pass is a secret:
// it goes to the requester privately and nowhere else.
type TemporaryAccessPass struct {
	Pass      string
	ExpiresAt time.Time
}

// DeletedUser is a user in the directory's deleted items. User holds the
// user principal name it had before deletion.
type DeletedUser struct {
	User
	DeletedAt time.Time
}

// Recipient type details as Exchange reports them.
const (
	RecipientUserMailbox   = "UserMailbox"
	RecipientSharedMailbox = "SharedMailbox"
)

// MailboxType is the -Type argument of Set-Mailbox.
type MailboxType string

const (
	TypeShared  MailboxType = "Shared"
	TypeRegular MailboxType = "Regular"
)

// Mailbox is the answer of Get-Mailbox, as far as the bot needs it.
type Mailbox struct {
	Identity          string
	DisplayName       string
	UserPrincipalName string
	// DistinguishedName is the mailbox's Active Directory name in Exchange
	// ("CN=…,OU=contoso.onmicrosoft.com,…"): what a -Filter on a
	// property holding recipients (GrantSendOnBehalfTo) must name.
	DistinguishedName         string
	PrimarySMTPAddress        string
	ExternalDirectoryObjectID string
	// ExchangeGUID is the mailbox's immutable ExchangeGuid; Get-Mailbox
	// -Identity accepts it.
	ExchangeGUID string
	// WhenCreatedUTC is when Exchange created the mailbox; zero when not
	// known.
	WhenCreatedUTC                time.Time
	RecipientTypeDetails          string
	IsDirSynced                   bool
	LitigationHoldEnabled         bool
	InPlaceHolds                  []string
	ArchiveStatus                 string
	HiddenFromAddressListsEnabled bool
	GrantSendOnBehalfTo           []string
	AutoExpandingArchiveEnabled   bool
	// ForwardingAddress is the recipient mail is forwarded to, as Exchange
	// names it (often its name, not its address); ForwardingSMTPAddress an
	// address forwarded to without being a recipient ("smtp:x@y");
	// DeliverToMailboxAndForward: a copy is kept.
	ForwardingAddress          string
	ForwardingSMTPAddress      string
	DeliverToMailboxAndForward bool
}

// OnHold reports a litigation hold or an in-place hold (rule 3).
func (m Mailbox) OnHold() bool { return m.LitigationHoldEnabled || len(m.InPlaceHolds) > 0 }

// HasArchive reports an archive or an auto-expanding archive (rule 3).
func (m Mailbox) HasArchive() bool {
	return m.ArchiveStatus == "Active" || m.AutoExpandingArchiveEnabled
}

// Access rights of a mailbox permission.
const (
	RightFullAccess = "FullAccess"
	RightSendAs     = "SendAs"
)

// Permission is one entry of Get-MailboxPermission (User, AccessRights) or
// Get-RecipientPermission (Trustee, AccessRights).
type Permission struct {
	User         string // the user or group as Exchange shows it (UPN or name)
	AccessRights []string
	IsInherited  bool
	Deny         bool
}

// MailboxStatistics is the answer of Get-MailboxStatistics.
type MailboxStatistics struct {
	TotalItemSize int64 // bytes, parsed from "14.61 GB (15,687,850,951 bytes)"
	ItemCount     int64
}

// Exchange is what the bot reads and changes in Exchange Online. Every
// change is sent with Confirm:false and its parameters as JSON values.
type Exchange interface {
	// GetMailbox runs Get-Mailbox -Identity; ErrNotFound when there is none.
	GetMailbox(ctx context.Context, identity string) (Mailbox, error)
	// SetMailboxType runs Set-Mailbox -Identity -Type.
	SetMailboxType(ctx context.Context, identity string, t MailboxType) error
	// MailboxStatistics runs Get-MailboxStatistics -Identity.
	MailboxStatistics(ctx context.Context, identity string) (MailboxStatistics, error)
	// MailboxPermissions runs Get-MailboxPermission -Identity.
	MailboxPermissions(ctx context.Context, identity string) ([]Permission, error)
	// AddFullAccess runs Add-MailboxPermission -AccessRights FullAccess
	// -InheritanceType All -AutoMapping.
	AddFullAccess(ctx context.Context, identity, user string, autoMapping bool) error
	// RemoveFullAccess runs Remove-MailboxPermission -AccessRights FullAccess
	// -InheritanceType All.
	RemoveFullAccess(ctx context.Context, identity, user string) error
	// RecipientPermissions runs Get-RecipientPermission -Identity.
	RecipientPermissions(ctx context.Context, identity string) ([]Permission, error)
	// AddSendAs runs Add-RecipientPermission -AccessRights SendAs -Trustee.
	AddSendAs(ctx context.Context, identity, trustee string) error
	// RemoveSendAs runs Remove-RecipientPermission -AccessRights SendAs -Trustee.
	RemoveSendAs(ctx context.Context, identity, trustee string) error
	// SetSendOnBehalf runs Set-Mailbox -GrantSendOnBehalfTo with the hashtable
	// form {"@odata.type":"#Exchange.GenericHashTable","Add":[...],"Remove":[...]}.
	SetSendOnBehalf(ctx context.Context, identity string, add, remove []string) error
	// NewSharedMailbox runs New-Mailbox -Shared -Name -DisplayName
	// -PrimarySmtpAddress and returns the new mailbox.
	NewSharedMailbox(ctx context.Context, name, displayName, address string) (Mailbox, error)
	// AcceptedDomains runs Get-AcceptedDomain and returns the domain names.
	AcceptedDomains(ctx context.Context) ([]string, error)
	// RecipientExists runs Get-Recipient -Identity: whether any recipient
	// (mailbox, group, contact, user) already has the address.
	RecipientExists(ctx context.Context, address string) (bool, error)
}
