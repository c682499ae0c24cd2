package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mailboxbot/mailboxbot/internal/wait"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
)

const (
	tenant = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"
	token  = "tok-123"
)

// staticCred is an azcore.TokenCredential that hands out one token and
// records what it was asked for.
type staticCred struct {
	token string
	err   error

	mu   sync.Mutex
	asks []policy.TokenRequestOptions
}

func (c *staticCred) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asks = append(c.asks, o)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// memExchange is a minimal mailbox.Exchange backend for the fake server.
// It records every change it makes, with the exact arguments it received.
type memExchange struct {
	mu      sync.Mutex
	mbx     map[string]mailbox.Mailbox           // by lower-case UPN
	stats   map[string]mailbox.MailboxStatistics // by lower-case UPN
	full    map[string][]mailbox.Permission      // Get-MailboxPermission, by lower-case UPN
	sendAs  map[string][]mailbox.Permission      // Get-RecipientPermission, by lower-case UPN
	changes []string                             // "AddFullAccess <identity> <user> <automapping>", ...
	domains []string                             // Get-AcceptedDomain
	others  map[string]bool                      // addresses of recipients that are not mailboxes, lower-case
}

func (m *memExchange) GetMailbox(_ context.Context, id string) (mailbox.Mailbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mbx[strings.ToLower(id)]
	if !ok {
		return mailbox.Mailbox{}, mailbox.ErrNotFound
	}
	return mb, nil
}

func (m *memExchange) SetMailboxType(_ context.Context, id string, t mailbox.MailboxType) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mbx[strings.ToLower(id)]
	if !ok {
		return mailbox.ErrNotFound
	}
	switch t {
	case mailbox.TypeShared:
		mb.RecipientTypeDetails = mailbox.RecipientSharedMailbox
	case mailbox.TypeRegular:
		mb.RecipientTypeDetails = mailbox.RecipientUserMailbox
	default:
		return &mailbox.RemoteError{Status: 400, Code: "BadRequest", Message: "bad type " + string(t)}
	}
	m.mbx[strings.ToLower(id)] = mb
	return nil
}

// has reports whether the mailbox exists; m.mu is held.
func (m *memExchange) has(id string) bool {
	_, ok := m.mbx[strings.ToLower(id)]
	return ok
}

func (m *memExchange) MailboxStatistics(_ context.Context, id string) (mailbox.MailboxStatistics, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return mailbox.MailboxStatistics{}, mailbox.ErrNotFound
	}
	return m.stats[strings.ToLower(id)], nil
}

func (m *memExchange) MailboxPermissions(_ context.Context, id string) ([]mailbox.Permission, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return nil, mailbox.ErrNotFound
	}
	return append([]mailbox.Permission(nil), m.full[strings.ToLower(id)]...), nil
}

func (m *memExchange) RecipientPermissions(_ context.Context, id string) ([]mailbox.Permission, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return nil, mailbox.ErrNotFound
	}
	return append([]mailbox.Permission(nil), m.sendAs[strings.ToLower(id)]...), nil
}

// grant adds a direct right for who unless present; revoke removes it.
func grant(perms map[string][]mailbox.Permission, id, who, right string) {
	k := strings.ToLower(id)
	for _, p := range perms[k] {
		if !p.IsInherited && !p.Deny && strings.EqualFold(p.User, who) {
			return
		}
	}
	perms[k] = append(perms[k], mailbox.Permission{User: who, AccessRights: []string{right}})
}

func revoke(perms map[string][]mailbox.Permission, id, who string) {
	k := strings.ToLower(id)
	var keep []mailbox.Permission
	for _, p := range perms[k] {
		if p.IsInherited || p.Deny || !strings.EqualFold(p.User, who) {
			keep = append(keep, p)
		}
	}
	perms[k] = keep
}

func (m *memExchange) AddFullAccess(_ context.Context, id, user string, autoMapping bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return mailbox.ErrNotFound
	}
	m.changes = append(m.changes, fmt.Sprintf("AddFullAccess %s %s %t", id, user, autoMapping))
	grant(m.full, id, user, mailbox.RightFullAccess)
	return nil
}

func (m *memExchange) RemoveFullAccess(_ context.Context, id, user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return mailbox.ErrNotFound
	}
	m.changes = append(m.changes, fmt.Sprintf("RemoveFullAccess %s %s", id, user))
	revoke(m.full, id, user)
	return nil
}

