package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
)

const (
	testToken = "test-token"
	skuE3     = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuEOP2   = "19ec0d23-8335-4cbd-94ac-6050e30712fa"
	groupID   = "3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516"
	skuAddon  = "ee02fd1b-340e-4a4b-b355-4a514e4c8943"
)

// directory is a tiny in-memory mailbox.Directory (and
// graphtest.DeletedUserLister) for the fake server.
type directory struct {
	mu       sync.Mutex
	users    map[string]mailbox.User // by id
	managers map[string]string       // user id -> manager id
	skus     []mailbox.Sku
	groups   map[string]string      // group id -> display name
	deleted  []mailbox.DeletedUser  // UPNs as they were before deletion
	noUsage  map[string]bool        // user ids without a usage location
	revoked  map[string]int         // user id -> revocations
	assigns  map[string]int         // user id -> successful assignLicense calls
	password map[string]resetRecord // user id -> last password reset
	taps     map[string]mailbox.TemporaryAccessPass
	restored []string
	now      time.Time
	mailGrps []mailbox.Group     // mail-enabled groups, for GroupByMail
	members  map[string][]string // group id -> member user ids
}

type resetRecord struct {
	password    string
	forceChange bool
}

func (d *directory) find(idOrUPN string) (mailbox.User, bool) {
	for _, u := range d.users {
		if u.ID == idOrUPN || strings.EqualFold(u.UserPrincipalName, idOrUPN) {
			return u, true
		}
	}
	return mailbox.User{}, false
}

func (d *directory) User(_ context.Context, idOrUPN string) (mailbox.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if u, ok := d.find(idOrUPN); ok {
		return u, nil
	}
	return mailbox.User{}, mailbox.ErrNotFound
}

func (d *directory) Manager(_ context.Context, userID string) (mailbox.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m, ok := d.users[d.managers[userID]]; ok {
		return m, nil
	}
	return mailbox.User{}, mailbox.ErrNotFound
}

func (d *directory) SetAccountEnabled(_ context.Context, userID string, enabled bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[userID]
	if !ok {
		return mailbox.ErrNotFound
	}
	u.AccountEnabled = enabled
	d.users[userID] = u
	return nil
}

func (d *directory) RevokeSignInSessions(_ context.Context, userID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[userID]; !ok {
		return mailbox.ErrNotFound
	}
	d.revoked[userID]++
	return nil
}

// AssignLicenses refuses as Graph does: a SKU with no free units, a user
// without a usage location.
func (d *directory) AssignLicenses(_ context.Context, userID string, add, remove []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[userID]
	if !ok {
		return mailbox.ErrNotFound
	}
	badRequest := func(msg string) error {
		return &mailbox.RemoteError{Service: "graph", Status: 400, Code: "Request_BadRequest", Message: msg}
	}
	if len(add) > 0 && d.noUsage[userID] {
		return badRequest("License assignment cannot be done for user with invalid usage location.")
	}
	for _, id := range add {
		i := slices.IndexFunc(d.skus, func(s mailbox.Sku) bool { return s.ID == id })
		if i < 0 || d.skus[i].Free() <= 0 {
			return badRequest("Subscription with SKU " + id + " does not have any available licenses.")
		}
	}
	for _, id := range add {
		if !slices.ContainsFunc(u.Licenses, func(l mailbox.License) bool { return l.SkuID == id && l.AssignedByGroup == "" }) {
			u.Licenses = append(u.Licenses, mailbox.License{SkuID: id})
			i := slices.IndexFunc(d.skus, func(s mailbox.Sku) bool { return s.ID == id })
			d.skus[i].Consumed++
		}
	}
	u.Licenses = slices.DeleteFunc(u.Licenses, func(l mailbox.License) bool {
		return l.AssignedByGroup == "" && slices.Contains(remove, l.SkuID)
	})
	d.users[userID] = u
	d.assigns[userID]++
	return nil
}

func (d *directory) SubscribedSkus(context.Context) ([]mailbox.Sku, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.skus), nil
}

func (d *directory) GroupName(_ context.Context, groupID string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.groups[groupID]; ok {
		return n, nil
	}
	return "", mailbox.ErrNotFound
}

func (d *directory) ResetPassword(_ context.Context, userID, password string, forceChange bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[userID]; !ok {
		return mailbox.ErrNotFound
	}
	d.password[userID] = resetRecord{password, forceChange}
	return nil
}

