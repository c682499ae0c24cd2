package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2/server"

	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// doctorWorld is newWorld for doctor: the bot token has every scope the
// bot uses, the audit channel exists, Graph answers the list reads that
// graphtest does not serve (and any hook a test adds) in front of the
// fake, and Redis is a miniredis answering CONFIG GET as configured.
type doctorWorld struct {
	*world
	hooks  map[string]http.HandlerFunc // by Graph path, e.g. "/v1.0/subscribedSkus"
	config map[string]string           // CONFIG GET answers; nil refuses CONFIG
}

func newDoctorWorld(t *testing.T) *doctorWorld {
	w := &doctorWorld{world: newWorld(t, 0), config: map[string]string{"appendonly": "yes", "save": "3600 1 300 100 60 10000"}}
	w.slack.SetScopes("commands", "chat:write", "im:write", "users:read", "users:read.email", "usergroups:read")
	w.slack.AddChannel(demoAuditChannel, "mailbox-audit")

	list := func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$top") != "1" {
			http.Error(rw, "doctor must ask for one entry", http.StatusBadRequest)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id)","value":[{"id":"2b2c1f4e-0000-4000-8000-000000000001"}]}`)
	}
	w.hooks = map[string]http.HandlerFunc{"/v1.0/users": list, "/v1.0/groups": list}
	target, _ := url.Parse(w.graph.URL())
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	proxy.Transport = w.graph.Client().Transport
	front := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if h := w.hooks[r.URL.Path]; h != nil {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer token-for-") {
				http.Error(rw, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`, http.StatusUnauthorized)
				return
			}
			h(rw, r)
			return
		}
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(front.Close)
	w.env["GRAPH_URL"] = front.URL + "/v1.0"

	_, mr := redistest.EmbeddedServer(t)
	err := mr.Server().Register("CONFIG", func(c *server.Peer, cmd string, args []string) {
		if w.config == nil {
			c.WriteError("ERR unknown command 'CONFIG', with args beginning with: 'GET'")
			return
		}
		if len(args) != 2 || !strings.EqualFold(args[0], "GET") {
			c.WriteError("ERR the fake answers only CONFIG GET <name>")
			return
		}
		v, ok := w.config[args[1]]
		if !ok {
			c.WriteMapLen(0)
			return
		}
		c.WriteMapLen(1)
		c.WriteBulk(args[1])
		c.WriteBulk(v)
	})
	if err != nil {
		t.Fatal(err)
	}
	w.env["REDIS_URL"] = "redis://" + mr.Addr()
	return w
}

func (w *doctorWorld) run() (string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"doctor"}, func(k string) string { return w.env[k] }, &out, &errb)
	return out.String(), err
}

// lines returns the report's lines with that status ("ok", "warn", "FAIL").
func lines(out, status string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == status {
			ls = append(ls, l)
		}
	}
	return ls
}

func TestDoctorGoodConfiguration(t *testing.T) {
	w := newDoctorWorld(t)
	out, err := w.run()
	t.Logf("report:\n%s", out)
	if err != nil {
		t.Errorf("doctor: %v", err)
	}
	if bad := append(lines(out, "FAIL"), lines(out, "warn")...); len(bad) > 0 {
		t.Errorf("not every line is ok:\n%s", out)
	}
	for _, want := range []string{
		"ok    configuration: loaded",
		"ok    Slack signing secret: set",
		"ok    Slack bot token: valid: @mailboxbot in contoso (T0001)",
		"ok    Slack bot scopes: commands, chat:write, im:write, users:read, users:read.email, usergroups:read",
		"ok    Microsoft Graph token: issued for",
		"ok    Graph User.Read.All (GET /users): usable",
		"ok    Graph LicenseAssignment.Read.All (GET /subscribedSkus): usable",
		"ok    Graph GroupMember.Read.All (GET /groups): usable",
		"ok    Graph User.Read.All (GET /directory/deletedItems/microsoft.graph.user): usable",
		"ok    Exchange Online (Get-Mailbox -ResultSize 1): the app may run Exchange cmdlets",
		"ok    Redis: ",
		"ok    Redis persistence: append-only file and snapshots (save 3600 1 300 100 60 10000)",
		"ok    approver U0ADA: Ada Admin",
		"ok    audit channel C0AUDIT: #mailbox-audit",
		"14 ok, 0 warning(s), 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Exchange got Get-Mailbox -ResultSize 1 as a JSON number.
	calls := w.exo.Calls()
	if len(calls) != 1 || calls[0].Cmdlet != "Get-Mailbox" || calls[0].Parameters["ResultSize"] != float64(1) || len(calls[0].Parameters) != 1 {
		t.Errorf("Exchange calls: %+v", calls)
	}
	if n := w.graph.Count("GET", "/subscribedSkus"); n != 1 {
		t.Errorf("GET /subscribedSkus sent %d times", n)
	}
	for _, secret := range []string{e2eClientSecret, e2eSigning, e2eBotToken, "token-for-"} {
		if strings.Contains(out, secret) {
			t.Errorf("the report shows a secret (%q)", secret)
		}
	}
}

// failsWith runs doctor and checks that it fails with a FAIL line holding
// every part of want.
func (w *doctorWorld) failsWith(want ...string) string {
	w.t.Helper()
	out, err := w.run()
	if !errors.Is(err, errChecksFailed) {
		w.t.Errorf("doctor: %v, want a failure\n%s", err, out)
	}
	for _, l := range lines(out, "FAIL") {
		all := true
		for _, s := range want {
			all = all && strings.Contains(l, s)
		}
		if all {
			return out
		}
	}
	w.t.Errorf("no FAIL line with %q:\n%s", want, out)
	return out
}

func TestDoctorWrongBotToken(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["SLACK_BOT_TOKEN"] = "xoxb-revoked"
	out := w.failsWith("Slack bot token", "invalid_auth", "SLACK_BOT_TOKEN is not valid", "OAuth & Permissions")
	if !strings.Contains(out, "warn  approvers and audit channel: not checked") {
		t.Errorf("approvers checked with a refused token:\n%s", out)
	}
}

func TestDoctorMissingScope(t *testing.T) {
	w := newDoctorWorld(t)
	w.slack.SetScopes("commands", "chat:write", "im:write", "users:read", "usergroups:read")
	out := w.failsWith("Slack bot scopes", "missing users:read.email", "reinstall the app")
	if n := len(lines(out, "FAIL")); n != 1 {
		t.Errorf("%d failures, want 1:\n%s", n, out)
	}
}

func TestDoctorWrongClientSecret(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["AZURE_CLIENT_SECRET"] = "expired-secret"
	t.Log(w.failsWith("Microsoft Graph token", "AADSTS7000215", "AZURE_CLIENT_SECRET is wrong or expired"))
	w.failsWith("Exchange Online", "AADSTS7000215")
}

func TestDoctorGraphForbidden(t *testing.T) {
	w := newDoctorWorld(t)
	w.hooks["/v1.0/subscribedSkus"] = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusForbidden)
		fmt.Fprint(rw, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2025-01-01T00:00:00","request-id":"1","client-request-id":"1"}}}`)
	}
	out := w.failsWith("Graph LicenseAssignment.Read.All (GET /subscribedSkus)", "HTTP 403 Authorization_RequestDenied",
		"Insufficient privileges", "grant the application permission LicenseAssignment.Read.All", "admin consent")
	if n := len(lines(out, "FAIL")); n != 1 {
		t.Errorf("%d failures, want 1:\n%s", n, out)
	}
}

