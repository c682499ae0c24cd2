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
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"

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