func (d *directory) CreateTemporaryAccessPass(_ context.Context, userID string, lifetime time.Duration) (mailbox.TemporaryAccessPass, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.users[userID]; !ok {
		return mailbox.TemporaryAccessPass{}, mailbox.ErrNotFound
	}
	tap := mailbox.TemporaryAccessPass{Pass: "Qh7#tK9!mW2$", ExpiresAt: d.now.Add(lifetime)}
	d.taps[userID] = tap
	return tap, nil
}

// DeletedUser is the backend's own lookup; the fake lists DeletedUsers.
func (d *directory) DeletedUser(_ context.Context, upn string) (mailbox.DeletedUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range d.deleted {
		if strings.EqualFold(u.UserPrincipalName, upn) {
			return u, nil
		}
	}
	return mailbox.DeletedUser{}, mailbox.ErrNotFound
}

func (d *directory) DeletedUsers(context.Context) ([]mailbox.DeletedUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.deleted), nil
}

func (d *directory) RestoreDeletedUser(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.deleted, func(u mailbox.DeletedUser) bool { return u.ID == id })
	if i < 0 {
		return mailbox.ErrNotFound
	}
	d.users[id] = d.deleted[i].User
	d.deleted = slices.Delete(d.deleted, i, i+1)
	d.restored = append(d.restored, id)
	return nil
}

