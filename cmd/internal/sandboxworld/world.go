// Package sandboxworld starts everything outside the bot, speaking the real wire
// formats: a fake Slack, a fake Entra ID authority, and fake Graph and
// Exchange Online endpoints answering from a sandbox tenant. The end-to-end
// tests and the load commands under cmd/bench/ run `mailboxbot serve` against
// it, in the same process or as child processes.
//
// The Microsoft fakes are TLS servers with httptest's certificate; a
// process calling them trusts it through SSL_CERT_FILE (WriteCert).
package sandboxworld

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
	"github.com/mailboxbot/mailboxbot/mailbox/msauth/msauthtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The world's identities and secrets. They are made up, and the tests
// check that none of them reaches a log line or a Slack message.
const (
	TenantID      = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"
	ClientID      = "0b1c2d3e-aaaa-4bbb-8ccc-123456789abc"
	ClientSecret  = "az-client-secret-never-logged"
	SigningSecret = "slack-signing-secret-never-logged"
	BotToken      = "xoxb-bot-token-never-logged"
	TeamID        = "T0001"
	AppID         = "A123456"
)

// World is the fakes around one sandbox tenant.
type World struct {
	Tenant   *sandbox.Tenant
	Auth     *msauthtest.Authority
	Graph    *graphtest.Server
	Exchange *exchangetest.Server
	Slack    *slacktest.Server
}

// New starts the fakes around tenant. Close them when done.
func New(tenant *sandbox.Tenant) *World {
	return &World{
		Tenant:   tenant,
		Auth:     msauthtest.New(TenantID, ClientID, ClientSecret),
		Graph:    graphtest.New(tenant, graphtest.Options{}),
		Exchange: exchangetest.New(tenant, exchangetest.Options{TenantID: TenantID}),
		Slack:    slacktest.New(slacktest.Options{BotToken: BotToken}),
	}
}

// Close stops the fakes.
func (w *World) Close() {
	w.Auth.Close()
	w.Graph.Close()
	w.Exchange.Close()
	w.Slack.Close()
}

// Env is the environment of `mailboxbot serve` in this world, on the Redis
// at redisURL under prefix, listening on listen (host:port). The approval
// policies are the defaults; callers add or change settings.
func (w *World) Env(redisURL, prefix, listen string) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN": BotToken, "SLACK_SIGNING_SECRET": SigningSecret, "SLACK_API_URL": w.Slack.URL(),
		"SLACK_TEAM_ID": TeamID, "SLACK_APP_ID": AppID,
		"AZURE_TENANT_ID": TenantID, "AZURE_CLIENT_ID": ClientID, "AZURE_CLIENT_SECRET": ClientSecret,
		"AZURE_AUTHORITY_HOST": w.Auth.Host(), "GRAPH_URL": w.Graph.URL(), "EXCHANGE_URL": w.Exchange.URL(),
		"REDIS_URL": redisURL, "MAILBOXBOT_REDIS_PREFIX": prefix,
		"LISTEN_ADDR": listen,
	}
}

// WriteCert writes the fakes' TLS certificate (httptest's, the same for
// every httptest TLS server) as PEM to path, for SSL_CERT_FILE.
func WriteCert(path string) error {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
}
