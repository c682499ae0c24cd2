package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func validEnv() map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1-2-3",
		"SLACK_SIGNING_SECRET": "s3cr3t",
		"AZURE_TENANT_ID":      "9f6c2c1e-1111-4a5b-9c3d-0123456789ab",
		"AZURE_CLIENT_ID":      "c1",
		"AZURE_CLIENT_SECRET":  "azsecret",
		"REDIS_URL":            "redis://127.0.0.1:6379/0",
		"MAILBOXBOT_APPROVERS": "U0ADMIN, U0BOSS",
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":3000" || cfg.ApprovalTimeout != 24*time.Hour || cfg.GraphURL != "https://graph.microsoft.com/v1.0" ||
		cfg.ExchangeURL != "https://outlook.office365.com" || cfg.SlackAPIURL != "https://slack.com/api/" {
		t.Errorf("defaults wrong: %+v", cfg)
	}
	if len(cfg.Approvers) != 2 || cfg.Approvers[1] != "U0BOSS" {
		t.Errorf("approvers = %q", cfg.Approvers)
	}
	if cfg.JobProcess != "idle" || cfg.jobProcess() != jobproc.Supported {
		t.Errorf("job process %q (%v), want idle where supported", cfg.JobProcess, cfg.jobProcess())
	}
}

func TestConfigNamesEveryProblemAtOnce(t *testing.T) {
	e := validEnv()
	delete(e, "SLACK_BOT_TOKEN")
	delete(e, "REDIS_URL")
	delete(e, "AZURE_CLIENT_SECRET")
	e["MAILBOXBOT_APPROVAL_TIMEOUT"] = "soon"
	e["MAILBOXBOT_APPROVERS"] = "maria"
	e["GRAPH_URL"] = "not a url"
	e["MAILBOXBOT_JOB_PROCESS"] = "10"
	_, err := loadConfig(envOf(e))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"SLACK_BOT_TOKEN is not set", "REDIS_URL is not set", "no Azure credential",
		"MAILBOXBOT_APPROVAL_TIMEOUT", `"maria" is not a Slack user id`, "GRAPH_URL", `MAILBOXBOT_JOB_PROCESS="10" must be idle`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Error("a secret leaked into the message")
	}
}

func TestConfigSecretFromFile(t *testing.T) {
	e := validEnv()
	delete(e, "SLACK_SIGNING_SECRET")
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e["SLACK_SIGNING_SECRET_FILE"] = path
	cfg, err := loadConfig(envOf(e))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SlackSigningSecret != "from-file" {
		t.Errorf("secret = %q", cfg.SlackSigningSecret)
	}
	e["SLACK_SIGNING_SECRET"] = "x"
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both set: %v", err)
	}
	e = validEnv()
	e["AZURE_CLIENT_SECRET_FILE"] = filepath.Join(t.TempDir(), "missing")
	delete(e, "AZURE_CLIENT_SECRET")
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigSocketModeNeedsNoSigningSecret(t *testing.T) {
	e := validEnv()
	delete(e, "SLACK_SIGNING_SECRET")
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET is not set") {
		t.Errorf("no secret, no app token: %v", err)
	}
	e["SLACK_APP_TOKEN"] = "xapp-1-2"
	if _, err := loadConfig(envOf(e)); err != nil {
		t.Errorf("Socket Mode without a signing secret: %v", err)
	}
	e["SLACK_APP_TOKEN"] = "xoxb-wrong"
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "xapp-") {
		t.Errorf("bad app token: %v", err)
	}
}

func TestConfigWhoMayAsk(t *testing.T) {
	e := validEnv()
	e["MAILBOXBOT_REQUESTERS_CONVERT"] = "U0RITA, S0HELPDESK"
	e["MAILBOXBOT_EXTRA_APPROVERS_GRANT"] = "maria"
	_, err := loadConfig(envOf(e))
	if err == nil || !strings.Contains(err.Error(), `MAILBOXBOT_EXTRA_APPROVERS_GRANT: "maria" is not a Slack user id`) {
		t.Fatalf("bad id: %v", err)
	}
	delete(e, "MAILBOXBOT_EXTRA_APPROVERS_GRANT")
	cfg, err := loadConfig(envOf(e))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.requesters()["convert_to_shared"]; len(got) != 2 || got[1] != "S0HELPDESK" {
		t.Errorf("requesters %v", got)
	}
}