// GroupsByMail (graphtest.GroupsByMailLister) lists every group with the
// address, so that a test can give two groups one address.
func (d *directory) GroupsByMail(_ context.Context, address string) ([]mailbox.Group, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []mailbox.Group
	for _, g := range d.mailGrps {
		if strings.EqualFold(g.Mail, address) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (d *directory) GroupByMail(ctx context.Context, address string) (mailbox.Group, error) {
	gs, _ := d.GroupsByMail(ctx, address)
	if len(gs) == 0 {
		return mailbox.Group{}, mailbox.ErrNotFound
	}
	return gs[0], nil
}

func (d *directory) GroupMembers(_ context.Context, groupID string) ([]mailbox.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids, ok := d.members[groupID]
	if !ok {
		return nil, mailbox.ErrNotFound
	}
	out := []mailbox.User{}
	for _, id := range ids {
		out = append(out, d.users[id])
	}
	return out, nil
}

// TransitiveMembers lists the direct members: this directory nests no groups.
func (d *directory) TransitiveMembers(ctx context.Context, groupID string) ([]mailbox.Principal, error) {
	users, err := d.GroupMembers(ctx, groupID)
	out := []mailbox.Principal{}
	for _, u := range users {
		out = append(out, mailbox.Principal{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail})
	}
	return out, err
}

func (d *directory) enabled(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.users[id].AccountEnabled
}

var (
	alice = mailbox.User{
		ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", DisplayName: "Alice Andersen",
		UserPrincipalName: "alice@contoso.com", Mail: "alice@contoso.com", AccountEnabled: true,
		Licenses: []mailbox.License{{SkuID: skuE3}, {SkuID: skuEOP2, AssignedByGroup: groupID}},
		// Her sessions were revoked once (signInSessionsValidFromDateTime).
		SignInSessionsValidFrom: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
	}
	bob = mailbox.User{
		ID: "5c1f0b0e-8d1a-4f3e-9b7c-2a6d4e8f1a2b", DisplayName: "Bob Berg",
		UserPrincipalName: "bob@contoso.com", Mail: "bob.berg@contoso.com", AccountEnabled: true,
		OnPremisesSyncEnabled: true,
		Licenses:              []mailbox.License{{SkuID: skuE3}},
	}
	obrien = mailbox.User{
		ID: "0b9e2d7a-1c3f-4e5d-8a6b-9c0d1e2f3a4b", DisplayName: "Siobhan O'Brien",
		UserPrincipalName: "o'brien+test#1@contoso.com", AccountEnabled: true,
	}
)

func newDirectory() *directory {
	return &directory{
		users:    map[string]mailbox.User{alice.ID: alice, bob.ID: bob, obrien.ID: obrien},
		managers: map[string]string{alice.ID: bob.ID},
		skus:     slices.Clone(tenantSkus),
		groups:   map[string]string{groupID: "Licensing - Exchange Plan 2"},
		noUsage:  map[string]bool{},
		revoked:  map[string]int{},
		assigns:  map[string]int{},
		password: map[string]resetRecord{},
		taps:     map[string]mailbox.TemporaryAccessPass{},
		now:      time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC),
		members:  map[string][]string{},
	}
}

// tenantSkus are the tenant's subscriptions: E3 with free units, Exchange
// Online Plan 2 with none, and a tenant-wide add-on.
var tenantSkus = []mailbox.Sku{
	{ID: skuE3, PartNumber: "ENTERPRISEPACK", AppliesTo: "User", CapabilityStatus: "Enabled", Enabled: 25, Consumed: 14,
		ServicePlans: []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1"}},
	{ID: skuEOP2, PartNumber: "EXCHANGEENTERPRISE", AppliesTo: "User", CapabilityStatus: "Enabled", Enabled: 5, Consumed: 5,
		ServicePlans: []string{"EXCHANGE_S_ENTERPRISE"}},
	{ID: skuAddon, PartNumber: "EXCHANGEARCHIVE_ADDON", AppliesTo: "Company", CapabilityStatus: "Warning", Enabled: 10, Consumed: 0,
		ServicePlans: []string{"EXCHANGE_S_ARCHIVE_ADDON"}},
}

// setup starts the fake over a fresh directory and a client for it.
func setup(t *testing.T, cfg Config) (*Client, *graphtest.Server, *directory) {
	t.Helper()
	return setupWith(t, cfg, graphtest.Options{})
}

// setupWith is setup with the fake's options (its Token is testToken).
func setupWith(t *testing.T, cfg Config, opts graphtest.Options) (*Client, *graphtest.Server, *directory) {
	t.Helper()
	dir := newDirectory()
	c, srv := serve(t, cfg, dir, opts)
	return c, srv, dir
}

// serve starts the fake over backend and a client for it.
func serve(t *testing.T, cfg Config, backend mailbox.Directory, opts graphtest.Options) (*Client, *graphtest.Server) {
	t.Helper()
	opts.Token = testToken
	srv := graphtest.New(backend, opts)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL()
	cfg.HTTPClient = srv.Client()
	if cfg.Credential == nil && cfg.Token == "" {
		cfg.Token = testToken
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// recorder is a Config.Sleep that records the delays and does not wait.
type recorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delays = append(r.delays, d)
	return nil
}

func (r *recorder) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.delays...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func remote(t *testing.T, err error) *mailbox.RemoteError {
	t.Helper()
	var re *mailbox.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want a *mailbox.RemoteError", err, err)
	}
	return re
}

func TestUser(t *testing.T) {
	c, srv, _ := setup(t, Config{})
	got, err := c.User(ctx(t), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, alice) {
		t.Errorf("User = %+v\nwant %+v", got, alice)
	}
	if got.Licenses[1].AssignedByGroup != groupID {
		t.Errorf("group-assigned license lost: %+v", got.Licenses)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != "/users/alice@contoso.com" {
		t.Fatalf("calls = %+v", calls)
	}
	if sel := calls[0].Query.Get("$select"); sel != "id,displayName,userPrincipalName,mail,proxyAddresses,accountEnabled,onPremisesSyncEnabled,assignedLicenses,licenseAssignmentStates,signInSessionsValidFromDateTime" {
		t.Errorf("$select = %q", sel)
	}

	got, err = c.User(ctx(t), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, bob) {
		t.Errorf("User = %+v\nwant %+v", got, bob)
	}
}

func TestUserNotFound(t *testing.T) {
	c, _, _ := setup(t, Config{})
	_, err := c.User(ctx(t), "nobody@contoso.com")
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	want := &mailbox.RemoteError{
		Service: "graph", Op: "GET /users/nobody@contoso.com", Status: 404, Code: "Request_ResourceNotFound",
		Message: "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.",
	}
	if re := remote(t, err); !reflect.DeepEqual(re, want) {
		t.Errorf("err = %+v\nwant %+v", re, want)
	}
}

func TestManager(t *testing.T) {
	c, srv, _ := setup(t, Config{})
	m, err := c.Manager(ctx(t), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, bob) {
		t.Errorf("Manager = %+v\nwant %+v", m, bob)
	}
	if n := srv.Count("GET", "/users/"+alice.ID+"/manager"); n != 1 {
		t.Errorf("manager calls = %d", n)
	}

	_, err = c.Manager(ctx(t), bob.ID)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatalf("no manager: err = %v, want ErrNotFound", err)
	}
	re := remote(t, err)
	if re.Status != 404 || re.Op != "GET /users/"+bob.ID+"/manager" || !strings.HasPrefix(re.Message, "Resource 'manager' does not exist") {
		t.Errorf("no manager: %+v", re)
	}
}

func TestSetAccountEnabled(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	if err := c.SetAccountEnabled(ctx(t), alice.ID, false); err != nil {
		t.Fatal(err)
	}
	if dir.enabled(alice.ID) {
		t.Error("account still enabled")
	}
	if err := c.SetAccountEnabled(ctx(t), alice.ID, true); err != nil {
		t.Fatal(err)
	}
	if !dir.enabled(alice.ID) {
		t.Error("account not enabled again")
	}
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("calls = %+v", calls)
	}
	for i, want := range []string{`{"accountEnabled":false}`, `{"accountEnabled":true}`} {
		if calls[i].Method != "PATCH" || calls[i].Path != "/users/"+alice.ID || calls[i].Body != want || calls[i].Status != 204 {
			t.Errorf("call %d = %+v, want PATCH with %s -> 204", i, calls[i], want)
		}
	}

	err := c.SetAccountEnabled(ctx(t), "nobody@contoso.com", false)
	if !errors.Is(err, mailbox.ErrNotFound) || remote(t, err).Op != "PATCH /users/nobody@contoso.com" {
		t.Errorf("unknown user: err = %v", err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Sleep: rec.sleep, RetryDelay: 10 * time.Millisecond})

	srv.FailNext(1, 429, "7")
	if _, err := c.User(ctx(t), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); !reflect.DeepEqual(got, []time.Duration{7 * time.Second}) {
		t.Errorf("waited %v, want the Retry-After of 7s", got)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Errorf("calls = %+v, want a 429 then a 200", calls)
	}

	// Without Retry-After: RetryDelay, doubled.
	srv.FailNext(2, 503, "")
	if _, err := c.Manager(ctx(t), alice.ID); err != nil {
		t.Fatal(err)
	}
	if got := rec.got()[1:]; !reflect.DeepEqual(got, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}) {
		t.Errorf("back-off %v, want [10ms 20ms]", got)
	}
}

