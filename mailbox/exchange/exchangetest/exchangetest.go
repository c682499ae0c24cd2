// Package exchangetest is a fake Exchange Online admin endpoint
// (POST /adminapi/beta/{tenantId}/InvokeCommand) over TLS that speaks the
// real wire format, for tests that drive the real exchange.Client.
//
// The cmdlets of mailbox.Exchange are answered by a mailbox.Exchange backend
// (for example the in-memory sandbox tenant), in the shapes of the real
// endpoint: Get-Mailbox -Identity (or -ResultSize alone, which lists no
// mailboxes; with -Filter "GrantSendOnBehalfTo -eq '<dn>'" or
// -RecipientTypeDetails SharedMailbox, and Get-RecipientPermission -Trustee,
// the listings of mailbox.AccessFinder, when the backend has them), Set-Mailbox -Identity with -Type and/or
// -GrantSendOnBehalfTo (the {"@odata.type":"#Exchange.GenericHashTable",
// "Add":..,"Remove":..} form only), Get-MailboxStatistics -Identity
// (TotalItemSize as "14.61 GB (15,687,850,951 bytes)"),
// Get-/Add-/Remove-MailboxPermission (FullAccess, InheritanceType All,
// AutoMapping), Get-/Add-/Remove-RecipientPermission (SendAs, Trustee),
// New-Mailbox -Shared -Name -DisplayName -PrimarySmtpAddress,
// Get-AcceptedDomain and Get-Recipient -Identity, Get- and
// Set-MailboxAutoReplyConfiguration and Set-Mailbox's forwarding and
// HiddenFromAddressListsEnabled (settings.go); any other cmdlet can be
// answered with Handle. A backend error answering mailbox.ErrNotFound becomes
// Exchange's 404 (ManagementObjectNotFoundException) naming the Identity; a
// backend's *mailbox.RemoteError is answered with its status, code and
// message (a taken proxy address as Exchange's
// WLCDManagedMemberExistsException, see AddressTakenError).
// It checks the bearer token, the X-AnchorMailbox header, the content type
// and the tenant in the path, rejects parameters it does not implement with
// a 400, pages multi-value answers with @odata.nextLink when asked, records
// every call and injects faults (429/5xx, Retry-After, any body).
//
// It goes no further than that: no other parameters or access rights of
// those cmdlets (New-Mailbox needs Shared true and a PrimarySmtpAddress), no
// real PowerShell semantics (wildcards, any other -Filter), and the
// outcome of a change (already present, nothing to remove, an address taken)
// is whatever the backend makes of it; Set-Mailbox warns "no settings ...
// modified" when Get-Mailbox answers the same before and after.
package exchangetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mailboxbot/mailboxbot/internal/faults"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// AnchorMailboxFormat is the X-AnchorMailbox value the real endpoint expects;
// %s is the tenant id.
const AnchorMailboxFormat = "APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@%s"

// Options configure a Server.
type Options struct {
	// TenantID expected in the path and in X-AnchorMailbox; "" accepts any.
	TenantID string
	// Token is the expected bearer token; "" accepts any non-empty one.
	Token string
	// PageSize splits answers with more values into pages joined by
	// @odata.nextLink; 0 answers everything at once.
	PageSize int
}

// Call is one request that reached the fake.
type Call struct {
	Cmdlet     string         // CmdletInput.CmdletName ("" if the body did not decode)
	Parameters map[string]any // CmdletInput.Parameters, as decoded JSON
	Header     http.Header
	Body       []byte // the raw request body
	SkipToken  string // "" for the first page, else the page requested
}

// HandlerFunc answers a cmdlet: its output objects (each marshalled to JSON)
// and warnings. An error answering errors.Is(err, mailbox.ErrNotFound)
// becomes a 404 naming the Identity parameter; a *mailbox.RemoteError is
// answered with its status, code and message; any other error is a 500.
type HandlerFunc func(ctx context.Context, params map[string]any) (values []any, warnings []string, err error)

type pending struct {
	body  []byte // the body of the first request, which every page must repeat
	pages [][]json.RawMessage
}

// Server is the fake endpoint. It is safe for concurrent use.
type Server struct {
	srv     *httptest.Server
	backend mailbox.Exchange
	opts    Options

	mu        sync.Mutex
	calls     []Call
	handlers  map[string]HandlerFunc // by lower-case cmdlet name
	faults    faults.Injector
	pending   map[string]*pending
	nextToken int
}

