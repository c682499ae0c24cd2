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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mailboxbot/mailboxbot/mailbox/msauth/msauthtest"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	graphScope = "https://graph.microsoft.com/.default"
)

// newFakeAuthority starts msauthtest's authority for the test tenant, with
// check judging each token request's client authentication.
func newFakeAuthority(t *testing.T, check func(form map[string]string) string) *msauthtest.Authority {
	t.Helper()
	fa := msauthtest.New(testTenant, testClient, "")
	fa.Check = check
	t.Cleanup(fa.Close)
	return fa
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
		AuthorityHost: strings.TrimSuffix(fa.Host(), "/"), HTTPClient: fa.Client(),
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
	reqs := fa.TokenRequests()
	if len(reqs) != 1 || !strings.HasPrefix(reqs[0]["scope"], graphScope+" ") {
		t.Errorf("token requests = %v", reqs)
	}
	for _, p := range fa.Paths() {
		if strings.Contains(p, "discovery/instance") {
			t.Errorf("instance discovery requested for a private authority: %s", p)
		}
	}

	// A second call is served from azidentity's cache.
	if _, err := getToken(t, cred); err != nil {
		t.Fatal(err)
	}
	if n := len(fa.TokenRequests()); n != 1 {
		t.Errorf("token requests after a cached call = %d, want 1", n)
	}
}

func TestClientSecretRejected(t *testing.T) {
	fa := newFakeAuthority(t, func(form map[string]string) string {
		return "AADSTS7000215: Invalid client secret provided."
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, ClientSecret: "wrong",
		AuthorityHost: fa.Host(), HTTPClient: fa.Client(),
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

	var fa *msauthtest.Authority
	fa = newFakeAuthority(t, func(form map[string]string) string {
		if form["client_secret"] != "" {
			return "AADSTS: a secret was sent with a certificate credential"
		}
		if form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "AADSTS: client_assertion_type = " + form["client_assertion_type"]
		}
		if err := verifyAssertion(form["client_assertion"], cert, fa.Authority()+"/oauth2/v2.0/token"); err != nil {
			return "AADSTS700027: " + err.Error()
		}
		return ""
	})
	cred, err := NewCredential(Config{
		TenantID: testTenant, ClientID: testClient, CertificatePath: path,
		AuthorityHost: strings.TrimSuffix(fa.Host(), "/"), HTTPClient: fa.Client(),
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
		AuthorityHost: strings.TrimSuffix(fa.Host(), "/"), HTTPClient: fa.Client(),
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