func (m *memExchange) AddSendAs(_ context.Context, id, trustee string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return mailbox.ErrNotFound
	}
	m.changes = append(m.changes, fmt.Sprintf("AddSendAs %s %s", id, trustee))
	grant(m.sendAs, id, trustee, mailbox.RightSendAs)
	return nil
}

func (m *memExchange) RemoveSendAs(_ context.Context, id, trustee string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.has(id) {
		return mailbox.ErrNotFound
	}
	m.changes = append(m.changes, fmt.Sprintf("RemoveSendAs %s %s", id, trustee))
	revoke(m.sendAs, id, trustee)
	return nil
}

// SetSendOnBehalf adds and removes delegates of GrantSendOnBehalfTo.
func (m *memExchange) SetSendOnBehalf(_ context.Context, id string, add, remove []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mb, ok := m.mbx[strings.ToLower(id)]
	if !ok {
		return mailbox.ErrNotFound
	}
	m.changes = append(m.changes, fmt.Sprintf("SetSendOnBehalf %s %q %q", id, add, remove))
	list := slices.Clone(mb.GrantSendOnBehalfTo)
	for _, a := range add {
		if !slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, a) }) {
			list = append(list, a)
		}
	}
	list = slices.DeleteFunc(list, func(x string) bool {
		return slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(x, r) })
	})
	mb.GrantSendOnBehalfTo = list
	m.mbx[strings.ToLower(id)] = mb
	return nil
}

// taken reports whether a recipient has address; m.mu is held.
func (m *memExchange) taken(address string) bool {
	if m.others[strings.ToLower(address)] {
		return true
	}
	for _, mb := range m.mbx {
		if strings.EqualFold(mb.PrimarySMTPAddress, address) || strings.EqualFold(mb.UserPrincipalName, address) {
			return true
		}
	}
	return false
}

// NewSharedMailbox refuses a taken address with Exchange's sentence, without
// its exception name (the fake adds it).
func (m *memExchange) NewSharedMailbox(_ context.Context, name, displayName, address string) (mailbox.Mailbox, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.taken(address) {
		return mailbox.Mailbox{}, &mailbox.RemoteError{Service: "exchange", Op: "New-Mailbox", Status: 400,
			Code: "BadRequest", Message: exchangetest.AddressTakenMessage(address)}
	}
	m.changes = append(m.changes, fmt.Sprintf("NewSharedMailbox %s|%s|%s", name, displayName, address))
	mb := mailbox.Mailbox{
		Identity:             name,
		DisplayName:          displayName,
		UserPrincipalName:    address,
		PrimarySMTPAddress:   address,
		RecipientTypeDetails: mailbox.RecipientSharedMailbox,
	}
	m.mbx[strings.ToLower(address)] = mb
	return mb, nil
}

func (m *memExchange) AcceptedDomains(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.domains), nil
}

func (m *memExchange) RecipientExists(_ context.Context, address string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.taken(address), nil
}

func (m *memExchange) changed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.changes...)
}

func alice() mailbox.Mailbox {
	return mailbox.Mailbox{
		Identity:                      "Alice Andersen",
		DisplayName:                   "Alice Andersen",
		UserPrincipalName:             "alice@contoso.com",
		PrimarySMTPAddress:            "alice@contoso.com",
		ExternalDirectoryObjectID:     "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
		RecipientTypeDetails:          mailbox.RecipientUserMailbox,
		IsDirSynced:                   true,
		LitigationHoldEnabled:         true,
		InPlaceHolds:                  []string{"UniH7d3f"},
		ArchiveStatus:                 "Active",
		HiddenFromAddressListsEnabled: true,
		GrantSendOnBehalfTo:           []string{"bob"},
		AutoExpandingArchiveEnabled:   true,
	}
}

func newBackend(mbs ...mailbox.Mailbox) *memExchange {
	m := &memExchange{
		mbx:    map[string]mailbox.Mailbox{},
		stats:  map[string]mailbox.MailboxStatistics{},
		full:   map[string][]mailbox.Permission{},
		sendAs: map[string][]mailbox.Permission{},
		others: map[string]bool{},
	}
	for _, mb := range mbs {
		m.mbx[strings.ToLower(mb.UserPrincipalName)] = mb
	}
	return m
}

// sleeps records the waits a Client asks for, without waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

type fixture struct {
	c    *Client
	srv  *exchangetest.Server
	cred *staticCred
	sl   *sleeps
}

