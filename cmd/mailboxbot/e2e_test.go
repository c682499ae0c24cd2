package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/cmd/internal/sandboxworld"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/exchange/exchangetest"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
	"github.com/mailboxbot/mailboxbot/mailbox/msauth/msauthtest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

const (
	e2eTenant       = sandboxworld.TenantID
	e2eClient       = sandboxworld.ClientID
	e2eClientSecret = sandboxworld.ClientSecret
	e2eSigning      = sandboxworld.SigningSecret
	e2eBotToken     = sandboxworld.BotToken
)

// world is everything outside the bot: Slack, Entra, Graph, Exchange and
// Redis, all speaking their real wire formats.
type world struct {
	t      *testing.T
	tenant *sandbox.Tenant
	auth   *msauthtest.Authority
	graph  *graphtest.Server
	exo    *exchangetest.Server
	slack  *slacktest.Server
	env    map[string]string
	botURL string
}

var trustOnce sync.Once

// trustTestCerts makes this process trust httptest's TLS certificate
// through SSL_CERT_FILE, the way an enterprise CA is configured. Go reads
// SSL_CERT_FILE once, before the first verification.
func trustTestCerts(t *testing.T) {
	trustOnce.Do(func() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("mailboxbot-e2e-ca-%d.pem", os.Getpid()))
		if err := sandboxworld.WriteCert(path); err != nil {
			t.Fatal(err)
		}
		os.Setenv("SSL_CERT_FILE", path)
	})
}

func newWorld(t *testing.T, lag int) *world {
	trustTestCerts(t)
	rdb, prefix := redistest.Client(t)
	queue := strings.TrimSuffix(prefix, ":")
	t.Cleanup(func() {
		// The queue's keys live under asynq's own prefix.
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "asynq:{"+queue+"}:*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.SRem(ctx, "asynq:queues", queue)
	})
	fakes := sandboxworld.New(sandbox.NewContoso(sandbox.Options{ConversionLag: lag, CreateLag: lag}))
	t.Cleanup(fakes.Close)
	w := &world{t: t, tenant: fakes.Tenant, auth: fakes.Auth, graph: fakes.Graph, exo: fakes.Exchange, slack: fakes.Slack}
	for _, p := range demoPeople {
		w.slack.AddUser(p.id, p.name, p.email)
	}
	w.env = fakes.Env("redis://"+rdb.Options().Addr, prefix, freeAddr(t))
	maps.Copy(w.env, map[string]string{
		"MAILBOXBOT_APPROVERS": "U0ADA", "MAILBOXBOT_AUDIT_CHANNEL": demoAuditChannel,
		"MAILBOXBOT_VERIFY_DELAY": "100ms", "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
		// The jobs run in serve's own process, where most tests look at
		// them; the tests of the job process delete this.
		"MAILBOXBOT_JOB_PROCESS": "off",
	})
	w.botURL = "http://" + w.env["LISTEN_ADDR"]
	return w
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serve starts `mailboxbot serve` and returns a function that stops it
// (SIGTERM-like: the context is cancelled) and returns run's error.
func (w *world) serve(log *testlog.Buffer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return w.env[k] }, &bytes.Buffer{}, log)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(w.botURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			cancel()
			w.t.Fatalf("serve stopped: %v\nlog:\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			w.t.Fatalf("serve not ready after 20s\nlog:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(30 * time.Second):
				result = fmt.Errorf("serve did not stop within 30s")
			}
		})
		return result
	}
	w.t.Cleanup(func() { stop() })
	return stop
}

func (w *world) waitFor(what string, match func(slacktest.Entry) bool) slacktest.Entry {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	found, err := w.slack.WaitForEntry(ctx, match)
	if err != nil {
		var sb strings.Builder
		for _, e := range w.slack.Transcript() {
			fmt.Fprintf(&sb, "%s %s %s: %s\n", e.Kind, e.Channel, e.User, e.Text)
		}
		w.t.Fatalf("waited for %s: %v\ntranscript:\n%s", what, err, sb.String())
	}
	return found
}

func (w *world) command(user, text string) {
	w.t.Helper()
	status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, user, "/convert-mailbox", text)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("slash command: %d %s %v", status, body, err)
	}
}

