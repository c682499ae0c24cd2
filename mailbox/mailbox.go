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
	ID                    string
	DisplayName           string
	UserPrincipalName     string
	Mail                  string
	AccountEnabled        bool
	OnPremisesSyncEnabled bool
	Licenses              []License
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
type Directory interface {
	// User returns a user by object id or user principal name; ErrNotFound.
	User(ctx context.Context, idOrUPN string) (User, error)
	// Manager returns the user's manager; ErrNotFound when there is none.
	Manager(ctx context.Context, userID string) (User, error)
	// SetAccountEnabled enables or blocks sign-in.
	SetAccountEnabled(ctx context.Context, userID string, enabled bool) error
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
	Identity                      string
	DisplayName                   string
	UserPrincipalName             string
	PrimarySMTPAddress            string
	ExternalDirectoryObjectID     string
	RecipientTypeDetails          string
	IsDirSynced                   bool
	LitigationHoldEnabled         bool
	InPlaceHolds                  []string
	ArchiveStatus                 string
	HiddenFromAddressListsEnabled bool
	GrantSendOnBehalfTo           []string
}

// Exchange is what the bot reads and changes in Exchange Online.
type Exchange interface {
	// GetMailbox runs Get-Mailbox -Identity; ErrNotFound when there is none.
	GetMailbox(ctx context.Context, identity string) (Mailbox, error)
	// SetMailboxType runs Set-Mailbox -Identity -Type.
	SetMailboxType(ctx context.Context, identity string, t MailboxType) error
}