func setup(t *testing.T, backend mailbox.Exchange, opts exchangetest.Options, mod func(*Config)) fixture {
	t.Helper()
	if opts.TenantID == "" {
		opts.TenantID = tenant
	}
	if opts.Token == "" {
		opts.Token = token
	}
	srv := exchangetest.New(backend, opts)
	t.Cleanup(srv.Close)
	f := fixture{srv: srv, cred: &staticCred{token: token}, sl: &sleeps{}}
	cfg := Config{
		BaseURL:    srv.URL(),
		TenantID:   tenant,
		Credential: f.cred,
		HTTPClient: srv.Client(),
		Sleep:      f.sl.sleep,
		BaseDelay:  time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

func remote(t *testing.T, err error) *mailbox.RemoteError {
	t.Helper()
	var re *mailbox.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *mailbox.RemoteError", err, err)
	}
	return re
}

func TestGetMailboxMapsFields(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	got, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if want := alice(); !reflect.DeepEqual(got, want) {
		t.Errorf("GetMailbox:\n got %+v\nwant %+v", got, want)
	}
	calls := f.srv.Calls()
	if len(calls) != 1 || calls[0].Cmdlet != "Get-Mailbox" || !reflect.DeepEqual(calls[0].Parameters, map[string]any{"Identity": "alice@contoso.com"}) {
		t.Errorf("calls = %+v", calls)
	}
}

func TestGetMailboxFromSample(t *testing.T) {
	raw, err := os.ReadFile("testdata/exchange-get-mailbox.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	f.srv.Handle("Get-Mailbox", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{sample.Value[0]}, nil, nil
	})
	got, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	want := mailbox.Mailbox{
		Identity:                  "Alice Andersen",
		DisplayName:               "Alice Andersen",
		UserPrincipalName:         "alice@contoso.com",
		PrimarySMTPAddress:        "alice@contoso.com",
		ExternalDirectoryObjectID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
		RecipientTypeDetails:      "UserMailbox",
		InPlaceHolds:              []string{},
		ArchiveStatus:             "None",
		GrantSendOnBehalfTo:       []string{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetMailbox:\n got %+v\nwant %+v", got, want)
	}
}

func TestGetMailboxEmptyAndAmbiguous(t *testing.T) {
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	var n atomic.Int32
	f.srv.Handle("Get-Mailbox", func(context.Context, map[string]any) ([]any, []string, error) {
		if n.Add(1) == 1 {
			return nil, nil, nil
		}
		return []any{exchangetest.WireMailbox(alice()), exchangetest.WireMailbox(alice())}, nil, nil
	})
	if _, err := f.c.GetMailbox(t.Context(), "x@contoso.com"); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("empty answer: err = %v, want ErrNotFound", err)
	}
	if _, err := f.c.GetMailbox(t.Context(), "x@contoso.com"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two answers: err = %v, want ErrAmbiguous", err)
	}
}

func TestSetMailboxType(t *testing.T) {
	be := newBackend(alice())
	f := setup(t, be, exchangetest.Options{}, nil)
	ctx := t.Context()
	if err := f.c.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); err != nil {
		t.Fatal(err)
	}
	mb, _ := be.GetMailbox(ctx, "alice@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Fatalf("backend type = %q", mb.RecipientTypeDetails)
	}
	want := map[string]any{"Identity": "alice@contoso.com", "Type": "Shared", "Confirm": false}
	if got := f.srv.Calls()[0].Parameters; !reflect.DeepEqual(got, want) {
		t.Errorf("parameters = %#v, want %#v", got, want)
	}

	// Again: Exchange answers with the "no settings modified" warning, which is success.
	res, err := f.c.Invoke(ctx, "Set-Mailbox", map[string]any{"Identity": "alice@contoso.com", "Type": "Shared", "Confirm": false})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !NoChange(res.Warnings[0]) ||
		res.Warnings[0] != "The command completed successfully but no settings of 'Alice Andersen' have been modified." {
		t.Fatalf("warnings = %q", res.Warnings)
	}
	if err := f.c.SetMailboxType(ctx, "alice@contoso.com", mailbox.TypeShared); err != nil {
		t.Errorf("no-change Set-Mailbox: %v", err)
	}
	if err := f.c.SetMailboxType(ctx, "nobody@contoso.com", mailbox.TypeShared); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("unknown mailbox: err = %v, want ErrNotFound", err)
	}
}

