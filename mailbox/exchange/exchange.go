// Package exchange is a client for the Exchange Online admin REST endpoint
// (POST {base}/adminapi/beta/{tenantId}/InvokeCommand), the endpoint that
// Microsoft's ExchangeOnlineManagement module v3 uses to run cmdlets.
//
// Invoke runs any cmdlet with JSON parameters (never spliced into a string),
// follows @odata.nextLink paging, collects @adminapi.warnings, retries
// throttling (429 with Retry-After, 500/502/503/504, and "concurrent request
// limit" answers) with exponential backoff and jitter, and turns every other
// non-2xx answer into a *mailbox.RemoteError carrying Microsoft's own sentence.
// On top of it, one InvokeCommand call each, the Client implements
// mailbox.Exchange: Get-Mailbox, Set-Mailbox -Type, Get-MailboxStatistics
// (TotalItemSize parsed to bytes), Get-/Add-/Remove-MailboxPermission
// (FullAccess), Get-/Add-/Remove-RecipientPermission (SendAs), Set-Mailbox
// -GrantSendOnBehalfTo (the Add/Remove hashtable), New-Mailbox -Shared,
// Get-AcceptedDomain and Get-Recipient. Warnings are logged, never errors.
//
// A cmdlet that must not run twice (New-Mailbox) goes through InvokeOnce,
// which retries only the answers that say the cmdlet did not run (429 with
// Retry-After, the concurrent request limit) and never a 5xx, a timeout or a
// broken connection: after those it may have run, and the error answers
// errors.Is(err, ErrMayHaveRun).
//
// It goes no further: it does not cache tokens itself (azidentity credentials
// do), it does not refresh a token on 401, and it only types the cmdlets the
// bot needs; everything else goes through Invoke.
package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mailboxbot/mailboxbot/internal/wait"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// DefaultBaseURL is the worldwide Exchange Online endpoint. GCC High uses
// https://outlook.office365.us, 21Vianet https://partner.outlook.cn.
const DefaultBaseURL = "https://outlook.office365.com"

// AnchorMailboxFormat is the X-AnchorMailbox header value; %s is the tenant id.
const AnchorMailboxFormat = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@%s"

const (
	maxBackoff = time.Minute // cap of one exponential backoff delay
	maxBody    = 64 << 20    // largest answer read
	maxPages   = 10000       // guard against a server that pages forever
	snippetLen = 200         // runes of a non-JSON error body kept in Message
)

// Sentinel errors of this package.
var (
	// ErrAmbiguous: the identity matched more than one mailbox.
	ErrAmbiguous = errors.New("identity matches more than one mailbox")
	// ErrBadResponse: the answer was not in the shape InvokeCommand promises.
	ErrBadResponse = errors.New("unexpected answer from Exchange Online")
	// ErrMayHaveRun: a cmdlet run with InvokeOnce failed in a way (a 5xx, a
	// timeout, a broken connection) after which it may still have run; it was
	// not retried. Look at the state before running it again.
	ErrMayHaveRun = errors.New("the cmdlet may have run; it was not retried")
)

// Config configures a Client. TenantID and Credential are required; every
// other field has a default.
type Config struct {
	// BaseURL of Exchange Online; default DefaultBaseURL. Must be https.
	BaseURL string
	// TenantID is the directory (tenant) id or its initial domain.
	TenantID string
	// Credential provides the app's bearer tokens (for example an
	// azidentity.ClientSecretCredential); the app needs Exchange.ManageAsApp.
	Credential azcore.TokenCredential
	// Scope of the token; default BaseURL + "/.default".
	Scope string
	// HTTPClient sends the requests; default a client whose transport is a
	// clone of http.DefaultTransport (Proxy: http.ProxyFromEnvironment) and
	// a 2-minute timeout per request.
	HTTPClient *http.Client
	// Logger receives retries and warnings; default discards. Tokens and
	// parameters are never logged.
	Logger *slog.Logger
	// MaxRetries is how many times one request is retried after a guessed
	// delay (an answer without Retry-After); default 5, negative means no
	// retries at all.
	MaxRetries int
	// MaxRetryWait bounds the total waiting for one request, Retry-After
	// included; default 3 minutes.
	MaxRetryWait time.Duration
	// Sleep waits between retries; default a timer that returns ctx.Err()
	// as soon as ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// BaseDelay is the first backoff delay, doubled on every retry with up to
	// half again of jitter; default 1s.
	BaseDelay time.Duration
	// Now tells the time, for Retry-After given as an HTTP date; default time.Now.
	Now func() time.Time
}

