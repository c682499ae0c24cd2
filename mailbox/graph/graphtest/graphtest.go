// Package graphtest is a fake Microsoft Graph v1.0 server for tests: a TLS
// httptest server speaking Graph's JSON (shapes of DESIGN.md's samples) over
// any mailbox.Directory, such as the in-memory sandbox tenant.
//
// It serves, each from the backend's method of the same purpose:
//
//	GET   /v1.0/users/{id|upn}                 (honouring $select)
//	GET   /v1.0/users/{id}/manager
//	PATCH /v1.0/users/{id}                     accountEnabled, passwordProfile
//	POST  /v1.0/users/{id}/revokeSignInSessions
//	POST  /v1.0/users/{id}/assignLicense
//	POST  /v1.0/users/{id}/authentication/temporaryAccessPassMethods
//	GET   /v1.0/subscribedSkus
//	GET   /v1.0/groups/{id}                    (honouring $select)
//	GET   /v1.0/groups?$filter=mail eq '..'    (honouring $select)
//	GET   /v1.0/groups/{id}/members/microsoft.graph.user (or graph.user)
//	GET   /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user (or graph.user)
//	GET   /v1.0/directory/deletedItems/microsoft.graph.user (or graph.user)
//	POST  /v1.0/directory/deletedItems/{id}/restore
//
// Listing deleted users needs a backend that also implements
// DeletedUserLister; a deleted user's userPrincipalName is rendered as Graph
// does, its object id followed by the UPN it had. Lists are paged with
// @odata.nextLink when Options.PageSize is set.
//
// It answers errors as Graph does: 404 Request_ResourceNotFound, 401
// InvalidAuthenticationToken, 400 for what it does not serve, and a
// backend's *mailbox.RemoteError as it says. It records every call, with
// passwords in request bodies replaced by Redacted (a Temporary Access Pass
// is only ever in an answer, which is not recorded), and can answer the next
// or every k-th request with a throttling error and Retry-After. It covers
// only what mailbox/graph calls; it does not check token signatures or
// permissions.
package graphtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/faults"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Options configure a Server.
type Options struct {
	// Token is the bearer token requests must carry; "" accepts any
	// non-empty bearer token (a request without one still gets a 401).
	Token string
	// PageSize, when > 0, splits lists (subscribedSkus, deleted users,
	// groups, group members, transitive members) into pages of that many entries linked by
	// @odata.nextLink.
	PageSize int
	// CompactDeletedUPN renders a deleted user's userPrincipalName with its
	// object id without dashes in front, instead of the id with dashes.
	CompactDeletedUPN bool
}

// Redacted replaces passwords in recorded request bodies (Call.Body).
const Redacted = "[REDACTED]"

// DeletedUserLister is implemented by backends that hold deleted users. The
// fake lists GET /directory/deletedItems/microsoft.graph.user from it, with
// each user's UserPrincipalName as it was before deletion; without it that
// route answers 501.
//
// GET /groups takes only the filter mail eq '<address>' (an OData string, a
// quote doubled) and answers 400 for any other; it lists the groups of the
// backend's GroupsByMail when the backend is a GroupsByMailLister, else the
// one group of GroupByMail (none on ErrNotFound).
type DeletedUserLister interface {
	DeletedUsers(ctx context.Context) ([]mailbox.DeletedUser, error)
}

// GroupsByMailLister is implemented by backends that can hold several
// groups with one address (a misconfigured tenant); the fake lists
// GET /groups?$filter=mail eq '..' from it when it is there.
type GroupsByMailLister interface {
	GroupsByMail(ctx context.Context, address string) ([]mailbox.Group, error)
}

// Call is one request the server received.
type Call struct {
	Method   string
	Path     string     // decoded, relative to URL(): "/users/alice@contoso.com"
	RawPath  string     // as sent, relative to URL(): "/users/alice%40contoso.com"
	Query    url.Values // decoded query, e.g. Query.Get("$select")
	RawQuery string     // the query as sent, without '?'
	Body     string     // decompressed request body, passwords Redacted
	Status   int        // the status answered
}

// Server is a fake Graph v1.0 endpoint. It is safe for concurrent use.
type Server struct {
	backend mailbox.Directory
	opts    Options
	srv     *httptest.Server

	mu     sync.Mutex
	calls  []Call
	faults faults.Injector
}