func TestRetryReplaysBody(t *testing.T) {
	// The real timer, with Retry-After: 0 and a tiny RetryDelay.
	c, srv, dir := setup(t, Config{RetryDelay: time.Millisecond})
	srv.FailNext(1, 429, "0")
	if err := c.SetAccountEnabled(ctx(t), alice.ID, false); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 204 {
		t.Fatalf("calls = %+v", calls)
	}
	for _, call := range calls {
		if call.Body != `{"accountEnabled":false}` {
			t.Errorf("attempt sent %q", call.Body)
		}
	}
	if dir.enabled(alice.ID) {
		t.Error("account still enabled")
	}

	// Every second request throttled: each call succeeds after one retry.
	srv.FailEvery(2, 503, "")
	for range 3 {
		if _, err := c.User(ctx(t), alice.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count("GET", "/users/"); n != 5 {
		t.Errorf("GETs = %d, want 5 (3 calls, 2 retried)", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Sleep: rec.sleep, MaxRetries: 2})
	srv.FailNext(10, 429, "") // no Retry-After: the retries are counted
	_, err := c.User(ctx(t), "alice@contoso.com")
	if !errors.Is(err, mailbox.ErrThrottled) {
		t.Fatalf("err = %v, want ErrThrottled", err)
	}
	want := &mailbox.RemoteError{Service: "graph", Op: "GET /users/alice@contoso.com", Status: 429,
		Code: "TooManyRequests", Message: "Too many requests."}
	if re := remote(t, err); !reflect.DeepEqual(re, want) || !re.Temporary() {
		t.Errorf("err = %+v\nwant %+v", re, want)
	}
	if n := srv.Count("GET", "/users/alice@contoso.com"); n != 3 {
		t.Errorf("attempts = %d, want 3 (1 + MaxRetries)", n)
	}
	if got := rec.got(); len(got) != 2 {
		t.Errorf("waits = %v", got)
	}
}

// TestRetryAfterNotCounted: Microsoft's Retry-After is followed however
// often it comes, within the wait budget: a tenant throttled for a while
// makes a request queue, not fail.
func TestRetryAfterNotCounted(t *testing.T) {
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Sleep: rec.sleep, MaxRetries: 2})
	srv.FailNext(10, 429, "1")
	if _, err := c.User(ctx(t), "alice@contoso.com"); err != nil {
		t.Fatalf("after 10 throttled answers within the budget: %v", err)
	}
	if got := rec.got(); len(got) != 10 {
		t.Errorf("waits = %v, want ten of 1s", got)
	}
	// Retry-After: 0 would never exhaust the budget: it is counted.
	c, srv, _ = setup(t, Config{Sleep: rec.sleep, MaxRetries: 2})
	srv.FailNext(50, 429, "0")
	if _, err := c.User(ctx(t), "alice@contoso.com"); !errors.Is(err, mailbox.ErrThrottled) {
		t.Errorf("Retry-After 0, fifty times: %v, want the 429 after 2 retries", err)
	}
	if n := srv.Count("GET", "/users/alice@contoso.com"); n != 3 {
		t.Errorf("Retry-After 0: %d calls, want 3", n)
	}
	c, srv, _ = setup(t, Config{Sleep: rec.sleep, MaxRetries: -1})
	srv.FailNext(1, 429, "1")
	if _, err := c.User(ctx(t), "alice@contoso.com"); !errors.Is(err, mailbox.ErrThrottled) {
		t.Errorf("MaxRetries < 0 retried a 429: %v", err)
	}
}