func (w *world) click(user string, msg slacktest.Entry, action string) {
	w.t.Helper()
	status, body, err := w.slack.ClickVersion(context.Background(), w.botURL, e2eSigning, user, msg, action)
	if err != nil || status != http.StatusOK {
		w.t.Fatalf("click: %d %s %v", status, body, err)
	}
}

func (w *world) assertNoSecrets(log string) {
	w.t.Helper()
	for _, secret := range []string{e2eClientSecret, e2eSigning, e2eBotToken, "token-for-"} {
		if strings.Contains(log, secret) {
			w.t.Errorf("the log contains a secret (%q)", secret)
		}
		for _, e := range w.slack.Transcript() {
			if strings.Contains(e.Text, secret) {
				w.t.Errorf("Slack message contains a secret (%q): %s", secret, e.Text)
			}
		}
	}
}

// TestServeEndToEnd drives `mailboxbot serve` the way Slack and Microsoft
// would: a signed slash command, the manager's approval DM, a signed click,
// the conversion through the Exchange admin endpoint, sign-in blocked
// through Graph, every notification, and a refused forgery.
func TestServeEndToEnd(t *testing.T) {
	serveEndToEnd(t, newWorld(t, 1))
}

// serveEndToEnd is TestServeEndToEnd in w.
func serveEndToEnd(t *testing.T, w *world) {
	log := &testlog.Buffer{}
	stop := w.serve(log)

	// A forged request is refused and nothing is acted upon.
	resp, err := http.Post(w.botURL+"/slack/commands", "application/x-www-form-urlencoded",
		strings.NewReader("user_id=U0RITA&command=%2Fconvert-mailbox&text=alice%40contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged command: HTTP %d, want 401", resp.StatusCode)
	}

	w.command("U0RITA", "alice@contoso.com")
	w.waitFor("the plan", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "will be asked to approve") &&
			strings.Contains(e.Text, "Alice Andersen, currently UserMailbox")
	})
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0ERIN", ask, "approve")
	w.waitFor("the stranger's refusal", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0ERIN" && strings.Contains(e.Text, "Only @U0MARIA can decide")
	})
	w.click("U0MARIA", ask, "approve")
	done := w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	for _, want := range []string{"✅ 1. Revoke sign-in sessions", "✅ 2. Block sign-in", "✅ 3. Convert to a shared mailbox", "✅ 4. Verify", "✅ 5. Remove the direct licenses"} {
		if !strings.Contains(done.Text, want) {
			t.Errorf("report lacks %q:\n%s", want, done.Text)
		}
	}
	w.waitFor("the audit message at its end", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "succeeded")
	})
	decided, _ := w.slack.Message(ask.Channel, ask.TS)
	if strings.Contains(decided.Text, "[Approve]") || !strings.Contains(decided.Text, "Approved by @U0MARIA") {
		t.Errorf("approval message not updated:\n%s", decided.Text)
	}

	// Over the wire: one Set-Mailbox, polls of Get-Mailbox, one PATCH.
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Errorf("Set-Mailbox sent %d times", n)
	}
	if n := w.graph.Count(http.MethodPatch, "/users/"); n != 1 {
		t.Errorf("PATCH /users sent %d times", n)
	}
	for _, c := range w.exo.Calls() {
		if c.Header.Get("Authorization") != "Bearer "+msauthtest.TokenFor(w.exo.URL()+"/.default") {
			t.Errorf("Exchange call %s with the wrong token", c.Cmdlet)
			break
		}
	}
	// Tokens were asked for with the client secret, for Graph's scope and
	// for Exchange's.
	scopes := map[string]bool{}
	for _, f := range w.auth.TokenRequests() {
		if f["client_secret"] == e2eClientSecret {
			scopes[strings.Fields(f["scope"])[0]] = true
		}
	}
	for _, want := range []string{strings.TrimSuffix(w.graph.URL(), "/v1.0") + "/.default", w.exo.URL() + "/.default"} {
		if !scopes[want] {
			t.Errorf("no token requested for %s (got %v)", want, scopes)
		}
	}
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 4) // sessions, sign-in, type, license
	// What happened is counted on /metrics.
	mresp, err := http.Get(w.botURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`mailboxbot_requests_total{op="convert_to_shared",state="succeeded"} 1`,
		`mailboxbot_microsoft_calls_total{service="exchange",status="200"}`, `mailboxbot_microsoft_calls_total{service="graph",status="200"}`,
		`mailboxbot_slack_calls_total{method="chat.postMessage",status="200"}`, `mailboxbot_ack_seconds_count{route="/slack/commands"}`,
		`mailboxbot_step_duration_seconds_count{status="done",step="convert_to_shared"} 1`, "mailboxbot_queue_depth"} {
		if !strings.Contains(string(scraped), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	mb, _ := w.tenant.GetMailbox(context.Background(), "alice@contoso.com")
	if mb.RecipientTypeDetails != mailbox.RecipientSharedMailbox {
		t.Errorf("alice is %s", mb.RecipientTypeDetails)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	w.assertNoSecrets(log.String())
}

// TestServeEdgeOnly: with MAILBOXBOT_WORKERS=0 serve answers Slack and
// queues the work without running it (it says so in its log); a serve with
// workers on the same Redis then runs it.
func TestServeEdgeOnly(t *testing.T) {
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_WORKERS"] = "0"
	log := &testlog.Buffer{}
	stop := w.serve(log)
	status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, "U0RITA", "/convert-mailbox", "alice@contoso.com")
	if err != nil || status != http.StatusOK || !strings.Contains(string(body), "Checking") {
		t.Fatalf("slash command: %d %s %v", status, body, err)
	}
	// The job waits in the queue, and no process serves the queue: an
	// asynq server registers itself in Redis when it starts.
	opts, err := redis.ParseURL(w.env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	q, err := redisstore.NewQueue(rdb, redisstore.QueueConfig{Name: strings.TrimSuffix(w.env["MAILBOXBOT_REDIS_PREFIX"], ":")})
	if err != nil {
		t.Fatal(err)
	}
	// A queue server registers itself as it starts and looks for jobs every
	// 200 ms: watch for half a second.
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if slots, err := q.Workers(t.Context()); err != nil || slots != 0 {
			t.Fatalf("an edge-only serve gives the queue %d job slots (%v), want 0", slots, err)
		}
		if n := w.graph.Count("", "/") + w.exo.Count("Get-Mailbox"); n != 0 || len(w.slack.Messages("DU0MARIA")) != 0 {
			t.Fatalf("an edge-only serve ran the job: %d reads, transcript %v", n, transcriptTexts(w.slack))
		}
	}
	if depth, err := q.Depth(t.Context()); err != nil || depth != 1 {
		t.Errorf("queue depth %d, %v; want the command's job, waiting", depth, err)
	}
	if !strings.Contains(log.String(), "MAILBOXBOT_WORKERS=0") {
		t.Errorf("the log does not say that this process runs no jobs:\n%s", log.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("edge-only serve: %v", err)
	}
	w.env["MAILBOXBOT_WORKERS"] = "2"
	stop = w.serve(log)
	w.waitFor("Maria's approval DM, asked by the worker", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	if err := stop(); err != nil {
		t.Errorf("serve with workers: %v", err)
	}
	w.assertNoSecrets(log.String())
}

// TestServeResumesAfterRestart stops the bot while it waits for Exchange to
// report the conversion, starts it again, and checks that the work
// completes, each change made once.
func TestServeResumesAfterRestart(t *testing.T) {
	w := newWorld(t, 3)
	w.env["MAILBOXBOT_VERIFY_DELAY"] = "1s"
	log := &testlog.Buffer{}
	stop := w.serve(log)
	w.approvedUntilWaiting()
	if err := stop(); err != nil {
		t.Fatalf("first serve: %v", err)
	}
	if strings.Contains(strings.Join(transcriptTexts(w.slack), "\n"), "is done") {
		t.Fatal("finished before the restart; the test proves nothing")
	}
	stop2 := w.serve(log)
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Errorf("Set-Mailbox sent %d times", n)
	}
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 4)
	if err := stop2(); err != nil {
		t.Errorf("second serve: %v", err)
	}
	w.assertNoSecrets(log.String())
}

func transcriptTexts(s *slacktest.Server) []string {
	var out []string
	for _, e := range s.Transcript() {
		out = append(out, e.Text)
	}
	return out
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve"}, func(k string) string {
		return map[string]string{"SLACK_BOT_TOKEN": "not-a-token", "REDIS_URL": "http://x"}[k]
	}, &bytes.Buffer{}, &stderr)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, want := range []string{"SLACK_BOT_TOKEN must be a bot token", "SLACK_SIGNING_SECRET is not set", "AZURE_TENANT_ID is not set", "REDIS_URL must be"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestTwoReplicasFiftyClicks runs two replicas of `mailboxbot serve` on one
// Redis and sends 50 concurrent Approve clicks, spread over both replicas
// and both approvers: the conversion runs exactly once, and every other
// click is told who decided.
func TestTwoReplicasFiftyClicks(t *testing.T) {
	twoReplicasFiftyClicks(t, newWorld(t, 0))
}

// twoReplicasFiftyClicks is TestTwoReplicasFiftyClicks in w.
func twoReplicasFiftyClicks(t *testing.T, w *world) {
	replicas, approvers, asks := w.askErinOnTwo("")
	w.approveAtOnce(50, replicas, approvers, asks)
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	told := func(es []slacktest.Entry) int {
		n := 0
		for _, e := range es {
			if e.Kind == slacktest.KindEphemeral && strings.Contains(e.Text, "was already approved by") {
				n++
			}
		}
		return n
	}
	if err := w.slack.WaitFor(ctx, func(es []slacktest.Entry) bool { return told(es) >= 49 }); err != nil {
		t.Errorf("%d clicks told who decided, want 49", told(w.slack.Transcript()))
	}
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Errorf("Set-Mailbox sent %d times, want 1", n)
	}
	if n := w.graph.Count(http.MethodPatch, "/users/"); n != 1 {
		t.Errorf("PATCH /users sent %d times, want 1", n)
	}
	eachChangeOnce(t, w.tenant, "erin@contoso.com", 3) // erin's license comes from a group
	if n := told(w.slack.Transcript()); n != 49 {
		t.Errorf("%d clicks told who decided, want exactly 49", n)
	}
}

