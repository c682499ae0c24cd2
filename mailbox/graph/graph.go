// Package graph implements mailbox.Directory on Microsoft Graph v1.0 with
// the Microsoft Graph Go SDK (msgraph-sdk-go).
//
// It reads a user (identity, sign-in state, directory sync, licenses with the
// group each comes from), a user's manager, the tenant's subscriptions, a
// group's name, a mail-enabled group by its address ($filter=mail eq '..',
// the address quoted as an OData literal) and a group's user members (every
// page); it enables or blocks sign-in, revokes sessions, assigns and
// removes licenses, resets a password, creates a Temporary Access Pass, and
// finds and restores a deleted user. Passwords and passes are never logged
// nor put in an error. Requests go through the SDK's middleware (telemetry,
// query name decoding, user agent, redirects, compression) with this
// package's retry handler, which honours Retry-After on 429, 503 and 504
// within a configurable number of attempts and wait budget. Graph errors
// become *mailbox.RemoteError carrying Microsoft's own code and message.
// Reading a mailbox's purpose (mailboxSettings) is not implemented.
package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	azauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	entra "github.com/microsoftgraph/msgraph-sdk-go/directory"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/subscribedskus"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mailboxbot/mailboxbot/internal/wait"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// DefaultBaseURL is Microsoft Graph v1.0 in the public cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Defaults of the retry handler.
const (
	DefaultMaxRetries   = 3
	DefaultRetryDelay   = time.Second
	DefaultMaxRetryWait = 3 * time.Minute
)

// ErrNoCredential: Config has neither a Credential nor a Token.
var ErrNoCredential = errors.New("graph: no credential configured")

// userFields returns the user properties the bot reads ($select).
func userFields() []string {
	return []string{
		"id", "displayName", "userPrincipalName", "mail", "proxyAddresses", "accountEnabled",
		"onPremisesSyncEnabled", "assignedLicenses", "licenseAssignmentStates",
		"signInSessionsValidFromDateTime",
	}
}

// Config configures a Client. Only one of Credential and Token is needed.
type Config struct {
	// BaseURL is the Graph root, default DefaultBaseURL
	// (https://graph.microsoft.us/v1.0 for GCC High, a test server's URL).
	BaseURL string

	// Credential obtains tokens for Scopes (see mailbox/msauth).
	Credential azcore.TokenCredential
	// Scopes default to the BaseURL's scheme and host + "/.default".
	Scopes []string
	// Token is a fixed bearer token, used when Credential is nil: for tests
	// against graphtest, or a token obtained elsewhere. It is sent only to
	// the BaseURL's host, and only over https.
	Token string

	// HTTPClient supplies the transport and timeout; nil uses a transport
	// that honours HTTPS_PROXY/NO_PROXY and a 100 s timeout.
	HTTPClient *http.Client
	// Logger receives retries; nil discards.
	Logger *slog.Logger

	// MaxRetries is how often a 429, 503 or 504 without Retry-After is
	// retried (one with Retry-After is retried within MaxRetryWait): 0
	// means DefaultMaxRetries, a negative number no retries at all.
	MaxRetries int
	// RetryDelay is the first back-off delay when the answer has no
	// Retry-After (doubled at each attempt); 0 means DefaultRetryDelay.
	RetryDelay time.Duration
	// MaxRetryWait bounds the total waiting for one request: a Retry-After
	// that would exceed it ends the retries and the throttling error is
	// returned (mailbox.ErrThrottled). 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Sleep waits between attempts; nil uses a timer. Tests record the
	// requested delays with it instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time, for Retry-After given as an HTTP date; default time.Now.
	Now func() time.Time
}

// Client is a mailbox.Directory on Microsoft Graph.
type Client struct {
	base    string // the Graph root, without a trailing slash
	adapter *core.GraphRequestAdapterBase
	log     *slog.Logger
}

// The request builders are made afresh for each call: a builder hands its
// path parameters map to the adapter, which writes the base URL into it,
// so a builder shared by concurrent calls is a concurrent map write that
// kills the process (found by issue 7's bulk run, in SubscribedSkus).

