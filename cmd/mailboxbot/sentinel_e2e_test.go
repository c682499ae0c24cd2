package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// TestServeSurvivesSentinelFailover runs `mailboxbot serve` on a real
// Sentinel setup (a master, a replica, three Sentinels). While a
// conversion waits for Exchange to report the new mailbox type, the master
// is killed with SIGKILL; the Sentinels promote the replica. The
// conversion completes, each change made once, and a request made after
// the failover is carried out too.
func TestServeSurvivesSentinelFailover(t *testing.T) {
	set := redistest.StartSentinel(t)
	w := newWorld(t, 2) // two Get-Mailbox reads still say UserMailbox
	w.env["MAILBOXBOT_VERIFY_DELAY"] = "1s"
	w.env["REDIS_URL"] = "redis://sentinel/0" // the database; the Sentinels give the address
	w.env["MAILBOXBOT_REDIS_SENTINEL_ADDRS"] = strings.Join(set.Sentinels, ",")
	w.env["MAILBOXBOT_REDIS_SENTINEL_MASTER"] = redistest.SentinelMaster
	log := &testlog.Buffer{}
	t.Cleanup(func() {
		if t.Failed() { // what serve did, without its debug lines
			var b strings.Builder
			for l := range strings.Lines(log.String()) {
				if !strings.Contains(l, `"level":"DEBUG"`) {
					b.WriteString(l)
				}
			}
			t.Logf("serve's log:\n%s", b.String())
		}
	})
	stop := w.serve(log)

	w.approvedUntilWaiting()
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Fatalf("Set-Mailbox sent %d times before the failover, want 1: the test proves nothing", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// What an asynchronous replica may lose is TestRunJobOfALostWaitIsRun's
	// and docs/reliability.md's subject; this test is about the failover.
	set.WaitReplicated(ctx)
	killed := time.Now()
	old := set.KillMaster(ctx)
	if strings.Contains(strings.Join(transcriptTexts(w.slack), "\n"), "is done") {
		t.Fatal("the conversion finished before the master was killed; the test proves nothing")
	}
	if now := set.WaitFailover(ctx, old); now != set.Replica {
		t.Fatalf("the Sentinels promoted %s, want the replica %s", now, set.Replica)
	}
	promoted := time.Since(killed)
	w.waitLonger(ctx, "the report to Rita, after the failover", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "alice@contoso.com") && strings.Contains(e.Text, "is done")
	})
	completed := time.Since(killed)
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Errorf("Set-Mailbox sent %d times, want 1", n)
	}
	if n := w.graph.Count(http.MethodPatch, "/users/"); n != 1 {
		t.Errorf("PATCH /users sent %d times, want 1", n)
	}
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 4) // sessions, sign-in, type, license

	// A new request, on the new master.
	w.command("U0RITA", "frank@contoso.com")
	ask := w.waitFor("Ada's approval DM for frank", func(e slacktest.Entry) bool {
		return e.Channel == "DU0ADA" && strings.Contains(e.Text, "frank@contoso.com") && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0ADA", ask, "approve")
	w.waitLonger(ctx, "the report on frank", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "frank@contoso.com") && strings.Contains(e.Text, "is done")
	})
	eachChangeOnce(t, w.tenant, "frank@contoso.com", 3) // sessions, sign-in, type: his license stays
	if n := w.exo.Count("Set-Mailbox"); n != 2 {
		t.Errorf("Set-Mailbox sent %d times in all, want 2", n)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	t.Logf("SIGKILL of the master: replica promoted after %v, the waiting conversion done after %v",
		promoted.Round(time.Millisecond), completed.Round(time.Millisecond))
	w.assertNoSecrets(log.String())
}

// approvedUntilWaiting asks to convert alice, has Maria approve, and
// returns once the conversion waits for Exchange to report it.
func (w *world) approvedUntilWaiting() {
	w.t.Helper()
	w.command("U0RITA", "alice@contoso.com")
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	w.waitFor("the wait for Exchange", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "still reports UserMailbox")
	})
}

// waitLonger is waitFor bounded by ctx instead of 30 seconds.
func (w *world) waitLonger(ctx context.Context, what string, match func(slacktest.Entry) bool) slacktest.Entry {
	w.t.Helper()
	found, err := w.slack.WaitForEntry(ctx, match)
	if err != nil {
		w.t.Fatalf("waited for %s: %v\ntranscript:\n%s", what, err, strings.Join(transcriptTexts(w.slack), "\n"))
	}
	return found
}