// Client runs cmdlets through InvokeCommand. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint *url.URL
	anchor   string
	log      *slog.Logger
}

var _ mailbox.Exchange = (*Client)(nil)

// New checks cfg, fills in the defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.TenantID == "" {
		return nil, errors.New("exchange: TenantID is required")
	}
	if cfg.Credential == nil {
		return nil, errors.New("exchange: Credential is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("exchange: BaseURL: %w", err)
	}
	if base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("exchange: BaseURL %q: must be an https URL (a bearer token is sent)", cfg.BaseURL)
	}
	if cfg.Scope == "" {
		cfg.Scope = cfg.BaseURL + "/.default"
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = http.ProxyFromEnvironment
		cfg.HTTPClient = &http.Client{Transport: t, Timeout: 2 * time.Minute}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 3 * time.Minute
	}
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	endpoint := base.JoinPath("adminapi", "beta", cfg.TenantID, "InvokeCommand")
	return &Client{
		cfg:      cfg,
		endpoint: endpoint,
		anchor:   fmt.Sprintf(AnchorMailboxFormat, cfg.TenantID),
		log:      cfg.Logger.With("service", "exchange"),
	}, nil
}

// Result is the answer of a cmdlet: its output objects, one JSON object each
// (PascalCase properties), and its warnings, over all pages.
type Result struct {
	Values   []json.RawMessage
	Warnings []string
}

type cmdletInput struct {
	CmdletInput struct {
		CmdletName string         `json:"CmdletName"`
		Parameters map[string]any `json:"Parameters"`
	} `json:"CmdletInput"`
}

type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
	Warnings []string          `json:"@adminapi.warnings"`
}

// Invoke runs cmdlet with params (each a JSON value: string, bool, number,
// []string, or a map such as {"@odata.type":"#Exchange.GenericHashTable",
// "Add":"bob@contoso.com"}) and returns every page of its answer. It retries
// throttling, 5xx answers and transport faults, so the cmdlet must be safe to
// run twice (a read, or a change that ends in the same state).
func (c *Client) Invoke(ctx context.Context, cmdlet string, params map[string]any) (*Result, error) {
	return c.invoke(ctx, cmdlet, params, true)
}

// InvokeOnce is Invoke for a cmdlet that must not run twice, such as
// New-Mailbox: it retries only a 429 with Retry-After and the concurrent
// request limit answer, which mean the cmdlet did not run. After a 5xx, a
// timeout or a broken connection it may have run: it returns at once with an
// error answering errors.Is(err, ErrMayHaveRun) (and, for a 5xx, carrying
// the *mailbox.RemoteError).
func (c *Client) InvokeOnce(ctx context.Context, cmdlet string, params map[string]any) (*Result, error) {
	return c.invoke(ctx, cmdlet, params, false)
}

// invoke runs cmdlet; safe says whether every fault may be retried.
func (c *Client) invoke(ctx context.Context, cmdlet string, params map[string]any, safe bool) (*Result, error) {
	if cmdlet == "" {
		return nil, errors.New("exchange: empty cmdlet name")
	}
	var in cmdletInput
	in.CmdletInput.CmdletName = cmdlet
	in.CmdletInput.Parameters = params
	if params == nil {
		in.CmdletInput.Parameters = map[string]any{}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("exchange %s: encode parameters: %w", cmdlet, err)
	}

	res := &Result{}
	target := c.endpoint
	for n := 0; ; n++ {
		if n >= maxPages {
			return nil, fmt.Errorf("exchange %s: more than %d pages: %w", cmdlet, maxPages, ErrBadResponse)
		}
		raw, err := c.post(ctx, cmdlet, target.String(), body, safe)
		if err != nil {
			return nil, err
		}
		var p page
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("exchange %s: decode answer: %w: %w", cmdlet, ErrBadResponse, err)
		}
		res.Values = append(res.Values, p.Value...)
		res.Warnings = append(res.Warnings, p.Warnings...)
		if p.NextLink == "" {
			return res, nil
		}
		next, err := target.Parse(p.NextLink)
		if err != nil {
			return nil, fmt.Errorf("exchange %s: next link: %w: %w", cmdlet, ErrBadResponse, err)
		}
		// The bearer token goes only where BaseURL points.
		if next.Scheme != c.endpoint.Scheme || next.Host != c.endpoint.Host {
			return nil, fmt.Errorf("exchange %s: next link leaves %s: %w", cmdlet, c.endpoint.Host, ErrBadResponse)
		}
		if next.String() == target.String() {
			return nil, fmt.Errorf("exchange %s: next link repeats the request: %w", cmdlet, ErrBadResponse)
		}
		target = next
	}
}