func TestRetryAfterBeyondBudget(t *testing.T) {
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Sleep: rec.sleep, MaxRetryWait: time.Minute})
	srv.FailNext(1, 429, "120")
	_, err := c.User(ctx(t), alice.ID)
	if remote(t, err).Status != 429 {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Count("", "/"); n != 1 || len(rec.got()) != 0 {
		t.Errorf("calls = %d, waits = %v: want no retry beyond the wait budget", n, rec.got())
	}

	c, srv, _ = setup(t, Config{Sleep: rec.sleep, MaxRetries: -1})
	srv.FailNext(1, 503, "")
	if _, err := c.User(ctx(t), alice.ID); remote(t, err).Status != 503 || srv.Count("", "/") != 1 {
		t.Errorf("MaxRetries -1: err = %v, calls = %d", err, srv.Count("", "/"))
	}
}

func TestBearerToken(t *testing.T) {
	c, _, _ := setup(t, Config{Token: "wrong-token"})
	_, err := c.User(ctx(t), alice.ID)
	if !errors.Is(err, mailbox.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	if re := remote(t, err); re.Status != 401 || re.Code != "InvalidAuthenticationToken" {
		t.Errorf("err = %+v", re)
	}
}

// credential is an azcore.TokenCredential handing out testToken.
type credential struct {
	mu     sync.Mutex
	scopes [][]string
}

func (c *credential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, o.Scopes)
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestCredential(t *testing.T) {
	cred := &credential{}
	c, srv, _ := setup(t, Config{Credential: cred})
	if _, err := c.User(ctx(t), alice.ID); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimSuffix(srv.URL(), "/v1.0")
	cred.mu.Lock()
	defer cred.mu.Unlock()
	if len(cred.scopes) != 1 || !reflect.DeepEqual(cred.scopes[0], []string{host + "/.default"}) {
		t.Errorf("scopes = %v, want [%s/.default]", cred.scopes, host)
	}
}

func TestSpecialCharactersInUPN(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	got, err := c.User(ctx(t), obrien.UserPrincipalName)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != obrien.ID || got.UserPrincipalName != obrien.UserPrincipalName {
		t.Errorf("User = %+v", got)
	}
	if err := c.SetAccountEnabled(ctx(t), obrien.UserPrincipalName, false); err != nil {
		t.Fatal(err)
	}
	if dir.enabled(obrien.ID) {
		t.Error("account still enabled")
	}
	for _, call := range srv.Calls() {
		if call.Path != "/users/"+obrien.UserPrincipalName {
			t.Errorf("server saw path %q", call.Path)
		}
		if !strings.Contains(call.RawPath, "%23") || !strings.Contains(call.RawPath, "%2B") {
			t.Errorf("sent path %q, want '#' and '+' escaped", call.RawPath)
		}
	}
}

func TestManagerNotAUser(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"@odata.context":"x","@odata.type":"#microsoft.graph.orgContact","id":"c0n7ac7","displayName":"Partner"}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/v1.0", HTTPClient: srv.Client(), Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Manager(ctx(t), alice.ID)
	if !errors.Is(err, mailbox.ErrNotFound) || !strings.Contains(err.Error(), "orgContact") {
		t.Errorf("err = %v, want ErrNotFound naming the orgContact", err)
	}
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrNoCredential) {
		t.Errorf("no credential: err = %v", err)
	}
	if _, err := New(Config{BaseURL: "graph.microsoft.com", Token: "x"}); err == nil {
		t.Error("relative base URL accepted")
	}
	// A token is never sent over plain http.
	c, err := New(Config{BaseURL: "http://127.0.0.1:1/v1.0", Token: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.User(ctx(t), "alice@contoso.com"); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http: err = %v", err)
	}
}

// TestConcurrentCalls: one Client serves every job of a replica at once.
// The SDK's request builders must not be shared between calls (a shared
// builder's path parameters were written concurrently: a fatal "concurrent
// map writes" killed serve in issue 7's bulk run). Run it with -race.
func TestConcurrentCalls(t *testing.T) {
	c, _, _ := setup(t, Config{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.SubscribedSkus(ctx(t)); err != nil {
				t.Error(err)
			}
			if _, err := c.User(ctx(t), "alice@contoso.com"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