func (c *Client) users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{}, c.adapter)
}

func (c *Client) skus() *subscribedskus.SubscribedSkusRequestBuilder {
	return subscribedskus.NewSubscribedSkusRequestBuilderInternal(map[string]string{}, c.adapter)
}

func (c *Client) groups() *groups.GroupsRequestBuilder {
	return groups.NewGroupsRequestBuilderInternal(map[string]string{}, c.adapter)
}

func (c *Client) directory() *entra.DirectoryRequestBuilder {
	return entra.NewDirectoryRequestBuilderInternal(map[string]string{}, c.adapter)
}

var _ mailbox.Directory = (*Client)(nil)

// New returns a Client authenticating with cfg.Credential, else cfg.Token.
func New(cfg Config) (*Client, error) {
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	host := base.Hostname()
	var auth absauth.AuthenticationProvider
	switch {
	case cfg.Credential != nil:
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = []string{base.Scheme + "://" + base.Host + "/.default"}
		}
		auth, err = azauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cfg.Credential, scopes, []string{host})
		if err != nil {
			return nil, fmt.Errorf("graph: authentication provider: %w", err)
		}
	case cfg.Token != "":
		auth = absauth.NewBaseBearerTokenAuthenticationProvider(staticToken{
			token: cfg.Token,
			hosts: absauth.NewAllowedHostsValidator([]string{host}),
		})
	default:
		return nil, ErrNoCredential
	}
	return NewWithAuth(cfg, auth)
}

// NewWithAuth returns a Client authenticating with auth; cfg's Credential,
// Scopes and Token are ignored.
func NewWithAuth(cfg Config, auth absauth.AuthenticationProvider) (*Client, error) {
	if auth == nil {
		return nil, ErrNoCredential
	}
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonParseNodeFactory()
	write := absser.NewSerializationWriterFactoryRegistry()
	write.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonSerializationWriterFactory()

	adapter, err := core.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, core.GraphClientOptions{}, parse, write, httpClient(cfg, log))
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	root := strings.TrimSuffix(base.String(), "/")
	adapter.SetBaseUrl(root)
	return &Client{base: root, adapter: adapter, log: log}, nil
}

func baseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("graph: base URL %q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

// httpClient builds the SDK's middleware chain over the configured transport.
func httpClient(cfg Config, log *slog.Logger) *http.Client {
	var parent http.RoundTripper
	timeout := 100 * time.Second
	if cfg.HTTPClient != nil {
		parent = cfg.HTTPClient.Transport
		if cfg.HTTPClient.Timeout > 0 {
			timeout = cfg.HTTPClient.Timeout
		}
	}
	if parent == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		t.ForceAttemptHTTP2 = true
		parent = t
	}
	r := &retryHandler{
		maxRetries: cfg.MaxRetries,
		delay:      cfg.RetryDelay,
		maxWait:    cfg.MaxRetryWait,
		sleep:      cfg.Sleep,
		now:        cfg.Now,
		log:        log,
	}
	if r.maxRetries == 0 {
		r.maxRetries = DefaultMaxRetries
	}
	if r.delay <= 0 {
		r.delay = DefaultRetryDelay
	}
	if r.maxWait <= 0 {
		r.maxWait = DefaultMaxRetryWait
	}
	if r.sleep == nil {
		r.sleep = wait.Sleep
	}
	if r.now == nil {
		r.now = time.Now
	}
	// The order is fixed (kiota's GetDefaultMiddlewares builds it from a map,
	// in random order): retries sit inside the redirect handler and outside
	// compression, so that each attempt is compressed afresh.
	middlewares := []khttp.Middleware{
		core.NewGraphTelemetryHandler(&core.GraphClientOptions{}),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewRedirectHandler(),
		r,
		khttp.NewCompressionHandler(),
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, middlewares...),
		// The redirect handler follows redirects; net/http must not.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
}