// New starts a fake endpoint answering from backend. Close it when done.
func New(backend mailbox.Exchange, opts Options) *Server {
	s := &Server{
		backend:  backend,
		opts:     opts,
		handlers: map[string]HandlerFunc{},
		pending:  map[string]*pending{},
	}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the base URL to give exchange.Config.BaseURL.
func (s *Server) URL() string { return s.srv.URL }

// Client is an HTTP client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Handle answers cmdlet (case-insensitive) with h, before the built-in
// answer from the backend.
func (s *Server) Handle(cmdlet string, h HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[strings.ToLower(cmdlet)] = h
}

// SetPageSize changes Options.PageSize from now on, for a Server made by
// someone else (a world of fakes).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.PageSize = n
}

// Calls returns a copy of every call so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count is how many requests named cmdlet (case-insensitive) arrived,
// including failed ones and later pages.
func (s *Server) Count(cmdlet string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if strings.EqualFold(c.Cmdlet, cmdlet) {
			n++
		}
	}
	return n
}

// FailNext makes the next n authenticated requests fail with status, a
// Retry-After header when retryAfter is not "", and body ("" gives a JSON
// error body fitting the status).
func (s *Server) FailNext(n int, status int, retryAfter string, body string) {
	s.faults.FailNext(n, faults.Fault{Status: status, RetryAfter: retryAfter, Body: body})
}

// FailEvery makes every k-th authenticated request from now on fail with
// status and Retry-After; k = 0 turns it off.
func (s *Server) FailEvery(k int, status int, retryAfter string) {
	s.faults.FailEvery(k, faults.Fault{Status: status, RetryAfter: retryAfter})
}

// Throttle lets at most rate authenticated requests a second through
// from now on (a burst of one second's worth) and answers the others 429
// with Retry-After, as the service's own throttling does; 0 turns it off.
func (s *Server) Throttle(rate float64) { s.faults.Throttle(rate, nil) }

// FaultCounts says how many authenticated requests were served, failed on
// purpose and throttled so far.
func (s *Server) FaultCounts() faults.Counts { return s.faults.Counts() }

type cmdletInput struct {
	CmdletInput struct {
		CmdletName string         `json:"CmdletName"`
		Parameters map[string]any `json:"Parameters"`
	} `json:"CmdletInput"`
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	var in cmdletInput
	decodeErr := json.Unmarshal(body, &in)
	skip := r.URL.Query().Get("$skiptoken")
	s.mu.Lock()
	s.calls = append(s.calls, Call{
		Cmdlet:     in.CmdletInput.CmdletName,
		Parameters: in.CmdletInput.Parameters,
		Header:     r.Header.Clone(),
		Body:       body,
		SkipToken:  skip,
	})
	s.mu.Unlock()

	tenant, ok := strings.CutPrefix(r.URL.Path, "/adminapi/beta/")
	tenant, ok2 := strings.CutSuffix(tenant, "/InvokeCommand")
	if !ok || !ok2 || tenant == "" || strings.Contains(tenant, "/") ||
		(s.opts.TenantID != "" && tenant != s.opts.TenantID) {
		writeError(w, http.StatusNotFound, "NotFound", "The requested resource does not exist.", "")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The HTTP method is not allowed.", "")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || (s.opts.Token != "" && tok != s.opts.Token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "The access token is missing or invalid.", "")
		return
	}
	anchor := r.Header.Get("X-AnchorMailbox")
	if anchor == "" || (s.opts.TenantID != "" && anchor != fmt.Sprintf(AnchorMailboxFormat, s.opts.TenantID)) {
		writeError(w, http.StatusBadRequest, "BadRequest", "The X-AnchorMailbox header is missing or does not name the tenant's system mailbox.", "")
		return
	}
	if f, ok := s.faults.Take(); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", contentType(f.Body))
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
			return
		}
		writeError(w, f.Status, faultCode(f.Status), faultMessage(f.Status), "")
		return
	}
	if mt := r.Header.Get("Content-Type"); !strings.HasPrefix(mt, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The request body must be application/json.", "")
		return
	}
	if decodeErr != nil || in.CmdletInput.CmdletName == "" {
		writeError(w, http.StatusBadRequest, "BadRequest", "The request body is not a valid CmdletInput.", "")
		return
	}

	if skip != "" {
		s.servePage(w, tenant, skip, body)
		return
	}

	values, warnings, err := s.run(r.Context(), in.CmdletInput.CmdletName, in.CmdletInput.Parameters)
	if err != nil {
		writeCmdletError(w, err, in.CmdletInput.Parameters)
		return
	}
	raws := make([]json.RawMessage, 0, len(values))
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "InternalServerError", "fake: cannot encode a value: "+err.Error(), "")
			return
		}
		raws = append(raws, b)
	}
	next := ""
	s.mu.Lock()
	n := s.opts.PageSize
	s.mu.Unlock()
	if n > 0 && len(raws) > n {
		p := &pending{body: body}
		for i := n; i < len(raws); i += n {
			p.pages = append(p.pages, raws[i:min(i+n, len(raws))])
		}
		raws = raws[:n]
		next = s.stash(p)
	}
	writePage(w, s.URL(), tenant, raws, warnings, next)
}

