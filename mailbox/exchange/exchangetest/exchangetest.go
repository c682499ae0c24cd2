// Package exchangetest is a fake Exchange Online admin endpoint
// (POST /adminapi/beta/{tenantId}/InvokeCommand) over TLS that speaks the
// real wire format, for tests that drive the real exchange.Client.
//
// The cmdlets of mailbox.Exchange are answered by a mailbox.Exchange backend
// (for example the in-memory sandbox tenant), in the shapes of the real
// endpoint: Get-Mailbox -Identity (or -ResultSize alone, which lists no
// mailboxes), Set-Mailbox -Identity with -Type and/or
// -GrantSendOnBehalfTo (the {"@odata.type":"#Exchange.GenericHashTable",
// "Add":..,"Remove":..} form only), Get-MailboxStatistics -Identity
// (TotalItemSize as "14.61 GB (15,687,850,951 bytes)"),
// Get-/Add-/Remove-MailboxPermission (FullAccess, InheritanceType All,
// AutoMapping), Get-/Add-/Remove-RecipientPermission (SendAs, Trustee),
// New-Mailbox -Shared -Name -DisplayName -PrimarySmtpAddress,
// Get-AcceptedDomain and Get-Recipient -Identity; any other cmdlet can be
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
// real PowerShell semantics (wildcards, -Filter, -ResultSize), and the
// outcome of a change (already present, nothing to remove, an address taken)
// is whatever the backend makes of it; Set-Mailbox warns "no settings ...
// modified" when Get-Mailbox answers the same before and after.
package exchangetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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
	if n := s.opts.PageSize; n > 0 && len(raws) > n {
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

func (s *Server) getMailbox(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-Mailbox", params, "Identity", "ResultSize"); err != nil {
		return nil, nil, err
	}
	_, hasID := param(params, "Identity")
	if n, ok := param(params, "ResultSize"); ok && !hasID {
		// A listing: the fake cannot enumerate its backend and lists none.
		if f, isNum := n.(float64); !isNum || f < 1 {
			return nil, nil, badParam("Cannot bind parameter 'ResultSize': expected a positive number, got %v.", n)
		}
		return []any{}, []string{}, nil
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	mb, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return []any{WireMailbox(mb)}, []string{}, nil
}

// setMailbox runs Set-Mailbox -Identity with -Type, -GrantSendOnBehalfTo (the
// Add/Remove hashtable only) or both.
func (s *Server) setMailbox(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Set-Mailbox", params, "Identity", "Type", "GrantSendOnBehalfTo", "Confirm"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	tv, hasType := param(params, "Type")
	t, ok := tv.(string)
	if hasType && (!ok || t == "") {
		return nil, nil, badParam("Cannot bind parameter 'Type': expected a non-empty string, got %v.", tv)
	}
	sv, hasSOB := param(params, "GrantSendOnBehalfTo")
	var add, remove []string
	if hasSOB {
		if add, remove, err = hashtableParam("GrantSendOnBehalfTo", sv); err != nil {
			return nil, nil, err
		}
	}
	if !hasType && !hasSOB {
		return nil, nil, badParam("The fake Set-Mailbox requires Type or GrantSendOnBehalfTo.")
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return nil, nil, err
	}
	before, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if hasType {
		if err := s.backend.SetMailboxType(ctx, id, mailbox.MailboxType(t)); err != nil {
			return nil, nil, err
		}
	}
	if hasSOB {
		if err := s.backend.SetSendOnBehalf(ctx, id, add, remove); err != nil {
			return nil, nil, err
		}
	}
	after, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	// A backend may report the new type only later (conversion is not
	// instant), so "unchanged" also needs the mailbox to have had the type.
	want := map[string]string{"shared": mailbox.RecipientSharedMailbox, "regular": mailbox.RecipientUserMailbox}[strings.ToLower(t)]
	if reflect.DeepEqual(before, after) && (want == "" || before.RecipientTypeDetails == want) {
		return []any{}, []string{NoChangeWarning(before.Identity)}, nil
	}
	return []any{}, []string{}, nil
}

// NoChangeWarning is the warning Set-Mailbox gives when nothing changed.
func NoChangeWarning(identity string) string {
	return fmt.Sprintf("The command completed successfully but no settings of '%s' have been modified.", identity)
}

// Mailbox is a Get-Mailbox object in the wire shape of
// samples/exchange-get-mailbox.json (as far as mailbox.Mailbox goes).
type Mailbox struct {
	Identity                      string   `json:"Identity"`
	DisplayName                   string   `json:"DisplayName"`
	Alias                         string   `json:"Alias"`
	UserPrincipalName             string   `json:"UserPrincipalName"`
	PrimarySmtpAddress            string   `json:"PrimarySmtpAddress"`
	ExternalDirectoryObjectId     string   `json:"ExternalDirectoryObjectId"`
	ExchangeGuid                  string   `json:"ExchangeGuid,omitempty"`
	WhenCreatedUTC                string   `json:"WhenCreatedUTC,omitempty"` // ISO 8601, UTC
	RecipientTypeDetails          string   `json:"RecipientTypeDetails"`
	IsDirSynced                   bool     `json:"IsDirSynced"`
	LitigationHoldEnabled         bool     `json:"LitigationHoldEnabled"`
	InPlaceHoldsType              string   `json:"InPlaceHolds@odata.type"`
	InPlaceHolds                  []string `json:"InPlaceHolds"`
	ArchiveStatus                 string   `json:"ArchiveStatus"`
	HiddenFromAddressListsEnabled bool     `json:"HiddenFromAddressListsEnabled"`
	GrantSendOnBehalfToType       string   `json:"GrantSendOnBehalfTo@odata.type"`
	GrantSendOnBehalfTo           []string `json:"GrantSendOnBehalfTo"`
	AutoExpandingArchiveEnabled   bool     `json:"AutoExpandingArchiveEnabled"`
}

// WireMailbox converts a mailbox.Mailbox to its wire shape.
func WireMailbox(m mailbox.Mailbox) Mailbox {
	alias, _, _ := strings.Cut(m.PrimarySMTPAddress, "@")
	archive := m.ArchiveStatus
	if archive == "" {
		archive = "None"
	}
	return Mailbox{
		Identity:                      m.Identity,
		DisplayName:                   m.DisplayName,
		Alias:                         alias,
		UserPrincipalName:             m.UserPrincipalName,
		PrimarySmtpAddress:            m.PrimarySMTPAddress,
		ExternalDirectoryObjectId:     m.ExternalDirectoryObjectID,
		ExchangeGuid:                  m.ExchangeGUID,
		WhenCreatedUTC:                when(m.WhenCreatedUTC),
		RecipientTypeDetails:          m.RecipientTypeDetails,
		IsDirSynced:                   m.IsDirSynced,
		LitigationHoldEnabled:         m.LitigationHoldEnabled,
		InPlaceHoldsType:              "#Collection(String)",
		InPlaceHolds:                  nonNil(m.InPlaceHolds),
		ArchiveStatus:                 archive,
		HiddenFromAddressListsEnabled: m.HiddenFromAddressListsEnabled,
		GrantSendOnBehalfToType:       "#Collection(String)",
		GrantSendOnBehalfTo:           nonNil(m.GrantSendOnBehalfTo),
		AutoExpandingArchiveEnabled:   m.AutoExpandingArchiveEnabled,
	}
}

// when writes a date as the admin API does; "" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

type answer struct {
	Context      string            `json:"@odata.context"`
	NextLink     string            `json:"@odata.nextLink,omitempty"`
	WarningsType string            `json:"adminapi.warnings@odata.type"`
	Warnings     []string          `json:"@adminapi.warnings"`
	Value        []json.RawMessage `json:"value"`
}

func writePage(w http.ResponseWriter, base, tenant string, values []json.RawMessage, warnings []string, next string) {
	if values == nil {
		values = []json.RawMessage{}
	}
	if warnings == nil {
		warnings = []string{}
	}
	a := answer{
		Context:      base + "/adminapi/beta/" + tenant + "/$metadata#Collection(Exchange.GenericHashTable)",
		WarningsType: "#Collection(String)",
		Warnings:     warnings,
		Value:        values,
	}
	if next != "" {
		a.NextLink = base + "/adminapi/beta/" + tenant + "/InvokeCommand?$skiptoken=" + next
	}
	writeJSON(w, http.StatusOK, a)
}

type errorDetail struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

type errorAnswer struct {
	Error struct {
		Code       string        `json:"code"`
		Message    string        `json:"message"`
		Details    []errorDetail `json:"details,omitempty"`
		InnerError *struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"innererror,omitempty"`
	} `json:"error"`
}

// writeError writes {"error":{...}}; with detail, in the cmdlet-error shape
// of samples/exchange-error-notfound.json.
func writeError(w http.ResponseWriter, status int, code, message, detail string) {
	var a errorAnswer
	a.Error.Code = code
	a.Error.Message = message
	if detail != "" {
		a.Error.Details = []errorDetail{{Code: "Client", Message: detail}}
		_, _, last := cutTwice(detail)
		a.Error.InnerError = &struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		}{last, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"}
	}
	writeJSON(w, status, a)
}

func cutTwice(s string) (string, string, string) {
	a, rest, _ := strings.Cut(s, "|")
	b, c, ok := strings.Cut(rest, "|")
	if !ok {
		return "", "", s
	}
	return a, b, c
}

func writeCmdletError(w http.ResponseWriter, err error, params map[string]any) {
	var re *mailbox.RemoteError
	switch {
	case errors.As(err, &re):
		status := re.Status
		if status < 400 {
			status = http.StatusInternalServerError
		}
		code := re.Code
		if code == "" {
			code = faultCode(status)
		}
		detail := re.Message
		if !strings.Contains(detail, "|") {
			detail = "Ex000000|Microsoft.Exchange.Management.Tasks.TaskException|" + detail
		}
		writeError(w, status, code, "Error executing cmdlet", detail)
	case errors.Is(err, mailbox.ErrNotFound):
		id, _ := param(params, "Identity")
		writeError(w, http.StatusNotFound, "NotFound", "Error executing cmdlet",
			fmt.Sprintf("Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"+
				"The operation couldn't be performed because object '%v' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.", id))
	default:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "Error executing cmdlet",
			"Ex000000|System.Exception|"+err.Error())
	}
}

func faultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusForbidden:
		return "Forbidden"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

func faultMessage(status int) string {
	if status == http.StatusTooManyRequests {
		return "The request was throttled. Retry after the time in the Retry-After header."
	}
	return http.StatusText(status)
}

func contentType(body string) string {
	b := strings.TrimSpace(body)
	switch {
	case strings.HasPrefix(b, "{"):
		return "application/json; charset=utf-8"
	case strings.HasPrefix(b, "<"):
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
