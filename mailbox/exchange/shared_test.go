package exchange

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
)

const (
	oddAddress    = `o'brien sales@contoso.com` // a quote and a space
	rawOddAddress = `"o'brien sales@contoso.com"`
)

func TestSetSendOnBehalfWire(t *testing.T) {
	mb := alice()
	mb.GrantSendOnBehalfTo = []string{"carol@contoso.com"}
	be := newBackend(mb)
	f := setup(t, be, exchangetest.Options{}, nil)
	ctx := t.Context()
	const id = "alice@contoso.com"

	for _, tc := range []struct {
		name        string
		add, remove []string
		raw         string // GrantSendOnBehalfTo, exactly as sent
		after       []string
	}{
		{"add", []string{oddAddress}, nil,
			`{"@odata.type":"#Exchange.GenericHashTable","Add":["o'brien sales@contoso.com"]}`,
			[]string{"carol@contoso.com", oddAddress}},
		{"remove", nil, []string{"carol@contoso.com"},
			`{"@odata.type":"#Exchange.GenericHashTable","Remove":["carol@contoso.com"]}`,
			[]string{oddAddress}},
		{"both", []string{"dave@contoso.com", "erin@contoso.com"}, []string{oddAddress},
			`{"@odata.type":"#Exchange.GenericHashTable","Add":["dave@contoso.com","erin@contoso.com"],"Remove":["o'brien sales@contoso.com"]}`,
			[]string{"dave@contoso.com", "erin@contoso.com"}},
	} {
		n := len(f.srv.Calls())
		if err := f.c.SetSendOnBehalf(ctx, id, tc.add, tc.remove); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		calls := f.srv.Calls()[n:]
		if len(calls) != 1 || calls[0].Cmdlet != "Set-Mailbox" {
			t.Fatalf("%s: calls = %+v", tc.name, calls)
		}
		raw := wireParams(t, calls[0])
		want := map[string]string{"Identity": `"alice@contoso.com"`, "GrantSendOnBehalfTo": tc.raw, "Confirm": "false"}
		if !reflect.DeepEqual(raw, want) {
			t.Errorf("%s: parameters\n got %v\nwant %v", tc.name, raw, want)
		}
		got, err := be.GetMailbox(ctx, id)
		if err != nil || !reflect.DeepEqual(got.GrantSendOnBehalfTo, tc.after) {
			t.Errorf("%s: GrantSendOnBehalfTo = %q, want %q (%v)", tc.name, got.GrantSendOnBehalfTo, tc.after, err)
		}
	}

	// Nothing to add or remove: no call at all.
	n := len(f.srv.Calls())
	if err := f.c.SetSendOnBehalf(ctx, id, nil, []string{}); err != nil {
		t.Errorf("empty lists: %v", err)
	}
	if err := f.c.SetSendOnBehalf(ctx, "", []string{"bob@contoso.com"}, nil); !errors.Is(err, mailbox.ErrInvalidAddress) {
		t.Errorf("empty identity: err = %v", err)
	}
	if err := f.c.SetSendOnBehalf(ctx, id, []string{""}, nil); !errors.Is(err, mailbox.ErrInvalidAddress) {
		t.Errorf("empty user: err = %v", err)
	}
	if got := len(f.srv.Calls()) - n; got != 0 {
		t.Errorf("%d calls went out with nothing to do", got)
	}

	// Not found keeps Exchange's sentence.
	err := f.c.SetSendOnBehalf(ctx, "nobody@contoso.com", []string{"bob@contoso.com"}, nil)
	if !errors.Is(err, mailbox.ErrNotFound) || !strings.Contains(remote(t, err).Message, "couldn't be found") {
		t.Errorf("not found: err = %v", err)
	}
}

