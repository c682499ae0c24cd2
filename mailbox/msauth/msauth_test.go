package msauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	graphScope = "https://graph.microsoft.com/.default"
)

// fakeAuthority is a TLS Entra ID authority serving what MSAL asks for with
// instance discovery off: the tenant's OpenID configuration and its token
// endpoint (client credentials grant).
type fakeAuthority struct {
	srv *httptest.Server
	// check validates the client authentication of a token request; it
	// returns an AADSTS error text, or "".
	check func(form map[string]string) string

	mu     sync.Mutex
	tokens []map[string]string // token request forms, in order
	paths  []string
}

func newFakeAuthority(t *testing.T, check func(form map[string]string) string) *fakeAuthority {
	t.Helper()
	fa := &fakeAuthority{check: check}
	fa.srv = httptest.NewTLSServer(http.HandlerFunc(fa.serve))
	t.Cleanup(fa.srv.Close)
	return fa
}

func (fa *fakeAuthority) authority() string { return fa.srv.URL + "/" + testTenant }

func (fa *fakeAuthority) serve(w http.ResponseWriter, r *http.Request) {
	fa.mu.Lock()
	fa.paths = append(fa.paths, r.Method+" "+r.URL.Path)
	fa.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/"+testTenant+"/v2.0/.well-known/openid-configuration":
		a := fa.authority()
		json.NewEncoder(w).Encode(map[string]any{
			"token_endpoint":                        a + "/oauth2/v2.0/token",
			"authorization_endpoint":                a + "/oauth2/v2.0/authorize",
			"issuer":                                a + "/v2.0",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"jwks_uri":                              a + "/discovery/v2.0/keys",
			"tenant_region_scope":                   "EU",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+testTenant+"/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		fa.mu.Lock()
		fa.tokens = append(fa.tokens, form)
		fa.mu.Unlock()
		if form["grant_type"] != "client_credentials" || form["client_id"] != testClient || form["scope"] == "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_request",
				"error_description": fmt.Sprintf("AADSTS900144: unexpected grant %q or client %q", form["grant_type"], form["client_id"])})
			return
		}
		if msg := fa.check(form); msg != "" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]any{"error": "invalid_client", "error_description": msg, "error_codes": []int{7000215}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"token_type":     "Bearer",
			"expires_in":     3599,
			"ext_expires_in": 3599,
			"access_token":   "token-for-" + strings.Fields(form["scope"])[0],
		})
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"invalid_request","error_description":"AADSTS90002: no route %s %s"}`, r.Method, r.URL.Path)
	}
}

func (fa *fakeAuthority) tokenRequests() []map[string]string {
	fa.mu.Lock()
	defer fa.mu.Unlock()
	return append([]map[string]string(nil), fa.tokens...)
}

func getToken(t *testing.T, cred azcore.TokenCredential) (azcore.AccessToken, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope}})
}

func TestClientSecret(t *testing.T) {
	fa := newFakeAuthority(t, func(form map[string]string) string {
		if form["client_secret"] != "s3cret" {
			return "AADSTS7000215: Invalid client secret provided."
		}
		return ""
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, ClientSecret: "s3cret",
		AuthorityHost: fa.srv.URL, HTTPClient: fa.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := getToken(t, cred)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != "token-for-"+graphScope {
		t.Errorf("token = %q", tok.Token)
	}
	if until := time.Until(tok.ExpiresOn); until < 50*time.Minute || until > 61*time.Minute {
		t.Errorf("ExpiresOn in %v, want about an hour", until)
	}
	reqs := fa.tokenRequests()
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0]["scope"], graphScope+" ") {
		t.Errorf("token requests = %v", reqs)
	}
	fa.mu.Lock()
	for _, p := range fa.paths {
		if strings.Contains(p, "discovery/instance") {
			t.Errorf("instance discovery requested for a private authority: %s", p)
		}
	}
	fa.mu.Unlock()

	// A second call is served from azidentity's cache.
	if _, err := getToken(t, cred); err != nil {
		t.Fatal(err)
	}
	if n := len(fa.tokenRequests()); n != 1 {
		t.Errorf("token requests after a cached call = %d, want 1", n)
	}
}

func TestClientSecretRejected(t *testing.T) {
	fa := newFakeAuthority(t, func(form map[string]string) string {
		return "AADSTS7000215: Invalid client secret provided."
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, ClientSecret: "wrong",
		AuthorityHost: fa.srv.URL + "/", HTTPClient: fa.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = getToken(t, cred)
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("err = %v, want the authority's AADSTS7000215", err)
	}
}

func TestClientCertificate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailboxbot test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, pemData, 0o600); err != nil {
		t.Fatal(err)
	}

	var fa *fakeAuthority
	fa = newFakeAuthority(t, func(form map[string]string) string {
		if form["client_secret"] != "" {
			return "AADSTS: a secret was sent with a certificate credential"
		}
		if form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "AADSTS: client_assertion_type = " + form["client_assertion_type"]
		}
		if err := verifyAssertion(form["client_assertion"], cert, fa.authority()+"/oauth2/v2.0/token"); err != nil {
			return "AADSTS700027: " + err.Error()
		}
		return ""
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, CertificatePath: path,
		AuthorityHost: fa.srv.URL, HTTPClient: fa.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := getToken(t, cred)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != "token-for-"+graphScope {
		t.Errorf("token = %q", tok.Token)
	}
}

// verifyAssertion checks a client assertion JWT the way Entra ID does:
// signature by the certificate's key, thumbprint, audience and issuer.
func verifyAssertion(jwt string, cert *x509.Certificate, tokenEndpoint string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("assertion has %d parts", len(parts))
	}
	var header struct {
		Alg  string `json:"alg"`
		X5t  string `json:"x5t#S256"`
		X5t1 string `json:"x5t"`
	}
	var claims struct {
		Aud, Iss, Sub string
		Exp           int64
	}
	for i, dst := range []any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return err
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := cert.PublicKey.(*rsa.PublicKey)
	switch header.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, nil)
		thumb := sha256.Sum256(cert.Raw)
		if header.X5t != base64.StdEncoding.EncodeToString(thumb[:]) {
			return errors.New("x5t#S256 does not match the certificate")
		}
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return fmt.Errorf("unexpected alg %q", header.Alg)
	}
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if claims.Aud != tokenEndpoint || claims.Iss != testClient || claims.Sub != testClient {
		return fmt.Errorf("claims aud=%q iss=%q sub=%q", claims.Aud, claims.Iss, claims.Sub)
	}
	if time.Unix(claims.Exp, 0).Before(time.Now()) {
		return errors.New("assertion expired")
	}
	return nil
}

func TestWorkloadIdentity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(path, []byte("federated-k8s-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	fa := newFakeAuthority(t, func(form map[string]string) string {
		if form["client_assertion"] != "federated-k8s-token" {
			return "AADSTS700211: client_assertion = " + form["client_assertion"]
		}
		return ""
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, FederatedTokenFile: path,
		AuthorityHost: fa.srv.URL, HTTPClient: fa.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getToken(t, cred); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		notConf  bool
		contains []string
	}{
		{"nothing", Config{}, true, []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "managed identity"}},
		{"secret without tenant", Config{ClientID: testClient, ClientSecret: "x"}, true, []string{"AZURE_TENANT_ID"}},
		{"certificate without ids", Config{CertificatePath: "/nonexistent.pem"}, true, []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID"}},
		{"missing certificate file", Config{TenantID: testTenant, ClientID: testClient, CertificatePath: "/nonexistent.pem"}, false, []string{"read client certificate"}},
		{"plain http authority", Config{TenantID: testTenant, ClientID: testClient, ClientSecret: "x", AuthorityHost: "http://login.example"}, false, []string{"https"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := NewCredential(tc.cfg)
			if err == nil {
				t.Fatalf("NewCredential = %T, want an error", cred)
			}
			if errors.Is(err, ErrNotConfigured) != tc.notConf {
				t.Errorf("errors.Is(%v, ErrNotConfigured) = %v", err, !tc.notConf)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := NewCredential(Config{TenantID: testTenant, ClientID: testClient, CertificatePath: bad}); err == nil || !strings.Contains(err.Error(), "parse client certificate") {
		t.Errorf("bad certificate: err = %v", err)
	}
}

func TestChoice(t *testing.T) {
	// A client secret wins over a certificate path (which is not even read).
	cred, err := NewCredential(Config{TenantID: testTenant, ClientID: testClient, ClientSecret: "x", CertificatePath: "/nonexistent.pem"})
	if err != nil {
		t.Fatalf("secret and certificate: %v", err)
	}
	if _, ok := cred.(*azidentity.ClientSecretCredential); !ok {
		t.Errorf("secret and certificate: got %T, want a client secret credential", cred)
	}
	cred, err = NewCredential(Config{UseManagedIdentity: true, ClientID: testClient})
	if err != nil {
		t.Fatalf("managed identity: %v", err)
	}
	if _, ok := cred.(*azidentity.ManagedIdentityCredential); !ok {
		t.Errorf("managed identity: got %T", cred)
	}
}

func TestIsPublicAuthorityHost(t *testing.T) {
	for host, want := range map[string]bool{
		"https://login.microsoftonline.com/":        true,
		"https://LOGIN.microsoftonline.us":          true,
		"login.chinacloudapi.cn":                    true,
		"https://login.partner.microsoftonline.cn/": true,
		"https://127.0.0.1:8443":                    false,
		"https://login.contoso.example/":            false,
	} {
		if got := IsPublicAuthorityHost(host); got != want {
			t.Errorf("IsPublicAuthorityHost(%q) = %v, want %v", host, got, want)
		}
	}
}