// post sends one request, retrying while the fault is passing, and returns
// the body of a 2xx answer. Unless safe, only faults that say the cmdlet did
// not run are retried.
//
// Exchange's own Retry-After is followed for as long as the wait budget
// (MaxRetryWait) lasts, however many times it comes: under a tenant's
// sustained throttling a count would give up on a request that only had to
// queue. Guessed delays (backoff) are also counted against MaxRetries.
func (c *Client) post(ctx context.Context, cmdlet, target string, body []byte, safe bool) ([]byte, error) {
	budget := mailbox.RetryBudget{MaxRetries: c.cfg.MaxRetries, MaxWait: c.cfg.MaxRetryWait}
	for attempt := 0; ; attempt++ {
		raw, delay, err := c.try(ctx, cmdlet, target, body, budget.Counted(), safe)
		if err == nil {
			return raw, nil
		}
		var t told
		fromHeader := errors.As(err, &t)
		if fromHeader {
			err = t.error
		}
		if delay < 0 || c.cfg.MaxRetries == 0 || ctx.Err() != nil || !budget.Allow(delay, fromHeader) {
			return nil, err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "exchange request failed; retrying",
			slog.String("op", cmdlet), slog.Int("attempt", attempt+1),
			slog.Duration("delay", delay), slog.Any("err", err))
		if serr := c.cfg.Sleep(ctx, delay); serr != nil {
			return nil, fmt.Errorf("exchange %s: waiting to retry: %w (last error: %w)", cmdlet, serr, err)
		}
	}
}

// try sends the request once. On failure it returns how long to wait before
// retrying, or a negative delay when retrying cannot help or, unless safe,
// could run the cmdlet a second time.
func (c *Client) try(ctx context.Context, cmdlet, target string, body []byte, attempt int, safe bool) ([]byte, time.Duration, error) {
	tok, err := c.cfg.Credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.cfg.Scope}})
	if err != nil {
		return nil, -1, fmt.Errorf("exchange %s: get token for %s: %w", cmdlet, c.cfg.Scope, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, -1, fmt.Errorf("exchange %s: %w", cmdlet, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-AnchorMailbox", c.anchor)
	req.Header.Set("Prefer", "odata.maxpagesize=1000")

	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// A transport fault (reset, timeout) may pass; a cancelled ctx will not.
		if !safe {
			return nil, -1, fmt.Errorf("exchange %s: %w (%w)", cmdlet, err, ErrMayHaveRun)
		}
		return nil, c.backoff(attempt), fmt.Errorf("exchange %s: %w", cmdlet, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if !safe {
			return nil, -1, fmt.Errorf("exchange %s: read answer: %w (%w)", cmdlet, err, ErrMayHaveRun)
		}
		return nil, c.backoff(attempt), fmt.Errorf("exchange %s: read answer: %w", cmdlet, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return raw, 0, nil
	}

	rerr := remoteError(cmdlet, resp, raw)
	limit := concurrencyLimit(raw)
	if !safe {
		// Only answers that say the cmdlet was not run are retried.
		switch {
		case limit:
			return nil, c.backoff(attempt), limitError{rerr}
		case resp.StatusCode == http.StatusTooManyRequests:
			if d, ok := mailbox.ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()); ok {
				return nil, d, told{rerr}
			}
			return nil, -1, rerr
		case resp.StatusCode >= 500:
			return nil, -1, fmt.Errorf("%w (%w)", rerr, ErrMayHaveRun)
		}
		return nil, -1, rerr
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		if d, ok := mailbox.ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()); ok {
			return nil, d, told{rerr}
		}
		return nil, c.backoff(attempt), rerr
	case resp.StatusCode == 500, resp.StatusCode == 502, resp.StatusCode == 503, resp.StatusCode == 504:
		if d, ok := mailbox.ParseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()); ok {
			return nil, d, told{rerr}
		}
		return nil, c.backoff(attempt), rerr
	case limit:
		return nil, c.backoff(attempt), limitError{rerr}
	}
	return nil, -1, rerr
}

// told marks an error whose retry delay Exchange gave (Retry-After).
type told struct{ error }