// User returns the user with object id or user principal name idOrUPN.
func (c *Client) User(ctx context.Context, idOrUPN string) (mailbox.User, error) {
	op := "GET /users/" + idOrUPN
	if idOrUPN == "" {
		return mailbox.User{}, fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	u, err := c.users().ByUserId(idOrUPN).Get(ctx, &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userFields()},
	})
	if err != nil {
		return mailbox.User{}, remoteError(op, err)
	}
	if u == nil {
		return mailbox.User{}, fmt.Errorf("graph %s: empty answer", op)
	}
	return toUser(u), nil
}

// Manager returns the manager of userID; an error satisfying
// errors.Is(err, mailbox.ErrNotFound) when there is none, or when the
// manager is not a user (an organisational contact).
func (c *Client) Manager(ctx context.Context, userID string) (mailbox.User, error) {
	op := "GET /users/" + userID + "/manager"
	if userID == "" {
		return mailbox.User{}, fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	obj, err := c.users().ByUserId(userID).Manager().Get(ctx, &users.ItemManagerRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.ItemManagerRequestBuilderGetQueryParameters{Select: userFields()},
	})
	if err != nil {
		return mailbox.User{}, remoteError(op, err)
	}
	if obj == nil {
		return mailbox.User{}, fmt.Errorf("graph %s: empty answer", op)
	}
	if u, ok := obj.(models.Userable); ok {
		return toUser(u), nil
	}
	kind := deref(obj.GetOdataType())
	if id := deref(obj.GetId()); kind == "" && id != "" {
		// No @odata.type: read the object as a user.
		return c.User(ctx, id)
	}
	return mailbox.User{}, fmt.Errorf("graph %s: the manager is a %s, not a user: %w", op, kind, mailbox.ErrNotFound)
}

// SetAccountEnabled enables or blocks sign-in with
// PATCH /users/{id} {"accountEnabled":enabled}.
func (c *Client) SetAccountEnabled(ctx context.Context, userID string, enabled bool) error {
	op := "PATCH /users/" + userID
	if userID == "" {
		return fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	body := models.NewUser()
	body.SetOdataType(nil) // send only the property that changes
	body.SetAccountEnabled(&enabled)
	if _, err := c.users().ByUserId(userID).Patch(ctx, body, nil); err != nil {
		return remoteError(op, err)
	}
	return nil
}

// toUser maps a Graph user. Licenses come from licenseAssignmentStates (which
// say which group assigned each), skipping assignments in the Error state,
// else from assignedLicenses.
func toUser(u models.Userable) mailbox.User {
	out := mailbox.User{
		ID:                    deref(u.GetId()),
		DisplayName:           deref(u.GetDisplayName()),
		UserPrincipalName:     deref(u.GetUserPrincipalName()),
		Mail:                  deref(u.GetMail()),
		AccountEnabled:        deref(u.GetAccountEnabled()),
		OnPremisesSyncEnabled: deref(u.GetOnPremisesSyncEnabled()),
	}
	if t := u.GetSignInSessionsValidFromDateTime(); t != nil {
		out.SignInSessionsValidFrom = *t
	}
	if pa := u.GetProxyAddresses(); len(pa) > 0 {
		out.ProxyAddresses = slices.Clone(pa)
	}
	if states := u.GetLicenseAssignmentStates(); len(states) > 0 {
		for _, s := range states {
			if s == nil || s.GetSkuId() == nil || strings.EqualFold(deref(s.GetState()), "Error") {
				continue
			}
			out.Licenses = append(out.Licenses, mailbox.License{
				SkuID:           s.GetSkuId().String(),
				AssignedByGroup: deref(s.GetAssignedByGroup()),
			})
		}
		return out
	}
	for _, l := range u.GetAssignedLicenses() {
		if l == nil || l.GetSkuId() == nil {
			continue
		}
		out.Licenses = append(out.Licenses, mailbox.License{SkuID: l.GetSkuId().String()})
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// staticToken is a kiota AccessTokenProvider with a fixed token.
type staticToken struct {
	token string
	hosts absauth.AllowedHostsValidator
}

func (s staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !s.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", errors.New("graph: refusing to send a bearer token over plain http")
	}
	return s.token, nil
}

func (s staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator { return &s.hosts }