func TestSetSendOnBehalfNoChangeIsSuccess(t *testing.T) {
	var logs bytes.Buffer
	mb := alice()
	mb.GrantSendOnBehalfTo = []string{"bob@contoso.com"}
	f := setup(t, newBackend(mb), exchangetest.Options{}, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	// bob is already there: the fake answers Exchange's no-change warning.
	if err := f.c.SetSendOnBehalf(t.Context(), "alice@contoso.com", []string{"bob@contoso.com"}, nil); err != nil {
		t.Fatalf("no-change warning became an error: %v", err)
	}
	if !strings.Contains(logs.String(), "send on behalf already as asked") {
		t.Errorf("no-change warning not recognised: %s", logs.String())
	}
}

func TestNewSharedMailbox(t *testing.T) {
	be := newBackend(alice())
	f := setup(t, be, exchangetest.Options{}, nil)
	got, err := f.c.NewSharedMailbox(t.Context(), "Sales Team", "Sales Team (NL)", oddAddress)
	if err != nil {
		t.Fatal(err)
	}
	want := mailbox.Mailbox{
		Identity:             "Sales Team",
		DisplayName:          "Sales Team (NL)",
		UserPrincipalName:    oddAddress,
		PrimarySMTPAddress:   oddAddress,
		RecipientTypeDetails: mailbox.RecipientSharedMailbox,
		ArchiveStatus:        "None",
		InPlaceHolds:         []string{},
		GrantSendOnBehalfTo:  []string{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewSharedMailbox:\n got %+v\nwant %+v", got, want)
	}
	calls := f.srv.Calls()
	if len(calls) != 1 || calls[0].Cmdlet != "New-Mailbox" {
		t.Fatalf("calls = %+v", calls)
	}
	raw := wireParams(t, calls[0])
	wantRaw := map[string]string{
		"Shared":             "true",
		"Name":               `"Sales Team"`,
		"DisplayName":        `"Sales Team (NL)"`,
		"PrimarySmtpAddress": rawOddAddress,
		"Confirm":            "false",
	}
	if !reflect.DeepEqual(raw, wantRaw) {
		t.Errorf("parameters\n got %v\nwant %v", raw, wantRaw)
	}
	if ch := be.changed(); !reflect.DeepEqual(ch, []string{"NewSharedMailbox Sales Team|Sales Team (NL)|" + oddAddress}) {
		t.Errorf("backend changes = %q", ch)
	}

	// Empty arguments: no call.
	for _, args := range [][3]string{{"", "x", "x@contoso.com"}, {"x", "x", ""}} {
		if _, err := f.c.NewSharedMailbox(t.Context(), args[0], args[1], args[2]); !errors.Is(err, mailbox.ErrInvalidAddress) {
			t.Errorf("NewSharedMailbox%q: err = %v", args, err)
		}
	}
	if n := f.srv.Count("New-Mailbox"); n != 1 {
		t.Errorf("%d New-Mailbox calls, want 1", n)
	}
}

func TestNewSharedMailboxAddressTaken(t *testing.T) {
	be := newBackend(alice())
	f := setup(t, be, exchangetest.Options{}, nil)
	_, err := f.c.NewSharedMailbox(t.Context(), "Alice 2", "Alice 2", "alice@contoso.com")
	re := remote(t, err)
	const want = `The proxy address "SMTP:alice@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.`
	if re.Status != 400 || re.Op != "New-Mailbox" || re.Message != want || re.Temporary() {
		t.Errorf("RemoteError = %+v", re)
	}
	if errors.Is(err, ErrMayHaveRun) {
		t.Errorf("a 400 was marked as may-have-run: %v", err)
	}
	if n := f.srv.Count("New-Mailbox"); n != 1 {
		t.Errorf("%d New-Mailbox calls; a 400 must not be retried", n)
	}
	if len(be.changed()) != 0 {
		t.Errorf("backend changed: %q", be.changed())
	}
}

func TestNewSharedMailboxNotRetriedAfterServerError(t *testing.T) {
	for _, tc := range []struct {
		status     int
		retryAfter string
	}{{503, ""}, {503, "2"}, {500, ""}, {504, ""}} {
		be := newBackend()
		f := setup(t, be, exchangetest.Options{}, nil)
		f.srv.FailNext(1, tc.status, tc.retryAfter, "")
		_, err := f.c.NewSharedMailbox(t.Context(), "Sales", "Sales", "sales@contoso.com")
		if !errors.Is(err, ErrMayHaveRun) {
			t.Errorf("%d: err = %v, want ErrMayHaveRun", tc.status, err)
		}
		if re := remote(t, err); re.Status != tc.status {
			t.Errorf("%d: RemoteError = %+v", tc.status, re)
		}
		if n := f.srv.Count("New-Mailbox"); n != 1 {
			t.Errorf("%d: %d New-Mailbox calls; it must not be retried", tc.status, n)
		}
		if s := f.sl.got(); len(s) != 0 {
			t.Errorf("%d: slept %v", tc.status, s)
		}
	}
}

func TestNewSharedMailboxNotRetriedAfterTimeout(t *testing.T) {
	be := newBackend()
	f := setup(t, be, exchangetest.Options{}, func(c *Config) {
		hc := *c.HTTPClient
		hc.Timeout = 300 * time.Millisecond
		c.HTTPClient = &hc
	})
	f.srv.Handle("New-Mailbox", func(ctx context.Context, _ map[string]any) ([]any, []string, error) {
		select { // the mailbox is being created when the client gives up
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
		return nil, nil, ctx.Err()
	})
	_, err := f.c.NewSharedMailbox(t.Context(), "Sales", "Sales", "sales@contoso.com")
	if !errors.Is(err, ErrMayHaveRun) {
		t.Errorf("err = %v, want ErrMayHaveRun", err)
	}
	if n := f.srv.Count("New-Mailbox"); n != 1 {
		t.Errorf("%d New-Mailbox calls after a timeout; it must not be retried", n)
	}
}

func TestNewSharedMailboxRetriedWhenNotRun(t *testing.T) {
	// 429 with Retry-After: it did not run, so it is retried after the wait.
	be := newBackend()
	f := setup(t, be, exchangetest.Options{}, nil)
	f.srv.FailNext(1, 429, "3", "")
	mb, err := f.c.NewSharedMailbox(t.Context(), "Sales", "Sales", "sales@contoso.com")
	if err != nil || mb.PrimarySMTPAddress != "sales@contoso.com" {
		t.Fatalf("NewSharedMailbox = %+v, %v", mb, err)
	}
	if n := f.srv.Count("New-Mailbox"); n != 2 {
		t.Errorf("%d New-Mailbox calls, want 2", n)
	}
	if s := f.sl.got(); !reflect.DeepEqual(s, []time.Duration{3 * time.Second}) {
		t.Errorf("sleeps = %v, want [3s]", s)
	}
	if ch := be.changed(); len(ch) != 1 {
		t.Errorf("backend changes = %q, want one creation", ch)
	}

	// The concurrent request limit: not run either.
	f.srv.FailNext(1, 400, "", limitBody)
	if _, err := f.c.NewSharedMailbox(t.Context(), "Support", "Support", "support@contoso.com"); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.Count("New-Mailbox"); n != 4 {
		t.Errorf("%d New-Mailbox calls, want 4", n)
	}

	// 429 without Retry-After: not retried, but it did not run.
	f.srv.FailNext(1, 429, "", "")
	_, err = f.c.NewSharedMailbox(t.Context(), "Help", "Help", "help@contoso.com")
	if !errors.Is(err, mailbox.ErrThrottled) || errors.Is(err, ErrMayHaveRun) {
		t.Errorf("429 without Retry-After: err = %v", err)
	}
	if n := f.srv.Count("New-Mailbox"); n != 5 {
		t.Errorf("%d New-Mailbox calls, want 5", n)
	}
}

func TestAcceptedDomains(t *testing.T) {
	be := newBackend()
	be.domains = []string{"contoso.com", "contoso.onmicrosoft.com", "fabrikam.nl"}
	f := setup(t, be, exchangetest.Options{PageSize: 2}, nil)
	got, err := f.c.AcceptedDomains(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, be.domains) {
		t.Errorf("AcceptedDomains = %q, want %q", got, be.domains)
	}
	c := f.srv.Calls()[0]
	if c.Cmdlet != "Get-AcceptedDomain" || len(wireParams(t, c)) != 0 || !bytes.Contains(c.Body, []byte(`"Parameters":{}`)) {
		t.Errorf("call = %s", c.Body)
	}
	if n := f.srv.Count("Get-AcceptedDomain"); n != 2 {
		t.Errorf("%d calls, want 2 pages", n)
	}

	// Exchange's own shape, with more properties than the bot reads.
	f.srv.Handle("Get-AcceptedDomain", func(context.Context, map[string]any) ([]any, []string, error) {
		return []any{
			map[string]any{"Identity": "contoso.com", "DomainName": "contoso.com", "DomainType": "Authoritative", "Default": true,
				"MatchSubDomains": false, "AddressBookEnabled": true, "InitialDomain": false},
			map[string]any{"Identity": "relay.contoso.com", "DomainName": "relay.contoso.com", "DomainType": "InternalRelay", "Default": false},
		}, nil, nil
	})
	got, err = f.c.AcceptedDomains(t.Context())
	if err != nil || !reflect.DeepEqual(got, []string{"contoso.com", "relay.contoso.com"}) {
		t.Errorf("AcceptedDomains = %q, %v", got, err)
	}
}

func TestRecipientExists(t *testing.T) {
	be := newBackend(alice())
	be.others["team@contoso.com"] = true // a group, say
	f := setup(t, be, exchangetest.Options{}, nil)
	ctx := t.Context()
	for _, tc := range []struct {
		address string
		want    bool
	}{
		{"alice@contoso.com", true},
		{"team@contoso.com", true},
		{oddAddress, false},
	} {
		got, err := f.c.RecipientExists(ctx, tc.address)
		if err != nil || got != tc.want {
			t.Errorf("RecipientExists(%q) = %t, %v; want %t", tc.address, got, err, tc.want)
		}
	}
	for _, c := range f.srv.Calls() {
		raw := wireParams(t, c)
		if c.Cmdlet != "Get-Recipient" || len(raw) != 1 || raw["Identity"] == "" {
			t.Errorf("call = %s", c.Body)
		}
	}
	if raw := wireParams(t, f.srv.Calls()[2])["Identity"]; raw != rawOddAddress {
		t.Errorf("Identity on the wire = %s, want %s", raw, rawOddAddress)
	}

	// Any other failure is an error, not "free".
	f.srv.FailNext(1, http.StatusForbidden, "", "")
	got, err := f.c.RecipientExists(ctx, "bob@contoso.com")
	if got || !errors.Is(err, mailbox.ErrForbidden) {
		t.Errorf("403: RecipientExists = %t, %v", got, err)
	}
	f.srv.Handle("Get-Recipient", func(context.Context, map[string]any) ([]any, []string, error) {
		return nil, nil, &mailbox.RemoteError{Status: 400, Code: "BadRequest",
			Message: "Ex0A1B2C|Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException|The operation couldn't be performed because 'bob' matches multiple entries."}
	})
	got, err = f.c.RecipientExists(ctx, "bob")
	if re := remote(t, err); got || re.Status != 400 || !strings.Contains(re.Message, "matches multiple entries") {
		t.Errorf("400: RecipientExists = %t, %v", got, err)
	}
	if _, err := f.c.RecipientExists(ctx, ""); !errors.Is(err, mailbox.ErrInvalidAddress) {
		t.Errorf("empty address: err = %v", err)
	}
}