func (t told) Unwrap() error { return t.error }

// backoff is BaseDelay doubled attempt times, capped, plus up to half of it
// again at random.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.BaseDelay
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d + rand.N(d/2+1)
}

// concurrencyLimit reports whether body says the tenant's concurrent request
// limit was reached.
func concurrencyLimit(body []byte) bool {
	b := bytes.ToLower(body)
	return bytes.Contains(b, []byte("concurrent")) &&
		(bytes.Contains(b, []byte("limit")) || bytes.Contains(b, []byte("maximum")))
}

// limitError is a RemoteError whose body says the concurrent request limit
// was reached, whatever its status: it is throttling, and temporary.
type limitError struct{ *mailbox.RemoteError }

func (e limitError) Unwrap() error { return e.RemoteError }

func (e limitError) Is(target error) bool {
	return target == mailbox.ErrThrottled || e.RemoteError.Is(target)
}

func (e limitError) Temporary() bool { return true }

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

// remoteError builds the RemoteError of a non-2xx answer, with the most
// useful sentence of its body as Message.
func remoteError(cmdlet string, resp *http.Response, raw []byte) *mailbox.RemoteError {
	e := &mailbox.RemoteError{Service: "exchange", Op: cmdlet, Status: resp.StatusCode}
	var b errorBody
	if json.Unmarshal(raw, &b) == nil && (b.Error.Code != "" || b.Error.Message != "" || len(b.Error.Details) > 0) {
		e.Code = b.Error.Code
		if len(b.Error.Details) > 0 && b.Error.Details[0].Message != "" {
			// "Ex6F9304|Microsoft.Exchange...Exception|The operation couldn't be performed ..."
			m := b.Error.Details[0].Message
			if parts := strings.SplitN(m, "|", 3); len(parts) == 3 {
				m = parts[2]
			}
			e.Message = strings.TrimSpace(m)
		}
		if e.Message == "" {
			e.Message = strings.TrimSpace(b.Error.Message)
		}
	}
	if e.Message == "" {
		e.Message = snippet(raw)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// snippet is the text of a non-JSON body (plain text or HTML), tags dropped,
// whitespace collapsed, cut to snippetLen runes. An HTML <title> wins.
func snippet(raw []byte) string {
	s := string(raw)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	lower := strings.ToLower(s)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		if j := strings.Index(lower[i:], "</title>"); j > len("<title>") {
			if t := strings.TrimSpace(s[i+len("<title>") : i+j]); t != "" {
				s = t
			}
		}
	}
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	s = strings.Join(strings.Fields(b.String()), " ")
	if utf8.RuneCountInString(s) > snippetLen {
		s = string([]rune(s)[:snippetLen]) + "…"
	}
	return s
}

// wireMailbox is the part of a Get-Mailbox object the bot reads.
type wireMailbox struct {
	Identity                      string   `json:"Identity"`
	DistinguishedName             string   `json:"DistinguishedName"`
	DisplayName                   string   `json:"DisplayName"`
	UserPrincipalName             string   `json:"UserPrincipalName"`
	PrimarySmtpAddress            string   `json:"PrimarySmtpAddress"`
	ExternalDirectoryObjectId     string   `json:"ExternalDirectoryObjectId"`
	ExchangeGuid                  string   `json:"ExchangeGuid"`
	WhenCreatedUTC                string   `json:"WhenCreatedUTC"`
	RecipientTypeDetails          string   `json:"RecipientTypeDetails"`
	IsDirSynced                   bool     `json:"IsDirSynced"`
	LitigationHoldEnabled         bool     `json:"LitigationHoldEnabled"`
	InPlaceHolds                  []string `json:"InPlaceHolds"`
	ArchiveStatus                 string   `json:"ArchiveStatus"`
	HiddenFromAddressListsEnabled bool     `json:"HiddenFromAddressListsEnabled"`
	GrantSendOnBehalfTo           []string `json:"GrantSendOnBehalfTo"`
	AutoExpandingArchiveEnabled   bool     `json:"AutoExpandingArchiveEnabled"`
	ForwardingAddress             string   `json:"ForwardingAddress"`
	ForwardingSmtpAddress         string   `json:"ForwardingSmtpAddress"`
	DeliverToMailboxAndForward    bool     `json:"DeliverToMailboxAndForward"`
}

// GetMailbox runs Get-Mailbox -Identity identity. It returns an error
// answering errors.Is(err, mailbox.ErrNotFound) when there is no such
// mailbox, and ErrAmbiguous when the identity matches several.
func (c *Client) GetMailbox(ctx context.Context, identity string) (mailbox.Mailbox, error) {
	res, err := c.Invoke(ctx, "Get-Mailbox", map[string]any{"Identity": identity})
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("get mailbox %s: %w", identity, err)
	}
	switch len(res.Values) {
	case 0:
		return mailbox.Mailbox{}, fmt.Errorf("get mailbox %s: %w", identity, mailbox.ErrNotFound)
	case 1:
	default:
		return mailbox.Mailbox{}, fmt.Errorf("get mailbox %s: %d mailboxes: %w", identity, len(res.Values), ErrAmbiguous)
	}
	mb, err := decodeMailbox(res.Values[0])
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("get mailbox %s: %w", identity, err)
	}
	return mb, nil
}

