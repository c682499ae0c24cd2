package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange"
	"github.com/mailboxbot/mailboxbot/mailbox/graph"
	"github.com/mailboxbot/mailboxbot/mailbox/msauth"
)

// errChecksFailed: at least one check of doctor failed.
var errChecksFailed = errors.New("doctor: checks failed")

// botScopes are the Slack bot token scopes the code uses.
var botScopes = []string{"commands", "chat:write", "im:write", "users:read", "users:read.email", "usergroups:read"}

// checkTimeout bounds each of doctor's checks.
const checkTimeout = 20 * time.Second

// azureCredential is the Entra credential the configuration describes, for
// serve and doctor alike.
func azureCredential(cfg Config, hc *http.Client) (azcore.TokenCredential, error) {
	return msauth.NewCredential(msauth.Config{
		TenantID: cfg.AzureTenantID, ClientID: cfg.AzureClientID, ClientSecret: cfg.AzureClientSecret,
		CertificatePath: cfg.AzureClientCertificatePath, CertificatePassword: cfg.AzureClientCertificatePass,
		FederatedTokenFile: cfg.AzureFederatedTokenFile, UseManagedIdentity: cfg.AzureUseManagedIdentity,
		AuthorityHost: cfg.AzureAuthorityHost, HTTPClient: hc,
	})
}

// report prints one line per check: "ok", "warn" or "FAIL", the check, and
// what was found (for a failure: what is wrong and how to fix it).
type report struct {
	w                io.Writer
	ok, warns, fails int
}

func (r *report) line(status, check, format string, args ...any) {
	fmt.Fprintf(r.w, "%-4s  %s: %s\n", status, check, fmt.Sprintf(format, args...))
}

func (r *report) pass(check, format string, args ...any) {
	r.ok++
	r.line("ok", check, format, args...)
}

func (r *report) warn(check, format string, args ...any) {
	r.warns++
	r.line("warn", check, format, args...)
}

func (r *report) fail(check, format string, args ...any) {
	r.fails++
	r.line("FAIL", check, format, args...)
}

// doctor checks the live configuration: Slack, Microsoft Graph, Exchange
// Online, Redis, the approvers and the audit channel. It prints one line
// per check and fails when any check fails; warnings do not fail it.
func doctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: doctor takes no arguments; it checks the configuration in the environment", errUsage)
	}
	r := &report{w: stdout}
	cfg, err := loadConfig(getenv)
	if err != nil {
		r.fail("configuration", "%v", err)
		return fmt.Errorf("%w: the configuration does not load", errChecksFailed)
	}
	r.pass("configuration", "loaded")
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: checkTimeout} // keeps ProxyFromEnvironment

	doctorSlack(ctx, r, cfg, hc)
	doctorMicrosoft(ctx, r, cfg, hc)
	doctorRedis(ctx, r, cfg)

	fmt.Fprintf(stdout, "%d ok, %d warning(s), %d failed\n", r.ok, r.warns, r.fails)
	if r.fails > 0 {
		return fmt.Errorf("%w: %d failed", errChecksFailed, r.fails)
	}
	return nil
}

