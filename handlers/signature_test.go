package handlers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Slack's published example (api.slack.com/authentication/verifying-requests-from-slack).
const (
	exSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	exTS     = "1531420618"
	exBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func exampleRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/slack/commands", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", exTS)
	r.Header.Set("X-Slack-Signature", exSig)
	return r
}

func TestSignMatchesSlackExample(t *testing.T) {
	if got := Sign(exSecret, exTS, []byte(exBody)); got != exSig {
		t.Fatalf("Sign = %s, want %s", got, exSig)
	}
}

func TestVerifySlackExample(t *testing.T) {
	at := time.Unix(1531420618, 0)
	for _, tc := range []struct {
		name string
		now  time.Time
		body string
		want error
	}{
		{"at its own time", at, exBody, nil},
		{"4m59s later", at.Add(4*time.Minute + 59*time.Second), exBody, nil},
		{"4m59s earlier", at.Add(-4*time.Minute - 59*time.Second), exBody, nil},
		{"5m01s later", at.Add(5*time.Minute + time.Second), exBody, ErrStale},
		{"5m01s earlier", at.Add(-5*time.Minute - time.Second), exBody, ErrStale},
		{"a day later", at.Add(24 * time.Hour), exBody, ErrStale},
		{"changed body", at, strings.Replace(exBody, "roadrunner", "coyote", 1), ErrBadSignature},
		{"one byte appended", at, exBody + "&", ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Secret: exSecret, Now: func() time.Time { return tc.now }}
			r := exampleRequest(tc.body)
			_, err := v.Verify(r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil {
				// The body is restored for form parsing.
				if err := r.ParseForm(); err != nil || r.PostForm.Get("user_name") != "roadrunner" {
					t.Fatalf("body not restored: %v %q", err, r.PostForm.Get("user_name"))
				}
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	at := time.Unix(1531420618, 0)
	v := &Verifier{Secret: exSecret, Now: func() time.Time { return at }, MaxBody: 100}
	r := exampleRequest(exBody)
	if _, err := v.Verify(r); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized body: %v, want ErrTooLarge", err)
	}
	v.MaxBody = 0
	r = exampleRequest(exBody)
	r.Header.Del("X-Slack-Signature")
	if _, err := v.Verify(r); !errors.Is(err, ErrNoSignature) {
		t.Errorf("no signature: %v", err)
	}
	r = exampleRequest(exBody)
	r.Header.Set("X-Slack-Request-Timestamp", "yesterday")
	if _, err := v.Verify(r); !errors.Is(err, ErrNoSignature) {
		t.Errorf("bad timestamp: %v", err)
	}
	wrong := &Verifier{Secret: "another-secret", Now: func() time.Time { return at }}
	if _, err := wrong.Verify(exampleRequest(exBody)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong secret: %v", err)
	}
}

// With no secret (Socket Mode), a request signed with the empty key — which
// anyone can compute — is refused.
func TestVerifyRefusesEverythingWithoutASecret(t *testing.T) {
	at := time.Unix(1531420618, 0)
	v := &Verifier{Now: func() time.Time { return at }}
	r := exampleRequest(exBody)
	r.Header.Set("X-Slack-Signature", Sign("", exTS, []byte(exBody)))
	if _, err := v.Verify(r); !errors.Is(err, ErrNoSecret) {
		t.Errorf("Verify = %v, want ErrNoSecret", err)
	}
}
