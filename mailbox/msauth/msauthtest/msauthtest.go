// Package msauthtest is a fake Microsoft Entra ID authority for tests: it
// answers the OpenID configuration and the client-credentials token requests
// that azidentity (MSAL) makes when instance discovery is off, over TLS.
// Each access token names the scope it was asked for, so a fake resource
// server can check that a client asked for the right one.
package msauthtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Authority is the fake. ClientID is the only client id it accepts.
// Check, when set, judges a token request's client authentication and
// returns an AADSTS error text or ""; otherwise Secret, when set, is the
// only client secret accepted. Set Check before the first request.
type Authority struct {
	TenantID, ClientID, Secret string
	Check                      func(form map[string]string) string

	srv    *httptest.Server
	mu     sync.Mutex
	tokens []map[string]string
	paths  []string
}

// New starts a fake authority on a loopback TLS server.
func New(tenantID, clientID, secret string) *Authority {
	a := &Authority{TenantID: tenantID, ClientID: clientID, Secret: secret}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	return a
}

// Host is the authority host, for AZURE_AUTHORITY_HOST.
func (a *Authority) Host() string { return a.srv.URL + "/" }

// Authority is the tenant's authority URL (host and tenant id).
func (a *Authority) Authority() string { return a.srv.URL + "/" + a.TenantID }

// Paths lists the requests received, as "METHOD /path", in order.
func (a *Authority) Paths() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.paths...)
}

// Client trusts the server's certificate.
func (a *Authority) Client() *http.Client { return a.srv.Client() }

// Close stops the server.
func (a *Authority) Close() { a.srv.Close() }

// TokenFor is the access token the authority issues for scope.
func TokenFor(scope string) string { return "token-for-" + scope }

// TokenRequests returns the token requests' forms, in order.
func (a *Authority) TokenRequests() []map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]string(nil), a.tokens...)
}

func (a *Authority) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.paths = append(a.paths, r.Method+" "+r.URL.Path)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	base := a.Authority()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/"+a.TenantID+"/v2.0/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"issuer":                                base + "/v2.0",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"jwks_uri":                              base + "/discovery/v2.0/keys",
			"tenant_region_scope":                   "EU",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+a.TenantID+"/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		a.mu.Lock()
		a.tokens = append(a.tokens, form)
		a.mu.Unlock()
		if form["grant_type"] != "client_credentials" || form["client_id"] != a.ClientID || form["scope"] == "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_request",
				"error_description": fmt.Sprintf("AADSTS900144: unexpected grant %q or client %q", form["grant_type"], form["client_id"])})
			return
		}
		if msg := a.check(form); msg != "" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_description": msg, "error_codes": []int{7000215}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
			"access_token": TokenFor(strings.Fields(form["scope"])[0]),
		})
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"invalid_request","error_description":"AADSTS90002: no route %s %s"}`, r.Method, r.URL.Path)
	}
}

func (a *Authority) check(form map[string]string) string {
	if a.Check != nil {
		return a.Check(form)
	}
	if a.Secret != "" && form["client_secret"] != a.Secret {
		return "AADSTS7000215: Invalid client secret provided."
	}
	return ""
}