// doctorSlack checks the bot token and its scopes, the signing secret or
// the app-level token, the approvers and the audit channel.
func doctorSlack(ctx context.Context, r *report, cfg Config, hc *http.Client) {
	api := slack.New(cfg.SlackBotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
	if cfg.SlackAppToken != "" {
		r.pass("Slack signing secret", "not needed: SLACK_APP_TOKEN selects Socket Mode")
	} else {
		r.pass("Slack signing secret", "set")
	}

	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	auth, err := api.AuthTestContext(cctx)
	cancel()
	tokenOK := err == nil
	switch {
	case err != nil:
		r.fail("Slack bot token", "auth.test: %v: %s", err, slackHint(err))
	case cfg.SlackTeamID != "" && auth.TeamID != cfg.SlackTeamID:
		r.fail("Slack bot token", "the token belongs to workspace %s (%s) but SLACK_TEAM_ID=%s, so every request would be refused: set SLACK_TEAM_ID=%s or use this workspace's token",
			auth.TeamID, auth.Team, cfg.SlackTeamID, auth.TeamID)
	default:
		r.pass("Slack bot token", "valid: @%s in %s (%s)", auth.User, auth.Team, auth.TeamID)
	}

	if tokenOK {
		doctorScopes(ctx, r, cfg, hc)
	}

	if cfg.SlackAppToken != "" {
		app := slack.New(cfg.SlackBotToken, slack.OptionAppLevelToken(cfg.SlackAppToken),
			slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		_, _, err := app.StartSocketModeContext(cctx)
		cancel()
		if err != nil {
			r.fail("Slack Socket Mode", "apps.connections.open with SLACK_APP_TOKEN: %v: generate an app-level token with the connections:write scope (Basic Information > App-Level Tokens) and turn Socket Mode on (Settings > Socket Mode)", err)
		} else {
			r.pass("Slack Socket Mode", "apps.connections.open works with SLACK_APP_TOKEN")
		}
	}

	if !tokenOK {
		r.warn("approvers and audit channel", "not checked: the Slack bot token was refused")
		return
	}
	for _, id := range cfg.Approvers {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		u, err := api.GetUserInfoContext(cctx, id)
		cancel()
		check := "approver " + id
		switch {
		case err != nil && err.Error() == "user_not_found":
			r.fail(check, "no such Slack user: fix MAILBOXBOT_APPROVERS (the member ID is in the user's profile, ⋮ > Copy member ID)")
		case err != nil:
			r.fail(check, "users.info: %v: %s", err, slackHint(err))
		case u.Deleted:
			r.fail(check, "%s's Slack account is deactivated: remove it from MAILBOXBOT_APPROVERS", u.Name)
		case u.IsBot:
			r.fail(check, "%s is a bot and cannot approve: remove it from MAILBOXBOT_APPROVERS", u.Name)
		default:
			r.pass(check, "%s", u.Name)
		}
	}
	if cfg.AuditChannel == "" {
		r.pass("audit channel", "none configured (MAILBOXBOT_AUDIT_CHANNEL)")
		return
	}
	cctx, cancel = context.WithTimeout(ctx, checkTimeout)
	ch, err := api.GetConversationInfoContext(cctx, &slack.GetConversationInfoInput{ChannelID: cfg.AuditChannel})
	cancel()
	check := "audit channel " + cfg.AuditChannel
	switch {
	case err != nil && err.Error() == "channel_not_found":
		r.fail(check, "no such channel, or a private one the bot is not in: fix MAILBOXBOT_AUDIT_CHANNEL (the channel ID is at the bottom of the channel's details) and invite the bot (/invite @%s)", botName(auth))
	case err != nil && err.Error() == "missing_scope":
		r.warn(check, "could not be checked: conversations.info needs channels:read (groups:read for a private channel), which the bot does not otherwise need; make sure the bot is in the channel (/invite @%s)", botName(auth))
	case err != nil:
		r.fail(check, "conversations.info: %v: %s", err, slackHint(err))
	default:
		r.pass(check, "#%s", ch.Name)
	}
}

func botName(auth *slack.AuthTestResponse) string {
	if auth == nil || auth.User == "" {
		return "mailboxbot"
	}
	return auth.User
}

// doctorScopes reads the bot token's scopes from the X-OAuth-Scopes header
// that Slack adds to every Web API answer.
func doctorScopes(ctx context.Context, r *report, cfg Config, hc *http.Client) {
	const check = "Slack bot scopes"
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, cfg.SlackAPIURL+"auth.test", nil)
	if err != nil {
		r.fail(check, "%v", err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+cfg.SlackBotToken)
	resp, err := hc.Do(req)
	if err != nil {
		r.fail(check, "auth.test: %v", err)
		return
	}
	resp.Body.Close()
	raw := resp.Header.Values("X-OAuth-Scopes")
	if len(raw) == 0 {
		r.warn(check, "could not be checked: Slack's answer has no X-OAuth-Scopes header; make sure the app has %s", strings.Join(botScopes, ", "))
		return
	}
	have := map[string]bool{}
	for _, s := range strings.Split(strings.Join(raw, ","), ",") {
		have[strings.TrimSpace(s)] = true
	}
	var missing []string
	for _, s := range botScopes {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		r.fail(check, "missing %s: add them under OAuth & Permissions > Bot Token Scopes, reinstall the app to the workspace and use the new bot token (deploy/ has the app manifests)", strings.Join(missing, ", "))
		return
	}
	r.pass(check, "%s", strings.Join(botScopes, ", "))
}

// slackHint says how to fix a Slack Web API error.
func slackHint(err error) string {
	switch err.Error() {
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		return "SLACK_BOT_TOKEN is not valid: copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions, after installing the app to the workspace"
	case "missing_scope":
		return "the bot token lacks a scope: add it under OAuth & Permissions > Bot Token Scopes and reinstall the app"
	case "ratelimited":
		return "Slack is rate-limiting the app: try again in a minute"
	}
	return "check SLACK_API_URL and the network path to Slack"
}

// graphRead is a harmless Graph read that proves a permission usable.
type graphRead struct {
	path, permission string
}

var graphReads = []graphRead{
	{"/users?$top=1&$select=id", "User.Read.All"},
	{"/subscribedSkus", "LicenseAssignment.Read.All"},
	{"/groups?$top=1&$select=id", "GroupMember.Read.All"},
	{"/directory/deletedItems/microsoft.graph.user?$top=1&$select=id", "User.Read.All"},
}

// doctorMicrosoft checks that a Graph token is issued, each Graph
// permission usable, and the Exchange role usable.
func doctorMicrosoft(ctx context.Context, r *report, cfg Config, hc *http.Client) {
	cred, err := azureCredential(cfg, hc)
	if err != nil {
		r.fail("Microsoft credential", "%v", err)
		return
	}
	gbase := strings.TrimRight(cfg.GraphURL, "/")
	gu, err := url.Parse(gbase)
	if err != nil {
		r.fail("Microsoft Graph", "GRAPH_URL: %v", err)
		return
	}
	scope := gu.Scheme + "://" + gu.Host + "/.default"
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	tok, err := cred.GetToken(cctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	cancel()
	if err != nil {
		r.fail("Microsoft Graph token", "%s: %s", entraError(err), entraHint(err))
	} else {
		r.pass("Microsoft Graph token", "issued for %s", scope)
		dir, err := graph.New(graph.Config{BaseURL: cfg.GraphURL, Credential: cred, HTTPClient: hc, MaxRetries: 1, MaxRetryWait: 10 * time.Second})
		if err != nil {
			r.fail("Microsoft Graph", "%v", err)
		} else {
			for _, g := range graphReads {
				check := "Graph " + g.permission + " (GET " + strings.SplitN(g.path, "?", 2)[0] + ")"
				cctx, cancel := context.WithTimeout(ctx, checkTimeout)
				if g.path == "/subscribedSkus" {
					_, err = dir.SubscribedSkus(cctx)
				} else {
					err = graphGet(cctx, hc, gbase+g.path, tok.Token)
				}
				cancel()
				graphResult(r, check, g.permission, err)
			}
		}
	}

	exo, err := exchange.New(exchange.Config{BaseURL: cfg.ExchangeURL, TenantID: cfg.AzureTenantID, Credential: cred, HTTPClient: hc, MaxRetries: 1, MaxRetryWait: 10 * time.Second})
	if err != nil {
		r.fail("Exchange Online", "%v", err)
		return
	}
	const check = "Exchange Online (Get-Mailbox -ResultSize 1)"
	cctx, cancel = context.WithTimeout(ctx, checkTimeout)
	_, err = exo.Invoke(cctx, "Get-Mailbox", map[string]any{"ResultSize": 1})
	cancel()
	var re *mailbox.RemoteError
	switch {
	case err == nil:
		r.pass(check, "the app may run Exchange cmdlets")
	case errors.As(err, &re) && (re.Status == http.StatusUnauthorized || re.Status == http.StatusForbidden):
		r.fail(check, "HTTP %d %s: grant the app the application permission Exchange.ManageAsApp (API permissions > APIs my organization uses > Office 365 Exchange Online) with admin consent, and assign its service principal the Exchange Recipient Administrator role (Entra ID > Roles and administrators); deploy/ has a script",
			re.Status, re.Message)
	case errors.As(err, &re):
		r.fail(check, "HTTP %d %s: %s: check EXCHANGE_URL and AZURE_TENANT_ID", re.Status, re.Code, re.Message)
	default:
		r.fail(check, "%s: %s", entraError(err), entraHint(err))
	}
}

// graphGet is an authenticated GET that reads nothing but the status.
func graphGet(ctx context.Context, hc *http.Client, target, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	re := &mailbox.RemoteError{Service: "graph", Op: "GET " + req.URL.Path, Status: resp.StatusCode}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil {
		re.Code, re.Message = body.Error.Code, body.Error.Message
	}
	if re.Message == "" {
		re.Message = http.StatusText(resp.StatusCode)
	}
	return re
}

func graphResult(r *report, check, permission string, err error) {
	var re *mailbox.RemoteError
	switch {
	case err == nil:
		r.pass(check, "usable")
	case errors.As(err, &re) && re.Status == http.StatusForbidden:
		r.fail(check, "HTTP 403 %s: %s: grant the application permission %s (API permissions > Add a permission > Microsoft Graph > Application permissions) and grant admin consent",
			re.Code, re.Message, permission)
	case errors.As(err, &re) && re.Status == http.StatusUnauthorized:
		r.fail(check, "HTTP 401 %s: %s: the token was refused; check that GRAPH_URL and AZURE_AUTHORITY_HOST are of the same cloud", re.Code, re.Message)
	case errors.As(err, &re):
		r.fail(check, "HTTP %d %s: %s", re.Status, re.Code, re.Message)
	default:
		r.fail(check, "%v: check GRAPH_URL and the network path to Microsoft Graph", err)
	}
}

var aadsts = regexp.MustCompile(`AADSTS\d+:[^\r\n"]*`)

// entraError is the useful sentence of a token error: Entra's AADSTS text
// when there is one, else the first line.
func entraError(err error) string {
	msg := err.Error()
	if m := aadsts.FindString(msg); m != "" {
		if i := strings.Index(m, " Trace ID:"); i > 0 {
			m = m[:i]
		}
		return strings.TrimSpace(m)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return line
}

// entraHint says how to fix a token error.
func entraHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "AADSTS7000215"), strings.Contains(msg, "AADSTS7000222"):
		return "AZURE_CLIENT_SECRET is wrong or expired: create a new client secret under Certificates & secrets of the app registration (a certificate, AZURE_CLIENT_CERTIFICATE_PATH, is preferred)"
	case strings.Contains(msg, "AADSTS700027"), strings.Contains(msg, "AADSTS700024"):
		return "the certificate is not accepted: upload its public part under Certificates & secrets of the app registration, or check AZURE_CLIENT_CERTIFICATE_PATH"
	case strings.Contains(msg, "AADSTS700016"):
		return "no such app in this tenant: check AZURE_CLIENT_ID and AZURE_TENANT_ID (the app registration's Overview page)"
	case strings.Contains(msg, "AADSTS90002"), strings.Contains(msg, "AADSTS900023"):
		return "no such tenant: check AZURE_TENANT_ID and AZURE_AUTHORITY_HOST"
	}
	return "check the AZURE_* settings and the network path to the login host (AZURE_AUTHORITY_HOST)"
}

// doctorRedis checks that Redis answers, keeps its data over a restart and
// never evicts it.
func doctorRedis(ctx context.Context, r *report, cfg Config) {
	rdb, addr, err := newRedis(cfg)
	if err != nil {
		r.fail("Redis", "%v", err)
		return
	}
	defer rdb.Close()
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := rdb.Ping(cctx).Err(); err != nil {
		if cfg.cluster() {
			err = clusterProblem(cctx, cfg, err)
		}
		r.fail("Redis", "cannot reach %s: %v: check REDIS_URL (or the Sentinel or cluster settings), the password, TLS (rediss://) and that the server runs", addr, err)
		return
	}
	r.pass("Redis", "%s answers PING", addr)
	server := rdb
	if c, ok := rdb.(*redis.ClusterClient); ok {
		if server = doctorCluster(cctx, r, cfg, c); server == nil {
			return
		}
	}
	doctorPersistence(cctx, r, server)
	doctorEviction(cctx, r, server)
}

// doctorPersistence checks that Redis keeps its data over a restart.
func doctorPersistence(ctx context.Context, r *report, rdb redis.UniversalClient) {
	const check = "Redis persistence"
	aof, err := rdb.ConfigGet(ctx, "appendonly").Result()
	var save map[string]string
	if err == nil {
		save, err = rdb.ConfigGet(ctx, "save").Result()
	}
	if err != nil {
		r.warn(check, "could not be checked (CONFIG GET refused: %v), as on most managed Redis services: make sure yours persists data, or pending requests are lost when it restarts", err)
		return
	}
	var on []string
	if strings.EqualFold(aof["appendonly"], "yes") {
		on = append(on, "append-only file")
	}
	if s := strings.TrimSpace(save["save"]); s != "" {
		on = append(on, "snapshots (save "+s+")")
	}
	if len(on) == 0 {
		r.warn(check, "neither the append-only file nor snapshots are on: requests and approvals are lost when Redis restarts; set appendonly yes (redis.conf or CONFIG SET appendonly yes; deploy/compose.yaml does)")
		return
	}
	r.pass(check, "%s", strings.Join(on, " and "))
}

// evictionRisk says why Redis must not evict the bot's keys.
const evictionRisk = "with eviction, Redis may drop a request while it waits (for its approval, or in the queue) when memory runs short, and approved work would be lost"

// doctorEviction checks that Redis's maxmemory-policy is noeviction: full,
// Redis then refuses writes, which the bot reports, rather than drop keys.
func doctorEviction(ctx context.Context, r *report, rdb redis.UniversalClient) {
	const check = "Redis eviction"
	got, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	policy := got["maxmemory-policy"]
	switch {
	case err != nil:
		r.warn(check, "maxmemory-policy could not be read (CONFIG GET refused: %v), as on most managed Redis services: make sure it is noeviction (your provider's parameter group or settings); %s", err, evictionRisk)
	case policy == "":
		r.warn(check, "maxmemory-policy could not be read (CONFIG GET answered nothing): make sure it is noeviction; %s", evictionRisk)
	case policy != "noeviction":
		r.warn(check, "maxmemory-policy is %s: %s; set maxmemory-policy noeviction (redis.conf, CONFIG SET maxmemory-policy noeviction, or your provider's parameter group), so that a full Redis refuses writes rather than drop data", policy, evictionRisk)
	default:
		r.pass(check, "maxmemory-policy noeviction")
	}
}