// stash keeps the later pages of an answer and returns the next link.
func (s *Server) stash(p *pending) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextToken++
	tok := strconv.Itoa(s.nextToken)
	s.pending[tok] = p
	return tok
}

func (s *Server) servePage(w http.ResponseWriter, tenant, tok string, body []byte) {
	s.mu.Lock()
	p := s.pending[tok]
	var page []json.RawMessage
	next := ""
	if p != nil && bytes.Equal(p.body, body) {
		delete(s.pending, tok)
		page = p.pages[0]
		if len(p.pages) > 1 {
			s.nextToken++
			next = strconv.Itoa(s.nextToken)
			s.pending[next] = &pending{body: p.body, pages: p.pages[1:]}
		}
	}
	s.mu.Unlock()
	if p == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "The skip token is unknown or was already used.", "")
		return
	}
	if page == nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "A next page must be requested with the same body as the first.", "")
		return
	}
	writePage(w, s.URL(), tenant, page, nil, next)
}

// run dispatches a cmdlet.
func (s *Server) run(ctx context.Context, cmdlet string, params map[string]any) ([]any, []string, error) {
	s.mu.Lock()
	h := s.handlers[strings.ToLower(cmdlet)]
	s.mu.Unlock()
	if h != nil {
		return h(ctx, params)
	}
	switch strings.ToLower(cmdlet) {
	case "get-mailbox":
		return s.getMailbox(ctx, params)
	case "set-mailbox":
		return s.setMailbox(ctx, params)
	case "get-mailboxstatistics":
		return s.getMailboxStatistics(ctx, params)
	case "get-mailboxpermission":
		return s.getMailboxPermission(ctx, params)
	case "add-mailboxpermission":
		return s.addMailboxPermission(ctx, params)
	case "remove-mailboxpermission":
		return s.removeMailboxPermission(ctx, params)
	case "get-recipientpermission":
		return s.getRecipientPermission(ctx, params)
	case "add-recipientpermission":
		return s.addRecipientPermission(ctx, params)
	case "remove-recipientpermission":
		return s.removeRecipientPermission(ctx, params)
	case "new-mailbox":
		return s.newMailbox(ctx, params)
	case "get-accepteddomain":
		return s.getAcceptedDomain(ctx, params)
	case "get-recipient":
		return s.getRecipient(ctx, params)
	case "get-mailboxautoreplyconfiguration":
		return s.getAutoReply(ctx, params)
	case "set-mailboxautoreplyconfiguration":
		return s.setAutoReply(ctx, params)
	}
	return nil, nil, &mailbox.RemoteError{Status: http.StatusBadRequest, Code: "BadRequest",
		Message: fmt.Sprintf("The term '%s' is not recognized as a cmdlet this endpoint runs.", cmdlet)}
}

func badParam(format string, args ...any) error {
	return &mailbox.RemoteError{Status: http.StatusBadRequest, Code: "BadRequest",
		Message: "Ex0A1B2C|System.Management.Automation.ParameterBindingException|" + fmt.Sprintf(format, args...)}
}

// onlyParams rejects parameters the fake does not implement, so that nothing
// a client sends is silently ignored.
func onlyParams(cmdlet string, params map[string]any, allowed ...string) error {
	var extra []string
	for k := range params {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.EqualFold(k, a)
		}
		if !ok {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return badParam("A parameter cannot be found that matches parameter name '%s' (the fake %s takes only %s).",
			strings.Join(extra, "', '"), cmdlet, strings.Join(allowed, ", "))
	}
	return nil
}

func param(params map[string]any, name string) (any, bool) {
	for k, v := range params {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func identityParam(params map[string]any) (string, error) {
	v, ok := param(params, "Identity")
	if !ok {
		return "", badParam("The fake requires the Identity parameter.")
	}
	id, ok := v.(string)
	if !ok || id == "" {
		return "", badParam("Cannot bind parameter 'Identity': expected a non-empty string, got %v.", v)
	}
	return id, nil
}