func TestPagingThreePages(t *testing.T) {
	f := setup(t, newBackend(), exchangetest.Options{PageSize: 3}, nil)
	f.srv.Handle("Get-Recipient", func(context.Context, map[string]any) ([]any, []string, error) {
		var vs []any
		for i := range 7 {
			vs = append(vs, map[string]any{"N": i})
		}
		return vs, []string{"first page warning"}, nil
	})
	res, err := f.c.Invoke(t.Context(), "Get-Recipient", map[string]any{"ResultSize": "Unlimited"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Values) != 7 {
		t.Fatalf("got %d values, want 7", len(res.Values))
	}
	for i, v := range res.Values {
		var o struct{ N int }
		if err := json.Unmarshal(v, &o); err != nil || o.N != i {
			t.Errorf("value %d = %s", i, v)
		}
	}
	if !reflect.DeepEqual(res.Warnings, []string{"first page warning"}) {
		t.Errorf("warnings = %q", res.Warnings)
	}
	calls := f.srv.Calls()
	if len(calls) != 3 || f.srv.Count("Get-Recipient") != 3 {
		t.Fatalf("%d calls, want 3 pages", len(calls))
	}
	for i, c := range calls {
		if string(c.Body) != string(calls[0].Body) {
			t.Errorf("page %d body %s differs from %s", i, c.Body, calls[0].Body)
		}
		if (i == 0) != (c.SkipToken == "") {
			t.Errorf("page %d skip token %q", i, c.SkipToken)
		}
	}
}

const notFoundSentence = "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'."

func TestNotFoundErrorText(t *testing.T) {
	f := setup(t, newBackend(), exchangetest.Options{}, nil)
	_, err := f.c.GetMailbox(t.Context(), "nobody@contoso.com")
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	re := remote(t, err)
	if re.Service != "exchange" || re.Op != "Get-Mailbox" || re.Status != 404 || re.Code != "NotFound" || re.Message != notFoundSentence {
		t.Errorf("RemoteError = %+v", re)
	}
	if re.Temporary() || f.srv.Count("Get-Mailbox") != 1 {
		t.Errorf("a 404 must not be retried: %d calls", f.srv.Count("Get-Mailbox"))
	}
}

func TestNotFoundSampleBody(t *testing.T) {
	raw, err := os.ReadFile("testdata/exchange-error-notfound.json")
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.srv.FailNext(1, 404, "", string(raw))
	_, err = f.c.GetMailbox(t.Context(), "alice@contoso.com")
	re := remote(t, err)
	if !errors.Is(err, mailbox.ErrNotFound) || re.Message != notFoundSentence || re.Code != "NotFound" {
		t.Errorf("err = %v", err)
	}
}

func TestForbiddenNonJSON(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"plain", "  Forbidden: the application lacks the Exchange.ManageAsApp role.\r\n", "Forbidden: the application lacks the Exchange.ManageAsApp role."},
		{"html", "<html><head><title>403 - Forbidden: Access is denied.</title></head><body><h1>Server Error</h1></body></html>", "403 - Forbidden: Access is denied."},
		{"empty", "", "Forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
			if tc.body == "" {
				f.srv.FailNext(1, 403, "", "")
			} else {
				f.srv.FailNext(1, 403, "", tc.body)
			}
			_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
			re := remote(t, err)
			if re.Status != 403 || !errors.Is(err, mailbox.ErrForbidden) || re.Temporary() {
				t.Errorf("err = %v", err)
			}
			if re.Message != tc.want {
				t.Errorf("Message = %q, want %q", re.Message, tc.want)
			}
			if n := f.srv.Count("Get-Mailbox"); n != 1 {
				t.Errorf("%d calls; a 403 must not be retried", n)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.srv.FailNext(1, 429, "7", "")
	mb, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if err != nil || mb.UserPrincipalName != "alice@contoso.com" {
		t.Fatalf("GetMailbox = %+v, %v", mb, err)
	}
	if got := f.sl.got(); !reflect.DeepEqual(got, []time.Duration{7 * time.Second}) {
		t.Errorf("sleeps = %v, want [7s]", got)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestServiceUnavailableBackoff(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.srv.FailNext(2, 503, "", "")
	if _, err := f.c.GetMailbox(t.Context(), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	got := f.sl.got()
	if len(got) != 2 {
		t.Fatalf("sleeps = %v, want 2", got)
	}
	if got[0] < time.Second || got[0] > 1500*time.Millisecond || got[1] < 2*time.Second || got[1] > 3*time.Second {
		t.Errorf("sleeps = %v, want ~1s then ~2s (plus up to 50%% jitter)", got)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, func(c *Config) { c.MaxRetries = 2 })
	f.srv.FailNext(10, 429, "", "") // no Retry-After: the retries are counted
	_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	re := remote(t, err)
	if re.Status != 429 || !re.Temporary() || !errors.Is(err, mailbox.ErrThrottled) || re.Code != "TooManyRequests" {
		t.Errorf("err = %v", err)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 3 {
		t.Errorf("%d calls, want 1 + 2 retries", n)
	}
	if got := f.sl.got(); len(got) != 2 {
		t.Errorf("sleeps = %v", got)
	}
}

// TestRetryAfterNotCounted: Exchange's Retry-After is followed however
// often it comes, within MaxRetryWait: a tenant throttled for a while
// makes a request queue, not fail; past the budget, the 429 is returned.
func TestRetryAfterNotCounted(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, func(c *Config) { c.MaxRetries = 2; c.MaxRetryWait = 12 * time.Second })
	f.srv.FailNext(10, 429, "1", "")
	if _, err := f.c.GetMailbox(t.Context(), "alice@contoso.com"); err != nil {
		t.Fatalf("after 10 throttled answers within the budget: %v", err)
	}
	if got := f.sl.got(); len(got) != 10 {
		t.Errorf("sleeps = %v, want ten of 1s", got)
	}
	f.srv.FailNext(20, 429, "1", "")
	_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if !errors.Is(err, mailbox.ErrThrottled) {
		t.Fatalf("past the budget: %v, want the 429", err)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 11+13 {
		t.Errorf("%d calls, want 11 then 13 (12s of budget at 1s each, then one more answer)", n)
	}
	// Retry-After: 0 would never exhaust the budget: it is counted.
	f = setup(t, newBackend(alice()), exchangetest.Options{}, func(c *Config) { c.MaxRetries = 2 })
	f.srv.FailNext(50, 429, "0", "")
	if _, err := f.c.GetMailbox(t.Context(), "alice@contoso.com"); !errors.Is(err, mailbox.ErrThrottled) {
		t.Errorf("Retry-After 0, fifty times: %v, want the 429 after 2 retries", err)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 3 {
		t.Errorf("Retry-After 0: %d calls, want 3", n)
	}
}

const limitBody = `{"error":{"code":"BadRequest","message":"Tenant 9f6c2c1e has exceeded the MAXIMUM number of Concurrent requests. Try again later."}}`

func TestConcurrentLimitRetried(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.srv.FailNext(1, 400, "", limitBody)
	if _, err := f.c.GetMailbox(t.Context(), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}

	// Run out of retries on it: throttled and temporary, still a RemoteError.
	f.srv.FailNext(10, 400, "", limitBody)
	_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	re := remote(t, err)
	if re.Status != 400 || !errors.Is(err, mailbox.ErrThrottled) || errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("err = %v", err)
	}
	var tmp interface{ Temporary() bool }
	if !errors.As(err, &tmp) || !tmp.Temporary() {
		t.Errorf("concurrent-limit error is not Temporary: %v", err)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 2+6 {
		t.Errorf("%d calls, want 2 + 6", n)
	}
}

func TestIdentityIsAJSONValue(t *testing.T) {
	const id = `o'brien test@contoso.com`
	mb := alice()
	mb.UserPrincipalName, mb.Identity = id, "O'Brien Test"
	f := setup(t, newBackend(mb), exchangetest.Options{}, nil)
	got, err := f.c.GetMailbox(t.Context(), id)
	if err != nil || got.Identity != "O'Brien Test" {
		t.Fatalf("GetMailbox = %+v, %v", got, err)
	}
	c := f.srv.Calls()[0]
	if c.Parameters["Identity"] != id {
		t.Errorf("Identity = %#v, want %q", c.Parameters["Identity"], id)
	}
	var body struct {
		CmdletInput struct {
			CmdletName string
			Parameters map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(c.Body, &body); err != nil {
		t.Fatal(err)
	}
	if raw := string(body.CmdletInput.Parameters["Identity"]); raw != `"o'brien test@contoso.com"` {
		t.Errorf("Identity on the wire = %s", raw)
	}
}

func TestHeadersAndToken(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	if _, err := f.c.GetMailbox(t.Context(), "alice@contoso.com"); err != nil {
		t.Fatal(err)
	}
	h := f.srv.Calls()[0].Header
	want := map[string]string{
		"Authorization":   "Bearer " + token,
		"Content-Type":    "application/json",
		"X-Anchormailbox": "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@" + tenant,
		"Prefer":          "odata.maxpagesize=1000",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	f.cred.mu.Lock()
	asks := f.cred.asks
	f.cred.mu.Unlock()
	if len(asks) != 1 || !reflect.DeepEqual(asks[0].Scopes, []string{f.srv.URL() + "/.default"}) {
		t.Errorf("token requests = %+v", asks)
	}
}

func TestWrongTokenUnauthorized(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.cred.token = "stolen"
	_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	re := remote(t, err)
	if re.Status != 401 || !errors.Is(err, mailbox.ErrForbidden) || f.srv.Count("Get-Mailbox") != 1 {
		t.Errorf("err = %v, %d calls", err, f.srv.Count("Get-Mailbox"))
	}
}

func TestTokenErrorNotRetried(t *testing.T) {
	boom := errors.New("AADSTS7000215: invalid client secret")
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.cred.err = boom
	_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the token error", err)
	}
	if len(f.srv.Calls()) != 0 || len(f.cred.asks) != 1 || len(f.sl.got()) != 0 {
		t.Errorf("calls %d, token asks %d, sleeps %v", len(f.srv.Calls()), len(f.cred.asks), f.sl.got())
	}
}

func TestCancelDuringRetryAfter(t *testing.T) {
	waiting := make(chan struct{})
	var once sync.Once
	f := setup(t, newBackend(alice()), exchangetest.Options{}, func(c *Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			if d != 30*time.Second {
				t.Errorf("wait %v, want 30s", d)
			}
			once.Do(func() { close(waiting) })
			return wait.Sleep(ctx, d) // the real default timer
		}
	})
	f.srv.FailNext(1, 429, "30", "")
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-waiting
		cancel()
	}()
	start := time.Now()
	_, err := f.c.GetMailbox(ctx, "alice@contoso.com")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if !errors.Is(err, mailbox.ErrThrottled) {
		t.Errorf("err = %v should still carry the throttling answer", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("returned after %v", d)
	}
	if n := f.srv.Count("Get-Mailbox"); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestNextLinkMustStayOnHost(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"value":[{"N":1}],"@odata.nextLink":"https://evil.example/adminapi/beta/t/InvokeCommand?$skiptoken=1"}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, TenantID: "t", Credential: &staticCred{token: "x"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(t.Context(), "Get-Recipient", nil); !errors.Is(err, ErrBadResponse) {
		t.Errorf("err = %v, want ErrBadResponse", err)
	}
}

func TestNewValidates(t *testing.T) {
	cred := &staticCred{token: "x"}
	if _, err := New(Config{Credential: cred}); err == nil {
		t.Error("no TenantID: no error")
	}
	if _, err := New(Config{TenantID: "t"}); err == nil {
		t.Error("no Credential: no error")
	}
	if _, err := New(Config{TenantID: "t", Credential: cred, BaseURL: "http://outlook.office365.com"}); err == nil {
		t.Error("plain http: no error")
	}
	c, err := New(Config{TenantID: "t", Credential: cred, BaseURL: "https://outlook.office365.us/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.Scope != "https://outlook.office365.us/.default" ||
		c.endpoint.String() != "https://outlook.office365.us/adminapi/beta/t/InvokeCommand" ||
		c.cfg.MaxRetries != 5 || c.cfg.BaseDelay != time.Second {
		t.Errorf("defaults: scope %q endpoint %q retries %d delay %v", c.cfg.Scope, c.endpoint, c.cfg.MaxRetries, c.cfg.BaseDelay)
	}
	tr, ok := c.cfg.HTTPClient.Transport.(*http.Transport)
	if !ok || tr.Proxy == nil {
		t.Error("default transport does not honour the proxy environment")
	}
}

func TestConcurrentCallsThroughFaults(t *testing.T) {
	f := setup(t, newBackend(alice()), exchangetest.Options{}, nil)
	f.srv.FailEvery(4, 503, "")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := f.c.GetMailbox(t.Context(), "alice@contoso.com")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// Every 4th request failed and was retried: 20 successes take exactly 26 requests.
	if n := f.srv.Count("Get-Mailbox"); n != 26 {
		t.Errorf("%d requests for 20 calls with every 4th failing", n)
	}
}
