// Package msauth builds the Microsoft Entra ID credential (an
// azcore.TokenCredential) with which the bot asks for tokens for Microsoft
// Graph and for Exchange Online.
//
// It chooses, in this order, a client secret, a client certificate (PEM or
// PKCS#12), workload identity (a federated token file, as the AKS webhook
// mounts it) or a managed identity, and fails with a sentence naming the
// settings to provide when none is configured. It sets the authority host for
// other clouds and turns Entra instance discovery off for a host that is not
// one of Microsoft's public authority hosts. It only builds the credential:
// tokens are requested, cached and refreshed by azidentity.
package msauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// DefaultAuthorityHost is the login host of Microsoft's public cloud.
const DefaultAuthorityHost = "https://login.microsoftonline.com/"

// ErrNotConfigured: no way to authenticate was configured.
var ErrNotConfigured = errors.New("no Microsoft Entra credential configured")

// Config says how to authenticate the app. The environment variable each
// field usually comes from is in brackets (DESIGN.md section 6); reading the
// environment is the caller's job.
type Config struct {
	TenantID     string // directory (tenant) id [AZURE_TENANT_ID]
	ClientID     string // application (client) id [AZURE_CLIENT_ID]; for a managed identity, its optional client id
	ClientSecret string // [AZURE_CLIENT_SECRET]

	// CertificatePath is a PEM (certificate and unencrypted private key) or
	// PKCS#12 file [AZURE_CLIENT_CERTIFICATE_PATH]; CertificatePassword
	// opens a PKCS#12 file [AZURE_CLIENT_CERTIFICATE_PASSWORD].
	CertificatePath     string
	CertificatePassword string

	// AuthorityHost is the login host, default DefaultAuthorityHost
	// [AZURE_AUTHORITY_HOST]. Instance discovery is turned off for a host
	// other than Microsoft's public ones.
	AuthorityHost string

	// FederatedTokenFile selects workload identity: a file holding a
	// Kubernetes service account token [AZURE_FEDERATED_TOKEN_FILE].
	FederatedTokenFile string

	// UseManagedIdentity selects the hosting environment's managed identity.
	UseManagedIdentity bool

	// HTTPClient sends the token requests; nil uses azcore's default
	// transport, which honours HTTPS_PROXY and NO_PROXY.
	HTTPClient *http.Client
}

// NewCredential returns the credential cfg describes: client secret, else
// certificate, else workload identity, else managed identity. It returns an
// error wrapping ErrNotConfigured when none is set.
func NewCredential(cfg Config) (azcore.TokenCredential, error) {
	opts, disableDiscovery, err := clientOptions(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.ClientSecret != "":
		if err := requireApp(cfg, "AZURE_CLIENT_SECRET"); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("msauth: client secret credential: %w", err)
		}
		return cred, nil

	case cfg.CertificatePath != "":
		if err := requireApp(cfg, "AZURE_CLIENT_CERTIFICATE_PATH"); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(cfg.CertificatePath)
		if err != nil {
			return nil, fmt.Errorf("msauth: read client certificate: %w", err)
		}
		certs, key, err := azidentity.ParseCertificates(data, []byte(cfg.CertificatePassword))
		if err != nil {
			return nil, fmt.Errorf("msauth: parse client certificate %s (PEM with an unencrypted key, or PKCS#12): %w", cfg.CertificatePath, err)
		}
		cred, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		if err != nil {
			return nil, fmt.Errorf("msauth: client certificate credential: %w", err)
		}
		return cred, nil

	case cfg.FederatedTokenFile != "":
		if err := requireApp(cfg, "AZURE_FEDERATED_TOKEN_FILE"); err != nil {
			return nil, err
		}
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            opts,
			ClientID:                 cfg.ClientID,
			TenantID:                 cfg.TenantID,
			TokenFilePath:            cfg.FederatedTokenFile,
			DisableInstanceDiscovery: disableDiscovery,
		})
		if err != nil {
			return nil, fmt.Errorf("msauth: workload identity credential: %w", err)
		}
		return cred, nil

	case cfg.UseManagedIdentity:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if cfg.ClientID != "" {
			mo.ID = azidentity.ClientID(cfg.ClientID)
		}
		cred, err := azidentity.NewManagedIdentityCredential(mo)
		if err != nil {
			return nil, fmt.Errorf("msauth: managed identity credential: %w", err)
		}
		return cred, nil
	}
	return nil, fmt.Errorf("msauth: %w: set AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or "+
		"AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE (workload identity), or enable the managed identity", ErrNotConfigured)
}

// requireApp checks the tenant and client ids an app registration needs.
func requireApp(cfg Config, with string) error {
	var missing []string
	if cfg.TenantID == "" {
		missing = append(missing, "AZURE_TENANT_ID (TenantID)")
	}
	if cfg.ClientID == "" {
		missing = append(missing, "AZURE_CLIENT_ID (ClientID)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("msauth: %w: %s needs %s", ErrNotConfigured, with, strings.Join(missing, " and "))
	}
	return nil
}

// clientOptions returns the azcore options for cfg and whether instance
// discovery must be off.
func clientOptions(cfg Config) (azcore.ClientOptions, bool, error) {
	host := cfg.AuthorityHost
	if host == "" {
		host = DefaultAuthorityHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" {
		return azcore.ClientOptions{}, false, fmt.Errorf("msauth: authority host %q is not a URL", host)
	}
	if u.Scheme != "https" {
		return azcore.ClientOptions{}, false, fmt.Errorf("msauth: authority host %q must use https", host)
	}
	opts := azcore.ClientOptions{
		Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: host},
	}
	if cfg.HTTPClient != nil {
		opts.Transport = cfg.HTTPClient
	}
	return opts, !IsPublicAuthorityHost(host), nil
}

// IsPublicAuthorityHost reports whether host (a URL or a bare host name) is
// one of Microsoft's public authority hosts, for which Entra instance
// discovery stays on.
func IsPublicAuthorityHost(host string) bool {
	if u, err := url.Parse(host); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	switch strings.ToLower(strings.TrimSuffix(host, ".")) {
	case "login.microsoftonline.com", // public cloud
		"login.microsoftonline.us",         // US Government
		"login.chinacloudapi.cn",           // China (21Vianet)
		"login.partner.microsoftonline.cn": // China (21Vianet), newer name
		return true
	}
	return false
}
