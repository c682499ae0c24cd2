package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/command"
	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The limits' defaults (MAILBOXBOT_RATE_PER_USER, MAILBOXBOT_BATCH_MAX), which
// the demo shares with serve; TestConfigLimitDefaults keeps the tags equal.
const defaultRatePerUser, defaultBatchMax = 20, 100

// Config is the bot's configuration, read from the environment with the
// standard names of DESIGN.md section 6. Any secret may instead be given
// as a file: NAME_FILE=/path (the file's content, without a trailing
// newline, is the value).
type Config struct {
	SlackBotToken      string `env:"SLACK_BOT_TOKEN,notEmpty"`
	SlackSigningSecret string `env:"SLACK_SIGNING_SECRET"` // required unless SLACK_APP_TOKEN (Socket Mode)
	SlackAppToken      string `env:"SLACK_APP_TOKEN"`
	SlackTeamID        string `env:"SLACK_TEAM_ID"` // when set, other workspaces are refused
	SlackAppID         string `env:"SLACK_APP_ID"`  // when set, other apps' requests are refused
	SlackAPIURL        string `env:"SLACK_API_URL" envDefault:"https://slack.com/api/"`

	AzureTenantID              string `env:"AZURE_TENANT_ID,notEmpty"`
	AzureClientID              string `env:"AZURE_CLIENT_ID,notEmpty"`
	AzureClientSecret          string `env:"AZURE_CLIENT_SECRET"`
	AzureClientCertificatePath string `env:"AZURE_CLIENT_CERTIFICATE_PATH"`
	AzureClientCertificatePass string `env:"AZURE_CLIENT_CERTIFICATE_PASSWORD"`
	AzureFederatedTokenFile    string `env:"AZURE_FEDERATED_TOKEN_FILE"`
	AzureUseManagedIdentity    bool   `env:"AZURE_USE_MANAGED_IDENTITY"`
	AzureAuthorityHost         string `env:"AZURE_AUTHORITY_HOST" envDefault:"https://login.microsoftonline.com/"`
	GraphURL                   string `env:"GRAPH_URL" envDefault:"https://graph.microsoft.com/v1.0"`
	ExchangeURL                string `env:"EXCHANGE_URL" envDefault:"https://outlook.office365.com"`

	RedisURL   string `env:"REDIS_URL"` // required unless Sentinel or a cluster is configured; see docs/redis.md
	ListenAddr string `env:"LISTEN_ADDR" envDefault:":3000"`
	// MetricsAddr, when set, serves /metrics on a listener of its own (say
	// 127.0.0.1:9090) and not on LISTEN_ADDR, which may be public.
	MetricsAddr string `env:"MAILBOXBOT_METRICS_ADDR"`

	// Redis through Sentinel: both set, or neither (docs/redis.md).
	RedisSentinelAddrs  []string `env:"MAILBOXBOT_REDIS_SENTINEL_ADDRS"` // host:port, comma-separated
	RedisSentinelMaster string   `env:"MAILBOXBOT_REDIS_SENTINEL_MASTER"`
	// Redis Cluster: seed addresses, host:port, comma-separated (docs/redis.md).
	RedisClusterAddrs []string `env:"MAILBOXBOT_REDIS_CLUSTER_ADDRS"`

	Approvers       []string      `env:"MAILBOXBOT_APPROVERS"` // Slack user ids, comma-separated
	AuditChannel    string        `env:"MAILBOXBOT_AUDIT_CHANNEL"`
	ApprovalTimeout time.Duration `env:"MAILBOXBOT_APPROVAL_TIMEOUT" envDefault:"24h"`
	VerifyTimeout   time.Duration `env:"MAILBOXBOT_VERIFY_TIMEOUT" envDefault:"30m"`
	VerifyDelay     time.Duration `env:"MAILBOXBOT_VERIFY_DELAY" envDefault:"10s"`        // first wait between checks; doubles up to 2m
	MailboxWait     time.Duration `env:"MAILBOXBOT_MAILBOX_WAIT_TIMEOUT" envDefault:"2h"` // rule 10: wait for a restored mailbox
	RetryWindow     time.Duration `env:"MAILBOXBOT_RETRY_WINDOW" envDefault:"24h"`        // a failed request may be retried this long; 0 turns it off
	UndoWindow      time.Duration `env:"MAILBOXBOT_UNDO_WINDOW" envDefault:"720h"`        // a succeeded request may be undone this long; 0 turns undo off
	Retention       time.Duration `env:"MAILBOXBOT_RETENTION" envDefault:"9600h"`         // finished requests and audit entries are kept this long (400 days); 0 keeps them forever
	// Who approves each operation: manager | owners | approvers | none, or
	// a chain ("owners,approvers"); see bot.CheckPolicy. Unset: the bot's
	// default (bot.DefaultPolicy) decides.
	PolicyConvert   string `env:"MAILBOXBOT_APPROVAL_CONVERT"` // to shared
	PolicyToRegular string `env:"MAILBOXBOT_APPROVAL_TO_REGULAR"`
	PolicyCreate    string `env:"MAILBOXBOT_APPROVAL_CREATE"`
	PolicyGrant     string `env:"MAILBOXBOT_APPROVAL_GRANT"`
	PolicyRevoke    string `env:"MAILBOXBOT_APPROVAL_REVOKE"`
	// How many different approvers must approve each operation (issue 16):
	// 1, or more for two-person approval (2 recommended for TO_REGULAR).
	RequiredConvert   int    `env:"MAILBOXBOT_APPROVALS_REQUIRED_CONVERT" envDefault:"1"` // to shared
	RequiredToRegular int    `env:"MAILBOXBOT_APPROVALS_REQUIRED_TO_REGULAR" envDefault:"1"`
	RequiredCreate    int    `env:"MAILBOXBOT_APPROVALS_REQUIRED_CREATE" envDefault:"1"`
	RequiredGrant     int    `env:"MAILBOXBOT_APPROVALS_REQUIRED_GRANT" envDefault:"1"`
	RequiredRevoke    int    `env:"MAILBOXBOT_APPROVALS_REQUIRED_REVOKE" envDefault:"1"`
	Escalate          bool   `env:"MAILBOXBOT_ESCALATE" envDefault:"true"`    // ask the configured approvers too when the manager has not decided by the reminder
	Workers           int    `env:"MAILBOXBOT_WORKERS" envDefault:"10"`       // 0: take Slack's requests only, run no jobs
	JobProcess        string `env:"MAILBOXBOT_JOB_PROCESS" envDefault:"idle"` // idle | nice | off: where the jobs run, and at what CPU priority

	// Who may ask, per operation: Slack user ids (U…, W…) and user group
	// ids (S…); empty: everyone. Extra approvers likewise.
	RequestersConvert []string `env:"MAILBOXBOT_REQUESTERS_CONVERT"`
	RequestersCreate  []string `env:"MAILBOXBOT_REQUESTERS_CREATE"`
	RequestersGrant   []string `env:"MAILBOXBOT_REQUESTERS_GRANT"`
	RequestersRevoke  []string `env:"MAILBOXBOT_REQUESTERS_REVOKE"`
	// Who may list a mailbox's members; empty: those who may grant or revoke.
	RequestersMembers []string `env:"MAILBOXBOT_REQUESTERS_MEMBERS"`
	ExtraConvert      []string `env:"MAILBOXBOT_EXTRA_APPROVERS_CONVERT"`
	ExtraCreate       []string `env:"MAILBOXBOT_EXTRA_APPROVERS_CREATE"`
	ExtraGrant        []string `env:"MAILBOXBOT_EXTRA_APPROVERS_GRANT"`
	ExtraRevoke       []string `env:"MAILBOXBOT_EXTRA_APPROVERS_REVOKE"`
	Admins            []string `env:"MAILBOXBOT_ADMINS"`                        // see everyone's requests on the Home tab
	ReminderAt        float64  `env:"MAILBOXBOT_REMINDER_AT" envDefault:"0.5"`  // fraction of the approval time; 0 turns reminders off
	RatePerUser       int      `env:"MAILBOXBOT_RATE_PER_USER" envDefault:"20"` // commands for a change and members per user per minute; 0: no limit
	BatchMax          int      `env:"MAILBOXBOT_BATCH_MAX" envDefault:"100"`    // mailboxes in one command
	KeyPrefix         string   `env:"MAILBOXBOT_REDIS_PREFIX" envDefault:"mailboxbot:"`
	LogLevel          string   `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat         string   `env:"LOG_FORMAT" envDefault:"json"`

	// What a conversion to shared does when the requester does not say
	// (issue 16): take away the owner's rights on other mailboxes (rule 18;
	// keep-access / remove-access), give the manager access (manager-access
	// / no-manager-access).
	LeaverRemoveAccess  bool `env:"MAILBOXBOT_LEAVER_REMOVE_ACCESS" envDefault:"true"`
	LeaverManagerAccess bool `env:"MAILBOXBOT_LEAVER_MANAGER_ACCESS" envDefault:"false"`
}

// secretNames may come from NAME_FILE.
var secretNames = []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
	"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "REDIS_URL"}

var (
	slackUserID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackChannelID = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	slackGroupID   = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
)

// loadConfig reads the configuration through getenv. It reports every
// problem at once, each naming the variable and what to do.
func loadConfig(getenv func(string) string) (Config, error) {
	return loadConfigAbout(getenv, "")
}

// loadConfigAbout is loadConfig reporting only the problems that name
// about: a command that needs only Redis (audit export) passes "REDIS".
// "" reports them all.
func loadConfigAbout(getenv func(string) string, about string) (Config, error) {
	var cfg Config
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, err
	}
	var problems []string
	vars := map[string]string{}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	for _, name := range secretNames {
		path := getenv(name + "_FILE")
		if path == "" {
			continue
		}
		if vars[name] != "" {
			problems = append(problems, fmt.Sprintf("%s and %s_FILE are both set: keep one", name, name))
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s_FILE: cannot read %s: %v", name, path, errors.Unwrap(err)))
			continue
		}
		vars[name] = strings.TrimRight(string(b), "\r\n")
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) {
			for _, e := range agg.Errors {
				problems = append(problems, describeEnvError(e))
			}
		} else {
			problems = append(problems, err.Error())
		}
	}
	for i, a := range cfg.Approvers {
		cfg.Approvers[i] = strings.TrimSpace(a)
	}
	cfg.Approvers = slices.DeleteFunc(cfg.Approvers, func(a string) bool { return a == "" })
	problems = append(problems, cfg.validate()...)
	problems = slices.DeleteFunc(problems, func(p string) bool { return !strings.Contains(p, about) })
	if len(problems) > 0 {
		slices.Sort(problems)
		problems = slices.Compact(problems)
		return cfg, fmt.Errorf("configuration has %d problem(s):\n  - %s\nSee README.md, \"Run it for real\".", len(problems), strings.Join(problems, "\n  - "))
	}
	return cfg, nil
}

func describeEnvError(err error) string {
	var empty env.EmptyVarError
	var notSet env.VarIsNotSetError
	var parse env.ParseError
	switch {
	case errors.As(err, &empty):
		return empty.Key + " is not set" + hint(empty.Key)
	case errors.As(err, &notSet):
		return notSet.Key + " is not set" + hint(notSet.Key)
	case errors.As(err, &parse):
		return fmt.Sprintf("%s: cannot parse the value as %s: %v", parse.Name, parse.Type, parse.Err)
	}
	return err.Error()
}

func hint(key string) string {
	switch key {
	case "SLACK_BOT_TOKEN":
		return " (the xoxb- token from your Slack app's OAuth & Permissions page)"
	case "SLACK_SIGNING_SECRET":
		return " (Basic Information > App Credentials in your Slack app)"
	case "AZURE_TENANT_ID", "AZURE_CLIENT_ID":
		return " (the Entra app registration's Overview page)"
	case "REDIS_URL":
		return " (for example redis://localhost:6379/0 or rediss://user:pass@host:6380/0)"
	}
	return ""
}

func (c Config) validate() []string {
	var p []string
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		p = append(p, "SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		p = append(p, "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic Information > App-Level Tokens, scope connections:write)")
	}
	if c.SlackAppToken == "" && c.SlackSigningSecret == "" {
		p = append(p, "SLACK_SIGNING_SECRET is not set (Basic Information > App Credentials in your Slack app); it is needed unless SLACK_APP_TOKEN selects Socket Mode")
	}
	ids := map[string][]string{"MAILBOXBOT_REQUESTERS_CONVERT": c.RequestersConvert, "MAILBOXBOT_REQUESTERS_CREATE": c.RequestersCreate,
		"MAILBOXBOT_REQUESTERS_GRANT": c.RequestersGrant, "MAILBOXBOT_REQUESTERS_REVOKE": c.RequestersRevoke,
		"MAILBOXBOT_REQUESTERS_MEMBERS":      c.RequestersMembers,
		"MAILBOXBOT_EXTRA_APPROVERS_CONVERT": c.ExtraConvert, "MAILBOXBOT_EXTRA_APPROVERS_CREATE": c.ExtraCreate,
		"MAILBOXBOT_EXTRA_APPROVERS_GRANT": c.ExtraGrant, "MAILBOXBOT_EXTRA_APPROVERS_REVOKE": c.ExtraRevoke, "MAILBOXBOT_ADMINS": c.Admins}
	for name, list := range ids {
		for _, id := range list {
			if id = strings.TrimSpace(id); id != "" && !slackUserID.MatchString(id) && !slackGroupID.MatchString(id) {
				p = append(p, fmt.Sprintf("%s: %q is not a Slack user id (U…) or user group id (S…)", name, id))
			}
		}
	}
	if c.RatePerUser < 0 {
		p = append(p, "MAILBOXBOT_RATE_PER_USER must be 0 (no limit) or more: the commands for a change each person may send in a minute (20)")
	}
	if c.BatchMax < 1 || c.BatchMax > command.MaxBulk {
		p = append(p, fmt.Sprintf("MAILBOXBOT_BATCH_MAX must be between 1 and %d: the most mailboxes one command may name (100)", command.MaxBulk))
	}
	if c.ReminderAt < 0 || c.ReminderAt >= 1 {
		p = append(p, "MAILBOXBOT_REMINDER_AT must be a fraction of the approval time, at least 0 (no reminder) and below 1 (0.5 reminds at half time)")
	}
	n := 0
	for _, set := range []bool{c.AzureClientSecret != "", c.AzureClientCertificatePath != "", c.AzureFederatedTokenFile != "", c.AzureUseManagedIdentity} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		p = append(p, "no Azure credential: set AZURE_CLIENT_CERTIFICATE_PATH (preferred) or AZURE_CLIENT_SECRET, or AZURE_FEDERATED_TOKEN_FILE (workload identity), or AZURE_USE_MANAGED_IDENTITY=true")
	case n > 1:
		p = append(p, "more than one Azure credential is set: keep one of AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, AZURE_USE_MANAGED_IDENTITY")
	}
	for name, v := range map[string]string{"SLACK_API_URL": c.SlackAPIURL, "AZURE_AUTHORITY_HOST": c.AzureAuthorityHost, "GRAPH_URL": c.GraphURL, "EXCHANGE_URL": c.ExchangeURL} {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			p = append(p, fmt.Sprintf("%s=%q is not an http(s) URL", name, v))
		}
	}
	if c.SlackAPIURL != "" && !strings.HasSuffix(c.SlackAPIURL, "/") {
		p = append(p, "SLACK_API_URL must end in /")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			p = append(p, "REDIS_URL must be a redis://, rediss:// or unix:// URL")
		} else if u.Scheme == "unix" && c.sentinel() {
			p = append(p, "REDIS_URL must be a redis:// or rediss:// URL with Sentinel (it gives the password, database and TLS; the Sentinels give the address)")
		}
	}
	switch addrs := c.sentinelAddrs(); {
	case len(addrs) > 0 && c.RedisSentinelMaster == "":
		p = append(p, "MAILBOXBOT_REDIS_SENTINEL_MASTER is not set: with MAILBOXBOT_REDIS_SENTINEL_ADDRS, name the master the Sentinels monitor (often mymaster)")
	case len(addrs) == 0 && c.RedisSentinelMaster != "":
		p = append(p, "MAILBOXBOT_REDIS_SENTINEL_ADDRS is not set: with MAILBOXBOT_REDIS_SENTINEL_MASTER, list the Sentinels as host:port, comma-separated")
	case len(addrs) == 0 && c.RedisURL == "" && !c.cluster():
		p = append(p, "REDIS_URL is not set"+hint("REDIS_URL")+", or set MAILBOXBOT_REDIS_SENTINEL_ADDRS and MAILBOXBOT_REDIS_SENTINEL_MASTER, or MAILBOXBOT_REDIS_CLUSTER_ADDRS")
	}
	p = append(p, c.clusterProblems()...)
	for _, a := range c.sentinelAddrs() {
		if err := checkHostPort(a); err != nil {
			p = append(p, "MAILBOXBOT_REDIS_SENTINEL_ADDRS: "+err.Error())
		}
	}
	for _, a := range c.Approvers {
		if !slackUserID.MatchString(a) {
			p = append(p, fmt.Sprintf("MAILBOXBOT_APPROVERS: %q is not a Slack user id (like U0123ABCD; find it in the user's profile, ⋮ > Copy member ID)", a))
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			p = append(p, fmt.Sprintf("MAILBOXBOT_METRICS_ADDR=%q is not host:port (like 127.0.0.1:9090)", c.MetricsAddr))
		} else if c.MetricsAddr == c.ListenAddr {
			p = append(p, "MAILBOXBOT_METRICS_ADDR must differ from LISTEN_ADDR: unset it to serve /metrics on LISTEN_ADDR")
		}
	}
	if c.AuditChannel != "" && !slackChannelID.MatchString(c.AuditChannel) {
		p = append(p, fmt.Sprintf("MAILBOXBOT_AUDIT_CHANNEL: %q is not a Slack channel id (like C0123ABCD)", c.AuditChannel))
	}
	if c.ApprovalTimeout < time.Minute {
		p = append(p, "MAILBOXBOT_APPROVAL_TIMEOUT must be at least 1m")
	}
	if c.VerifyTimeout < time.Minute {
		p = append(p, "MAILBOXBOT_VERIFY_TIMEOUT must be at least 1m")
	}
	if c.VerifyDelay < 10*time.Millisecond || c.VerifyDelay > 10*time.Minute {
		p = append(p, "MAILBOXBOT_VERIFY_DELAY must be between 10ms and 10m")
	}
	if c.MailboxWait < time.Minute {
		p = append(p, "MAILBOXBOT_MAILBOX_WAIT_TIMEOUT must be at least 1m (a restored mailbox typically takes 20-30 minutes)")
	}
	if c.RetryWindow < 0 {
		p = append(p, "MAILBOXBOT_RETRY_WINDOW must not be negative (0 turns retries off)")
	}
	if c.UndoWindow < 0 {
		p = append(p, "MAILBOXBOT_UNDO_WINDOW must not be negative (0 turns undo off)")
	}
	if c.Retention < 0 {
		p = append(p, "MAILBOXBOT_RETENTION must not be negative (0 keeps finished requests and the audit log forever)")
	}
	for k, v := range c.policy() {
		if err := bot.CheckPolicy(k, v); err != nil {
			p = append(p, fmt.Sprintf("%s=%q: %v (manager, owners, approvers or none, or a list such as owners,approvers)", policySetting[k], v, err))
		}
	}
	p = append(p, c.checkRequired()...)
	if c.Workers < 0 || c.Workers > 200 {
		p = append(p, "MAILBOXBOT_WORKERS must be between 0 (take Slack's requests only) and 200")
	}
	switch c.JobProcess {
	case "idle", "nice", "off":
	default:
		p = append(p, fmt.Sprintf("MAILBOXBOT_JOB_PROCESS=%q must be idle (the jobs run in a second process that gets the CPU when serve does not need it), "+
			"nice (a second process with a smaller share of the CPU) or off (the jobs run in serve's own process)", c.JobProcess))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		p = append(p, "LOG_FORMAT must be json or text")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		p = append(p, "LOG_LEVEL must be debug, info, warn or error")
	}
	return p
}

// settingNames are the environment variables that configure serve: the
// settings and the NAME_FILE of each secret.
func settingNames() ([]string, error) {
	params, err := env.GetFieldParams(&Config{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range params {
		names = append(names, p.Key)
	}
	for _, name := range secretNames {
		names = append(names, name+"_FILE")
	}
	return names, nil
}

// jobProcess says whether serve runs its jobs in a job process.
func (c Config) jobProcess() bool { return c.Workers > 0 && c.JobProcess != "off" && jobproc.Supported }

// policySetting names the setting of each kind's approval policy.
var policySetting = map[mailbox.Kind]string{
	mailbox.KindConvertToShared: "MAILBOXBOT_APPROVAL_CONVERT", mailbox.KindConvertToRegular: "MAILBOXBOT_APPROVAL_TO_REGULAR",
	mailbox.KindCreateShared: "MAILBOXBOT_APPROVAL_CREATE", mailbox.KindGrant: "MAILBOXBOT_APPROVAL_GRANT", mailbox.KindRevoke: "MAILBOXBOT_APPROVAL_REVOKE",
}

// policy maps the MAILBOXBOT_APPROVAL_* settings that are set to the
// bot's; a kind whose setting is unset keeps bot.DefaultPolicy's.
func (c Config) policy() map[mailbox.Kind]string {
	policy := map[mailbox.Kind]string{}
	for k, v := range map[mailbox.Kind]string{
		mailbox.KindConvertToShared: c.PolicyConvert, mailbox.KindConvertToRegular: c.PolicyToRegular,
		mailbox.KindCreateShared: c.PolicyCreate, mailbox.KindGrant: c.PolicyGrant, mailbox.KindRevoke: c.PolicyRevoke,
	} {
		if v != "" {
			policy[k] = v
		}
	}
	return policy
}

func trimmed(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// requesters maps the MAILBOXBOT_REQUESTERS_* settings to the bot's.
func (c Config) requesters() map[mailbox.Kind][]string {
	return map[mailbox.Kind][]string{
		mailbox.KindConvertToShared: trimmed(c.RequestersConvert), mailbox.KindConvertToRegular: trimmed(c.RequestersConvert),
		mailbox.KindCreateShared: trimmed(c.RequestersCreate), mailbox.KindGrant: trimmed(c.RequestersGrant), mailbox.KindRevoke: trimmed(c.RequestersRevoke),
		mailbox.KindMembers: trimmed(c.RequestersMembers),
	}
}

// extraApprovers maps the MAILBOXBOT_EXTRA_APPROVERS_* settings.
func (c Config) extraApprovers() map[mailbox.Kind][]string {
	return map[mailbox.Kind][]string{
		mailbox.KindConvertToShared: trimmed(c.ExtraConvert), mailbox.KindConvertToRegular: trimmed(c.ExtraConvert),
		mailbox.KindCreateShared: trimmed(c.ExtraCreate), mailbox.KindGrant: trimmed(c.ExtraGrant), mailbox.KindRevoke: trimmed(c.ExtraRevoke),
	}
}

// reminderAt maps the setting to the bot's, where 0 means the default.
func (c Config) reminderAt() float64 {
	if c.ReminderAt == 0 {
		return -1
	}
	return c.ReminderAt
}