// decodeMailbox maps a mailbox object (the answer of Get-Mailbox or
// New-Mailbox).
func decodeMailbox(raw json.RawMessage) (mailbox.Mailbox, error) {
	var w wireMailbox
	if err := json.Unmarshal(raw, &w); err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return mailbox.Mailbox{
		Identity:                      w.Identity,
		DistinguishedName:             w.DistinguishedName,
		DisplayName:                   w.DisplayName,
		UserPrincipalName:             w.UserPrincipalName,
		PrimarySMTPAddress:            w.PrimarySmtpAddress,
		ExternalDirectoryObjectID:     w.ExternalDirectoryObjectId,
		ExchangeGUID:                  w.ExchangeGuid,
		WhenCreatedUTC:                parseWhen(w.WhenCreatedUTC),
		RecipientTypeDetails:          w.RecipientTypeDetails,
		IsDirSynced:                   w.IsDirSynced,
		LitigationHoldEnabled:         w.LitigationHoldEnabled,
		InPlaceHolds:                  w.InPlaceHolds,
		ArchiveStatus:                 w.ArchiveStatus,
		HiddenFromAddressListsEnabled: w.HiddenFromAddressListsEnabled,
		GrantSendOnBehalfTo:           w.GrantSendOnBehalfTo,
		AutoExpandingArchiveEnabled:   w.AutoExpandingArchiveEnabled,
		ForwardingAddress:             w.ForwardingAddress,
		ForwardingSMTPAddress:         w.ForwardingSmtpAddress,
		DeliverToMailboxAndForward:    w.DeliverToMailboxAndForward,
	}, nil
}

// parseWhen reads a date as the admin API writes it: ISO 8601
// ("2026-12-06T16:21:43Z", with or without a zone, which then is UTC) or
// the older "/Date(1796573703000)/". Anything else is the zero time, which
// callers treat as unknown.
func parseWhen(s string) time.Time {
	s = strings.TrimSpace(s)
	if ms, ok := strings.CutPrefix(s, "/Date("); ok {
		ms, _, _ = strings.Cut(strings.TrimSuffix(ms, ")/"), "+")
		if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
			return time.UnixMilli(n).UTC()
		}
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// SetMailboxType runs Set-Mailbox -Identity identity -Type t -Confirm:$false.
// Exchange's "no settings ... have been modified" warning (the mailbox
// already had that type) is success.
func (c *Client) SetMailboxType(ctx context.Context, identity string, t mailbox.MailboxType) error {
	if t == "" {
		return fmt.Errorf("set mailbox type %s: empty type", identity)
	}
	res, err := c.Invoke(ctx, "Set-Mailbox", map[string]any{
		"Identity": identity,
		"Type":     string(t),
		"Confirm":  false,
	})
	if err != nil {
		return fmt.Errorf("set mailbox type %s to %s: %w", identity, t, err)
	}
	for _, w := range res.Warnings {
		if NoChange(w) {
			c.log.LogAttrs(ctx, slog.LevelInfo, "mailbox already had the type",
				slog.String("op", "Set-Mailbox"), slog.String("mailbox", identity), slog.String("type", string(t)))
			continue
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "exchange warning",
			slog.String("op", "Set-Mailbox"), slog.String("mailbox", identity), slog.String("warning", w))
	}
	return nil
}

// NoChange reports whether warning is Exchange's "The command completed
// successfully but no settings of 'x' have been modified."
func NoChange(warning string) bool {
	w := strings.ToLower(warning)
	return strings.Contains(w, "no settings") && strings.Contains(w, "modified")
}
