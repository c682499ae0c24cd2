package graph

import (
	"errors"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
)

func (d *directory) revocations(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.revoked[id]
}

func (d *directory) lastReset(id string) resetRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.password[id]
}

func TestRevokeSignInSessions(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	if err := c.RevokeSignInSessions(ctx(t), alice.ID); err != nil {
		t.Fatal(err)
	}
	if n := dir.revocations(alice.ID); n != 1 {
		t.Errorf("revocations = %d, want 1", n)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/users/"+alice.ID+"/revokeSignInSessions" || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
	err := c.RevokeSignInSessions(ctx(t), "nobody@contoso.com")
	if !errors.Is(err, mailbox.ErrNotFound) || remote(t, err).Op != "POST /users/nobody@contoso.com/revokeSignInSessions" {
		t.Errorf("unknown user: err = %v", err)
	}
}

// A password with characters JSON escapes.
const password = `Tr0ub4dor&"3<x>\y`

func TestResetPassword(t *testing.T) {
	_, srv, dir := setup(t, Config{})
	c, wire := wireClient(t, srv, Config{})

	for _, force := range []bool{true, false} {
		if err := c.ResetPassword(ctx(t), alice.ID, password, force); err != nil {
			t.Fatal(err)
		}
		if got := dir.lastReset(alice.ID); got != (resetRecord{password, force}) {
			t.Errorf("backend got %+v, want the password and force %v", got, force)
		}
		f := "false"
		if force {
			f = "true"
		}
		sent := wire.got()
		want := `{"passwordProfile":{"forceChangePasswordNextSignIn":` + f + `,"password":"Tr0ub4dor&\"3<x>\\y"}}`
		if got := sent[len(sent)-1]; got != want {
			t.Errorf("sent %s\nwant %s", got, want)
		}
		calls := srv.Calls()
		last := calls[len(calls)-1]
		want = `{"passwordProfile":{"forceChangePasswordNextSignIn":` + f + `,"password":"` + graphtest.Redacted + `"}}`
		if last.Method != "PATCH" || last.Path != "/users/"+alice.ID || last.Status != 204 || last.Body != want {
			t.Errorf("call = %+v\nwant PATCH with %s -> 204", last, want)
		}
	}

	err := c.ResetPassword(ctx(t), "nobody@contoso.com", password, true)
	if !errors.Is(err, mailbox.ErrNotFound) || strings.Contains(err.Error(), "Tr0ub4dor") {
		t.Errorf("unknown user: err = %v", err)
	}
	if err := c.ResetPassword(ctx(t), alice.ID, "", true); err == nil {
		t.Error("empty password accepted")
	}
}

func TestCreateTemporaryAccessPass(t *testing.T) {
	_, srv, dir := setup(t, Config{})
	c, wire := wireClient(t, srv, Config{})

	tap, err := c.CreateTemporaryAccessPass(ctx(t), alice.ID, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := mailbox.TemporaryAccessPass{Pass: "Qh7#tK9!mW2$", ExpiresAt: dir.now.Add(8 * time.Hour)}
	if tap.Pass != want.Pass || !tap.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("TAP = %+v, want %+v", tap, want)
	}
	const body = `{"lifetimeInMinutes":480,"isUsableOnce":false}`
	if sent := wire.got(); len(sent) != 1 || sent[0] != body {
		t.Errorf("sent %q, want %s", sent, body)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/users/"+alice.ID+"/authentication/temporaryAccessPassMethods" ||
		calls[0].Status != 201 || calls[0].Body != body {
		t.Errorf("calls = %+v", calls)
	}

	// Part of a minute counts as a minute.
	if _, err := c.CreateTemporaryAccessPass(ctx(t), alice.ID, 59*time.Minute+time.Second); err != nil {
		t.Fatal(err)
	}
	if sent := wire.got(); sent[len(sent)-1] != `{"lifetimeInMinutes":60,"isUsableOnce":false}` {
		t.Errorf("sent %s", sent[len(sent)-1])
	}

	n := len(srv.Calls())
	if _, err := c.CreateTemporaryAccessPass(ctx(t), alice.ID, 0); err == nil {
		t.Error("zero lifetime accepted")
	}
	if len(srv.Calls()) != n {
		t.Error("a zero lifetime reached Graph")
	}
	_, err = c.CreateTemporaryAccessPass(ctx(t), alice.ID, 5*time.Minute)
	if re := remote(t, err); re.Status != 400 || !strings.Contains(re.Message, "lifetimeInMinutes") {
		t.Errorf("lifetime out of policy: %+v", re)
	}
	_, err = c.CreateTemporaryAccessPass(ctx(t), "nobody@contoso.com", time.Hour)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("unknown user: err = %v", err)
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	c, srv, _ := setup(t, Config{Logger: log, Sleep: rec.sleep})

	// A passing fault on each, so that the retry handler logs too.
	srv.FailNext(1, 503, "1")
	if err := c.ResetPassword(ctx(t), alice.ID, password, true); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, 429, "1")
	tap, err := c.CreateTemporaryAccessPass(ctx(t), alice.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A failure too: the error and its log say nothing secret.
	err = c.ResetPassword(ctx(t), "nobody@contoso.com", password, true)
	if err == nil {
		t.Fatal("unknown user: no error")
	}

	out := logs.String()
	for _, want := range []string{"graph: retrying", "graph: password reset", "graph: temporary access pass created"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q (the test would prove nothing):\n%s", want, out)
		}
	}
	for _, secret := range []string{"Tr0ub4dor", tap.Pass} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, out)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error contains a secret: %v", err)
		}
		for _, call := range srv.Calls() {
			if strings.Contains(call.Body, secret) {
				t.Errorf("recorded call holds a secret: %+v", call)
			}
		}
	}
}