// New starts a TLS server answering from backend. Close it when done.
func New(backend mailbox.Directory, opts Options) *Server {
	s := &Server{backend: backend, opts: opts}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the Graph base URL to configure a client with, e.g.
// https://127.0.0.1:41234/v1.0.
func (s *Server) URL() string { return s.srv.URL + "/v1.0" }

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many requests had method ("" for any) and a Path
// starting with pathPrefix.
func (s *Server) Count(method, pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if (method == "" || c.Method == method) && strings.HasPrefix(c.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// FailNext answers the next n authenticated requests with status (429,
// 503, ...) and Graph's error body, with the Retry-After header when
// retryAfter is not "".
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.faults.FailNext(n, faults.Fault{Status: status, RetryAfter: retryAfter})
}

// FailEvery answers every k-th authenticated request from now on (the k-th,
// the 2k-th, ...) with status and Graph's error body; k <= 0 stops it.
// FailNext takes precedence.
func (s *Server) FailEvery(k, status int, retryAfter string) {
	s.faults.FailEvery(k, faults.Fault{Status: status, RetryAfter: retryAfter})
}

// Throttle lets at most rate authenticated requests a second through
// from now on (a burst of one second's worth) and answers the others 429
// with Retry-After, as the service's own throttling does; 0 turns it off.
func (s *Server) Throttle(rate float64) { s.faults.Throttle(rate, nil) }

// FaultCounts says how many authenticated requests were served, failed on
// purpose and throttled so far.
func (s *Server) FaultCounts() faults.Counts { return s.faults.Counts() }

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	body, bodyErr := readBody(r)
	call := Call{
		Method:   r.Method,
		Path:     strings.TrimPrefix(r.URL.Path, "/v1.0"),
		RawPath:  strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0"),
		Query:    r.URL.Query(),
		RawQuery: r.URL.RawQuery,
		Body:     redact(body),
	}
	defer func() {
		call.Status = w.status
		if call.Status == 0 {
			call.Status = http.StatusOK
		}
		s.mu.Lock()
		s.calls = append(s.calls, call)
		s.mu.Unlock()
	}()

	requestID := newID()
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = requestID
	}
	w.Header().Set("request-id", requestID)
	w.Header().Set("client-request-id", clientRequestID)
	e := errorWriter{w: w, requestID: requestID, clientRequestID: clientRequestID}

	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || token == "":
		e.write(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.", "")
		return
	case s.opts.Token != "" && token != s.opts.Token:
		e.write(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.", "")
		return
	}
	if f, ok := s.faults.Take(); ok {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		code, msg, inner := failureText(f.Status)
		e.write(f.Status, code, msg, inner)
		return
	}
	if bodyErr != nil {
		e.write(http.StatusBadRequest, "BadRequest", "Unable to read the request body: "+bodyErr.Error(), "")
		return
	}

	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1.0/")
	if !ok {
		e.write(http.StatusBadRequest, "BadRequest", "Invalid version.", "")
		return
	}
	var segs []string
	for _, seg := range strings.Split(rest, "/") {
		v, err := url.PathUnescape(seg)
		if err != nil {
			e.write(http.StatusBadRequest, "BadRequest", "Invalid request URL segment '"+seg+"'.", "")
			return
		}
		segs = append(segs, v)
	}
	ctx := r.Context()
	notAllowed := func() {
		e.write(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", "")
	}
	// route runs h when the request has method, else answers 405.
	route := func(method string, h func()) {
		if r.Method != method {
			notAllowed()
			return
		}
		h()
	}
	switch {
	case len(segs) == 2 && segs[0] == "users" && segs[1] != "":
		switch r.Method {
		case http.MethodGet:
			s.getUser(ctx, w, e, r, segs[1])
		case http.MethodPatch:
			s.patchUser(ctx, w, e, segs[1], body)
		default:
			notAllowed()
		}
	case len(segs) == 3 && segs[0] == "users" && segs[1] != "" && segs[2] == "manager":
		route(http.MethodGet, func() { s.getManager(ctx, w, e, r, segs[1]) })
	case len(segs) == 3 && segs[0] == "users" && segs[1] != "" && segs[2] == "revokeSignInSessions":
		route(http.MethodPost, func() { s.revokeSessions(ctx, w, e, segs[1]) })
	case len(segs) == 3 && segs[0] == "users" && segs[1] != "" && segs[2] == "assignLicense":
		route(http.MethodPost, func() { s.assignLicense(ctx, w, e, segs[1], body) })
	case len(segs) == 4 && segs[0] == "users" && segs[1] != "" && segs[2] == "authentication" && segs[3] == "temporaryAccessPassMethods":
		route(http.MethodPost, func() { s.createTAP(ctx, w, e, segs[1], body) })
	case len(segs) == 1 && segs[0] == "subscribedSkus":
		route(http.MethodGet, func() { s.subscribedSkus(ctx, w, e, r) })
	case len(segs) == 1 && segs[0] == "groups":
		route(http.MethodGet, func() { s.listGroups(ctx, w, e, r) })
	case len(segs) == 2 && segs[0] == "groups" && segs[1] != "":
		route(http.MethodGet, func() { s.getGroup(ctx, w, e, r, segs[1]) })
	case len(segs) == 4 && segs[0] == "groups" && segs[1] != "" && segs[2] == "members" &&
		(segs[3] == "microsoft.graph.user" || segs[3] == "graph.user"):
		route(http.MethodGet, func() { s.groupMembers(ctx, w, e, r, segs[1], false) })
	case len(segs) == 4 && segs[0] == "groups" && segs[1] != "" && segs[2] == "transitiveMembers" &&
		(segs[3] == "microsoft.graph.user" || segs[3] == "graph.user"):
		route(http.MethodGet, func() { s.groupMembers(ctx, w, e, r, segs[1], true) })
	case len(segs) == 3 && segs[0] == "directory" && segs[1] == "deletedItems" &&
		(segs[2] == "microsoft.graph.user" || segs[2] == "graph.user"):
		route(http.MethodGet, func() { s.deletedUsers(ctx, w, e, r) })
	case len(segs) == 4 && segs[0] == "directory" && segs[1] == "deletedItems" && segs[2] != "" && segs[3] == "restore":
		route(http.MethodPost, func() { s.restore(ctx, w, e, segs[2]) })
	default:
		e.write(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[len(segs)-1]+"'.", "")
	}
}

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	return io.ReadAll(io.LimitReader(rd, 1<<20))
}

// lookup reads a user from the backend, answering the error itself.
func (s *Server) lookup(ctx context.Context, e errorWriter, idOrUPN string) (mailbox.User, bool) {
	u, err := s.backend.User(ctx, idOrUPN)
	if err != nil {
		e.backendError(err, idOrUPN)
		return mailbox.User{}, false
	}
	return u, true
}

func (s *Server) getUser(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string) {
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#users/$entity"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#users(" + strings.Join(sel, ",") + ")/$entity"
	}
	obj := renderUser(u, sel)
	obj["@odata.context"] = ctxURL
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) getManager(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string) {
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	m, err := s.backend.Manager(ctx, u.ID)
	if err != nil {
		e.backendError(err, "manager")
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#directoryObjects/$entity"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#directoryObjects(" + strings.Join(sel, ",") + ")/$entity"
	}
	obj := renderUser(m, sel)
	obj["@odata.context"] = ctxURL
	obj["@odata.type"] = "#microsoft.graph.user"
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) patchUser(ctx context.Context, w http.ResponseWriter, e errorWriter, id string, body []byte) {
	props, ok := jsonObject(e, body)
	if !ok {
		return
	}
	var (
		enabled  *bool
		password *passwordProfile
	)
	for k, v := range props {
		switch k {
		case "@odata.type":
			var t string
			if json.Unmarshal(v, &t) != nil || t != "#microsoft.graph.user" {
				e.write(http.StatusBadRequest, "BadRequest", "A type named '"+string(v)+"' could not be resolved by the model.", "")
				return
			}
		case "accountEnabled":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.", "")
				return
			}
			enabled = &b
		case "passwordProfile":
			p, ok := parsePasswordProfile(e, v)
			if !ok {
				return
			}
			password = &p
		default:
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is not supported by the fake Graph server (graphtest).", "")
			return
		}
	}
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	if enabled != nil {
		if err := s.backend.SetAccountEnabled(ctx, u.ID, *enabled); err != nil {
			e.backendError(err, id)
			return
		}
	}
	if password != nil {
		if err := s.backend.ResetPassword(ctx, u.ID, password.password, password.forceChange); err != nil {
			e.backendError(err, id)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

type passwordProfile struct {
	password    string
	forceChange bool
}

// parsePasswordProfile reads {"password":"..","forceChangePasswordNextSignIn":b}.
// Its errors never quote the password.
func parsePasswordProfile(e errorWriter, raw json.RawMessage) (passwordProfile, bool) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil || props == nil {
		e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the value of property 'passwordProfile' to the expected type 'microsoft.graph.passwordProfile'.", "")
		return passwordProfile{}, false
	}
	var p passwordProfile
	for k, v := range props {
		switch k {
		case "password":
			if json.Unmarshal(v, &p.password) != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the value of property 'password' to the expected type 'Edm.String'.", "")
				return passwordProfile{}, false
			}
		case "forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.", "")
				return passwordProfile{}, false
			}
			if k == "forceChangePasswordNextSignIn" {
				p.forceChange = b
			}
		case "@odata.type":
		default:
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is not supported by the fake Graph server (graphtest).", "")
			return passwordProfile{}, false
		}
	}
	if p.password == "" {
		e.write(http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User'.", "")
		return passwordProfile{}, false
	}
	return p, true
}