func TestConfigMetricsAddr(t *testing.T) {
	e := validEnv()
	for v, want := range map[string]string{
		"":               "",
		"127.0.0.1:9090": "",
		":9090":          "",
		"9090":           `MAILBOXBOT_METRICS_ADDR="9090" is not host:port`,
		":3000":          "MAILBOXBOT_METRICS_ADDR must differ from LISTEN_ADDR",
	} {
		e["MAILBOXBOT_METRICS_ADDR"] = v
		cfg, err := loadConfig(envOf(e))
		switch {
		case want == "" && err != nil:
			t.Errorf("MAILBOXBOT_METRICS_ADDR=%q: %v", v, err)
		case want == "" && cfg.MetricsAddr != v:
			t.Errorf("MAILBOXBOT_METRICS_ADDR=%q read as %q", v, cfg.MetricsAddr)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("MAILBOXBOT_METRICS_ADDR=%q: %v, want %q", v, err, want)
		}
	}
}

// Issue 15: converting back has its own policy, never the former owner's
// manager; grant and revoke are decided by the mailbox's owners by default;
// a policy may be a chain.
func TestConfigApprovalPolicies(t *testing.T) {
	cfg, err := loadConfig(envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[mailbox.Kind]string{mailbox.KindConvertToShared: "manager", mailbox.KindConvertToRegular: "approvers",
		mailbox.KindCreateShared: "approvers", mailbox.KindGrant: "owners,approvers", mailbox.KindRevoke: "owners,approvers",
		mailbox.KindAutoReplyOff: "owners,approvers"} // issue 16: /shared-mailbox auto-reply … off
	if got, err := bot.ResolvePolicy(cfg.policy()); err != nil || !maps.Equal(got, want) {
		t.Errorf("default policy %v (%v), want %v", got, err, want)
	}
	for setting, bad := range map[string]string{
		"MAILBOXBOT_APPROVAL_TO_REGULAR": "manager", "MAILBOXBOT_APPROVAL_GRANT": "none,approvers",
		"MAILBOXBOT_APPROVAL_CREATE": "owners", "MAILBOXBOT_APPROVAL_REVOKE": "boss",
	} {
		e := validEnv()
		e[setting] = bad
		if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), setting+"=") {
			t.Errorf("%s=%s: %v", setting, bad, err)
		}
	}
	e := validEnv()
	e["MAILBOXBOT_APPROVAL_TO_REGULAR"] = "manager"
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "converting back") {
		t.Errorf("the error does not say why manager is refused for converting back: %v", err)
	}
	e = validEnv()
	e["MAILBOXBOT_APPROVAL_CONVERT"] = "approvers"
	e["MAILBOXBOT_APPROVAL_GRANT"] = "manager,approvers"
	e["MAILBOXBOT_REQUESTERS_MEMBERS"] = "U0RITA"
	cfg, err = loadConfig(envOf(e))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := bot.ResolvePolicy(cfg.policy()); err != nil || p[mailbox.KindConvertToRegular] != "approvers" || p[mailbox.KindGrant] != "manager,approvers" {
		t.Errorf("policy %v (%v)", p, err)
	}
	if got := cfg.requesters()[mailbox.KindMembers]; !slices.Equal(got, []string{"U0RITA"}) {
		t.Errorf("members requesters %v", got)
	}
}

// The demo runs with serve's default limits: the constants it uses are the
// settings' defaults.
func TestConfigLimitDefaults(t *testing.T) {
	cfg, err := loadConfig(envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RatePerUser != defaultRatePerUser || cfg.BatchMax != defaultBatchMax {
		t.Fatalf("defaults %d a minute and %d mailboxes, the constants say %d and %d", cfg.RatePerUser, cfg.BatchMax, defaultRatePerUser, defaultBatchMax)
	}
}

// MAILBOXBOT_UNDO_WINDOW: 30 days unless set; 0 turns undo off (a negative
// window for the bot); a negative setting is refused.
func TestConfigUndoWindow(t *testing.T) {
	cfg, err := loadConfig(envOf(validEnv()))
	if err != nil || cfg.UndoWindow != bot.DefaultUndoWindow {
		t.Fatalf("default %v %v", cfg.UndoWindow, err)
	}
	e := validEnv()
	e["MAILBOXBOT_UNDO_WINDOW"] = "0"
	if cfg, err = loadConfig(envOf(e)); err != nil || retryWindow(cfg.UndoWindow) >= 0 {
		t.Errorf("0: %v %v", cfg.UndoWindow, err)
	}
	e["MAILBOXBOT_UNDO_WINDOW"] = "-1h"
	if _, err := loadConfig(envOf(e)); err == nil || !strings.Contains(err.Error(), "MAILBOXBOT_UNDO_WINDOW must not be negative") {
		t.Errorf("-1h: %v", err)
	}
}