func TestDoctorGraphForbiddenPlainRead(t *testing.T) {
	w := newDoctorWorld(t)
	w.hooks["/v1.0/groups"] = func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusForbidden)
		fmt.Fprint(rw, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`)
	}
	w.failsWith("Graph GroupMember.Read.All (GET /groups)", "HTTP 403", "grant the application permission GroupMember.Read.All")
}

func TestDoctorExchangeUnauthorized(t *testing.T) {
	w := newDoctorWorld(t)
	w.exo.FailNext(1, http.StatusUnauthorized, "", "")
	w.failsWith("Exchange Online (Get-Mailbox -ResultSize 1)", "HTTP 401", "Exchange.ManageAsApp", "Exchange Recipient Administrator")
}

func TestDoctorUnknownApprover(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["MAILBOXBOT_APPROVERS"] = "U0ADA,U0NOBODY"
	out := w.failsWith("approver U0NOBODY", "no such Slack user", "MAILBOXBOT_APPROVERS")
	if !strings.Contains(out, "ok    approver U0ADA") {
		t.Errorf("the known approver is not ok:\n%s", out)
	}
}

func TestDoctorUnknownAuditChannel(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["MAILBOXBOT_AUDIT_CHANNEL"] = "C0NOWHERE"
	w.failsWith("audit channel C0NOWHERE", "no such channel", "MAILBOXBOT_AUDIT_CHANNEL", "/invite @mailboxbot")
}

func TestDoctorRedisPersistence(t *testing.T) {
	w := newDoctorWorld(t)
	w.config = map[string]string{"appendonly": "no", "save": ""}
	out, err := w.run()
	if err != nil {
		t.Errorf("doctor failed on a warning: %v\n%s", err, out)
	}
	if !strings.Contains(out, "warn  Redis persistence: neither the append-only file nor snapshots are on") || len(lines(out, "warn")) != 1 {
		t.Errorf("no persistence warning:\n%s", out)
	}

	w.config = map[string]string{"appendonly": "no", "save": "900 1"}
	if out, err := w.run(); err != nil || !strings.Contains(out, "ok    Redis persistence: snapshots (save 900 1)") {
		t.Errorf("snapshots only: %v\n%s", err, out)
	}

	w.config = nil // managed Redis: CONFIG refused
	out, err = w.run()
	if err != nil || !strings.Contains(out, "warn  Redis persistence: could not be checked (CONFIG GET refused") {
		t.Errorf("CONFIG refused: %v\n%s", err, out)
	}
}

func TestDoctorRedisUnreachable(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["REDIS_URL"] = "redis://" + freeAddr(t)
	w.failsWith("Redis", "cannot reach", "REDIS_URL")
}

func TestDoctorBadConfiguration(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"doctor"}, func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "not-a-token"}[k]
	}, &out, &bytes.Buffer{})
	if !errors.Is(err, errChecksFailed) || !strings.Contains(out.String(), "FAIL  configuration: configuration has") ||
		!strings.Contains(out.String(), "SLACK_BOT_TOKEN must be a bot token") {
		t.Errorf("doctor: %v\n%s", err, out.String())
	}
}

// TestDoctorSocketModeRefused: with Socket Mode the signing secret is not
// needed, and an app-level token Slack refuses fails apps.connections.open.
func TestDoctorSocketModeRefused(t *testing.T) {
	w := newDoctorWorld(t)
	w.env["SLACK_APP_TOKEN"] = "xapp-1-revoked"
	delete(w.env, "SLACK_SIGNING_SECRET")
	out := w.failsWith("Slack Socket Mode", "apps.connections.open", "invalid_auth", "connections:write")
	if !strings.Contains(out, "ok    Slack signing secret: not needed") || len(lines(out, "FAIL")) != 1 {
		t.Errorf("report:\n%s", out)
	}
	if n := w.slack.Calls("apps.connections.open"); n != 1 {
		t.Errorf("apps.connections.open called %d times", n)
	}
}