// jsonObject parses a request body that must be a JSON object.
func jsonObject(e errorWriter, body []byte) (map[string]json.RawMessage, bool) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(body, &props); err != nil || props == nil {
		e.write(http.StatusBadRequest, "BadRequest",
			"Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.", "")
		return nil, false
	}
	return props, true
}

// selected returns the $select list, or nil for Graph's default properties.
func selected(r *http.Request) []string {
	v := r.URL.Query().Get("$select")
	if v == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// lastUpdated is the fixed lastUpdatedDateTime of license states.
const lastUpdated = "2025-03-04T10:11:12Z"

// renderUser renders u as Graph does: the selected properties, or Graph's
// default set. Properties the fake does not model are null.
func renderUser(u mailbox.User, sel []string) map[string]any {
	var skus []string
	var assigned, states []map[string]any
	for _, l := range u.Licenses {
		var group any
		if l.AssignedByGroup != "" {
			group = l.AssignedByGroup
		}
		states = append(states, map[string]any{
			"assignedByGroup": group, "state": "Active", "error": "None", "skuId": l.SkuID,
			"disabledPlans": []string{}, "lastUpdatedDateTime": lastUpdated,
		})
		if !slices.Contains(skus, l.SkuID) {
			skus = append(skus, l.SkuID)
			assigned = append(assigned, map[string]any{"disabledPlans": []string{}, "skuId": l.SkuID})
		}
	}
	var synced any // Graph says null, not false, for a cloud-only user
	if u.OnPremisesSyncEnabled {
		synced = true
	}
	all := map[string]any{
		"id":                      u.ID,
		"displayName":             u.DisplayName,
		"userPrincipalName":       u.UserPrincipalName,
		"mail":                    nullable(u.Mail),
		"accountEnabled":          u.AccountEnabled,
		"onPremisesSyncEnabled":   synced,
		"assignedLicenses":        orEmpty(assigned),
		"licenseAssignmentStates": orEmpty(states),
		"businessPhones":          []string{},
	}
	if !u.SignInSessionsValidFrom.IsZero() {
		all["signInSessionsValidFromDateTime"] = u.SignInSessionsValidFrom.UTC().Format(time.RFC3339)
	}
	if sel == nil {
		sel = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
			"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	}
	out := make(map[string]any, len(sel)+2)
	for _, f := range sel {
		out[f] = all[f] // nil (JSON null) for what the fake does not model
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorWriter answers Graph's error body:
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
type errorWriter struct {
	w                          http.ResponseWriter
	requestID, clientRequestID string
}

func (e errorWriter) write(status int, code, message, innerCode string) {
	inner := map[string]any{
		"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        e.requestID,
		"client-request-id": e.clientRequestID,
	}
	if innerCode != "" {
		inner["code"] = innerCode
	}
	writeJSON(e.w, status, map[string]any{"error": map[string]any{"code": code, "message": message, "innerError": inner}})
}

// backendError answers an error from the backend: a *mailbox.RemoteError as
// it says, ErrNotFound as Graph's 404 for resource, anything else as a 500.
func (e errorWriter) backendError(err error, resource string) {
	var re *mailbox.RemoteError
	switch {
	case errors.As(err, &re) && re.Status >= 400:
		e.write(re.Status, re.Code, re.Message, "")
	case errors.Is(err, mailbox.ErrNotFound):
		e.write(http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+resource+"' does not exist or one of its queried reference-property objects are not present.", "")
	case errors.Is(err, mailbox.ErrForbidden):
		e.write(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "")
	default:
		e.write(http.StatusInternalServerError, "generalException", "An internal server error occurred: "+err.Error(), "")
	}
}

// failureText returns Graph's code, message and inner code for an injected
// failure status.
func failureText(status int) (code, message, inner string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Too many requests.", "ApplicationThrottled"
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable", "Service is temporarily unavailable. Please try again later.", ""
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The gateway did not receive a timely response.", ""
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", ""
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", ""
	}
	return "generalException", http.StatusText(status), ""
}

// newID returns a random request id in GUID form.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
