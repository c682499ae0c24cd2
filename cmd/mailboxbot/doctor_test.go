package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"

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
	w := &doctorWorld{world: newWorld(t, 0), config: map[string]string{"appendonly": "yes", "save": "3600 1 300 100 60 10000", "maxmemory-policy": "noeviction"}}
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
		"ok    Redis eviction: maxmemory-policy noeviction",
		"ok    approver U0ADA: Ada Admin",
		"ok    audit channel C0AUDIT: #mailbox-audit",
		"15 ok, 0 warning(s), 0 failed",
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
	w.config = map[string]string{"appendonly": "no", "save": "", "maxmemory-policy": "noeviction"}
	out, err := w.run()
	if err != nil {
		t.Errorf("doctor failed on a warning: %v\n%s", err, out)
	}
	if !strings.Contains(out, "warn  Redis persistence: neither the append-only file nor snapshots are on") || len(lines(out, "warn")) != 1 {
		t.Errorf("no persistence warning:\n%s", out)
	}

	w.config = map[string]string{"appendonly": "no", "save": "900 1", "maxmemory-policy": "noeviction"}
	if out, err := w.run(); err != nil || !strings.Contains(out, "ok    Redis persistence: snapshots (save 900 1)") {
		t.Errorf("snapshots only: %v\n%s", err, out)
	}

	w.config = nil // managed Redis: CONFIG refused
	out, err = w.run()
	if err != nil || !strings.Contains(out, "warn  Redis persistence: could not be checked (CONFIG GET refused") {
		t.Errorf("CONFIG refused: %v\n%s", err, out)
	}
}

// TestDoctorRedisEviction: a Redis that may evict keys, or whose policy
// cannot be read, is a warning that says what is at stake.
func TestDoctorRedisEviction(t *testing.T) {
	w := newDoctorWorld(t)
	w.config["maxmemory-policy"] = "allkeys-lru"
	w.warnsOnce("Redis eviction", "maxmemory-policy is allkeys-lru", "approved work would be lost", "set maxmemory-policy noeviction")

	delete(w.config, "maxmemory-policy")
	w.warnsOnce("Redis eviction", "could not be read (CONFIG GET answered nothing)", "make sure it is noeviction", "approved work would be lost")

	w.config = nil // managed Redis: CONFIG refused
	out, err := w.run()
	if err != nil || !strings.Contains(out, "warn  Redis eviction: maxmemory-policy could not be read (CONFIG GET refused") ||
		!strings.Contains(out, "approved work would be lost") {
		t.Errorf("CONFIG refused: %v\n%s", err, out)
	}
}

// TestDoctorRedisEvictionRealServer reads the policy of a real Redis: a
// redis-server of the test's own, since changing the policy of the one the
// other tests share could change what they see.
func TestDoctorRedisEvictionRealServer(t *testing.T) {
	w := newDoctorWorld(t)
	rdb := ownRedisServer(t, "--maxmemory-policy", "volatile-lru", "--appendonly", "yes")
	w.env["REDIS_URL"] = "redis://" + rdb.Options().Addr
	out := w.warnsOnce("Redis eviction", "maxmemory-policy is volatile-lru", "approved work would be lost")
	if !strings.Contains(out, "ok    Redis persistence: append-only file") {
		t.Errorf("the real server's persistence is not read:\n%s", out)
	}
	if err := rdb.ConfigSet(context.Background(), "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if out, err := w.run(); err != nil || !strings.Contains(out, "ok    Redis eviction: maxmemory-policy noeviction") || len(lines(out, "warn")) > 0 {
		t.Errorf("noeviction: %v\n%s", err, out)
	}
}

// warnsOnce runs doctor and checks that it passes with one warning, which
// holds every part of want.
func (w *doctorWorld) warnsOnce(want ...string) string {
	w.t.Helper()
	out, err := w.run()
	warns := lines(out, "warn")
	if err != nil || len(warns) != 1 {
		w.t.Errorf("doctor: %v, want success with one warning\n%s", err, out)
		return out
	}
	for _, s := range want {
		if !strings.Contains(warns[0], s) {
			w.t.Errorf("the warning lacks %q:\n%s", s, warns[0])
		}
	}
	return out
}

// ownRedisServer starts a redis-server on a free loopback port with the
// given settings, stopped at the end of the test; it skips the test when
// redis-server is not on PATH.
func ownRedisServer(t *testing.T, settings ...string) *redis.Client {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not on PATH: this test needs a Redis of its own, whose settings it may change (apt-get install redis-server)")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", t.TempDir(), "--save", ""}, settings...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	for deadline := time.Now().Add(5 * time.Second); rdb.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server %s did not answer within 5s", strings.Join(args, " "))
		}
	}
	return rdb
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