// eachChangeOnce checks that the tenant changed upn in n kinds of way,
// each exactly once.
func eachChangeOnce(t *testing.T, tn *sandbox.Tenant, upn string, n int) {
	t.Helper()
	c := tn.ChangeCount(upn)
	if len(c) != n {
		t.Errorf("%s changed in %d ways, want %d: %v", upn, len(c), n, c)
	}
	for kind, k := range c {
		if k != 1 {
			t.Errorf("%s: %s made %d times", upn, kind, k)
		}
	}
}

// TestServeUnderFaults: Graph answers 503 and Exchange 429 (Retry-After 1)
// to one call in five, while three requests run through `serve`: a
// conversion with members, one whose licenses stay (rule 2), and one back
// to a user mailbox (rule 9). Every request completes, each change is made
// once, and the Temporary Access Pass reaches the requester's direct
// messages and nothing else.
func TestServeUnderFaults(t *testing.T) {
	w := newWorld(t, 1)
	w.graph.FailEvery(5, http.StatusServiceUnavailable, "")
	w.exo.FailEvery(5, http.StatusTooManyRequests, "1")
	log := &testlog.Buffer{}
	stop := w.serve(log)

	requests := []struct{ text, approver, done string }{
		{"alice@contoso.com members kim@contoso.com", "U0MARIA", "alice@contoso.com is now a shared mailbox"},
		{"frank@contoso.com", "U0ADA", "frank@contoso.com is now a shared mailbox"}, // grace, his manager, has no Slack account
		{"sales@contoso.com to regular", "U0ADA", "sales@contoso.com is a user mailbox again"},
	}
	for _, r := range requests {
		mb := strings.Fields(r.text)[0]
		w.command("U0RITA", r.text)
		ask := w.waitFor("the approval request for "+mb, func(e slacktest.Entry) bool {
			return e.Channel == "D"+r.approver && strings.Contains(e.Text, mb) && strings.Contains(e.Text, "[Approve]")
		})
		w.click(r.approver, ask, "approve")
	}
	for _, r := range requests {
		w.waitFor(r.done, func(e slacktest.Entry) bool { return e.Channel == "DU0RITA" && strings.Contains(e.Text, r.done) })
	}
	if n := w.graph.Count("", ""); n < 10 {
		t.Fatalf("only %d Graph calls: the faults proved nothing", n)
	}
	failed := 0
	for _, c := range w.graph.Calls() {
		if c.Status == http.StatusServiceUnavailable {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no Graph call was answered 503")
	}
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 6) // sessions, sign-in, Full Access, Send As, type, license
	eachChangeOnce(t, w.tenant, "frank@contoso.com", 3) // sessions, sign-in, type: the license stays (58 GB)
	eachChangeOnce(t, w.tenant, "sales@contoso.com", 5) // license, type, old password replaced, pass, sign-in
	pass := w.tenant.LastTemporaryAccessPass("sales@contoso.com")
	if pass == "" {
		t.Fatal("no pass issued")
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	if strings.Contains(log.String(), pass) {
		t.Error("the pass is in the log")
	}
	seen := 0
	for _, e := range w.slack.Transcript() {
		if strings.Contains(e.Text, pass) || strings.Contains(string(e.Blocks), pass) {
			if e.Channel != "DU0RITA" {
				t.Errorf("the pass reached %s (%s)", e.Channel, e.Kind)
			}
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("the pass was sent %d times, want once", seen)
	}
	w.assertNoSecrets(log.String())
}

// TestServeCreateSharedMailbox: `/shared-mailbox create` with two members,
// one named by a Slack mention, through `serve`: the requester's manager
// approves; New-Mailbox, then the wait for the new mailbox, sign-in
// blocked (rule 11), Full Access with automapping and Send As for each
// member (rule 12), each cmdlet with its parameters as JSON values.
func TestServeCreateSharedMailbox(t *testing.T) {
	w := newWorld(t, 2)
	w.env["MAILBOXBOT_APPROVAL_CREATE"] = "manager" // the policy before issue 15: this test is about creating
	log := &testlog.Buffer{}
	stop := w.serve(log)
	status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, "U0RITA", "/shared-mailbox",
		`create "Support Team" support@contoso.com kim@contoso.com <@U0LEE>`)
	if err != nil || status != http.StatusOK {
		t.Fatalf("slash command: %d %s %v", status, body, err)
	}
	ask := w.waitFor("Maria's approval DM (Rita's manager)", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "support@contoso.com") && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done") && strings.Contains(e.Text, "Support Team")
	})
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	var news, full, sendAs []exchangetest.Call
	for _, c := range w.exo.Calls() {
		switch c.Cmdlet {
		case "New-Mailbox":
			news = append(news, c)
		case "Add-MailboxPermission":
			full = append(full, c)
		case "Add-RecipientPermission":
			sendAs = append(sendAs, c)
		}
	}
	if len(news) != 1 {
		t.Fatalf("New-Mailbox sent %d times", len(news))
	}
	want := map[string]any{"Shared": true, "Name": "support", "DisplayName": "Support Team", "PrimarySmtpAddress": "support@contoso.com", "Confirm": false}
	if !reflect.DeepEqual(news[0].Parameters, want) {
		t.Errorf("New-Mailbox parameters %v, want %v", news[0].Parameters, want)
	}
	members := map[string]bool{}
	// The grants name the mailbox this request created by its ExchangeGuid,
	// recorded when it was created (issue 15), not by its address.
	made, _ := w.tenant.GetMailbox(context.Background(), "support@contoso.com")
	for _, c := range full {
		if c.Parameters["AutoMapping"] != true || !reflect.DeepEqual(c.Parameters["AccessRights"], []any{"FullAccess"}) || c.Parameters["Identity"] != made.ExchangeGUID {
			t.Errorf("Add-MailboxPermission %v", c.Parameters)
		}
		members[c.Parameters["User"].(string)] = true
	}
	for _, c := range sendAs {
		if !reflect.DeepEqual(c.Parameters["AccessRights"], []any{"SendAs"}) {
			t.Errorf("Add-RecipientPermission %v", c.Parameters)
		}
	}
	if len(full) != 2 || len(sendAs) != 2 || !members["kim@contoso.com"] || !members["lee@contoso.com"] {
		t.Errorf("grants: %d Full Access %v, %d Send As", len(full), members, len(sendAs))
	}
	u, _ := w.tenant.User(context.Background(), "support@contoso.com")
	if u.AccountEnabled {
		t.Error("the new mailbox's sign-in is not blocked (rule 11)")
	}
	w.assertNoSecrets(log.String())
}
