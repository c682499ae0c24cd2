package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// TestServeTwoPersonApprovalOnTwoReplicas: with
// MAILBOXBOT_APPROVALS_REQUIRED_CONVERT=2, two replicas of `serve` on one
// Redis take concurrent Approve clicks from both approvers (each clicking
// several times): the conversion runs exactly once, after both approved,
// and both approval messages are updated to show the two approvals.
func TestServeTwoPersonApprovalOnTwoReplicas(t *testing.T) {
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_APPROVALS_REQUIRED_CONVERT"] = "2"
	replicas, approvers, asks := w.askErinOnTwo("No approval yet: 2 different approvers")
	w.approveAtOnce(10, replicas, approvers, asks)
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	for _, u := range approvers {
		w.waitFor(u+"'s approval message updated with both approvals", func(e slacktest.Entry) bool {
			return e.Kind == slacktest.KindUpdate && e.Channel == "D"+u && strings.Contains(e.Text, "2 of 2: approved by") && !strings.Contains(e.Text, "[Approve]")
		})
	}
	if n := w.exo.Count("Set-Mailbox"); n != 1 {
		t.Errorf("Set-Mailbox sent %d times, want 1", n)
	}
	eachChangeOnce(t, w.tenant, "erin@contoso.com", 3)
}

// serveTwo starts two replicas of serve on one Redis, logging to log, and
// returns their URLs; w.botURL is the second.
func (w *world) serveTwo(log *testlog.Buffer) []string {
	w.serve(log)
	first := w.botURL
	w.env["LISTEN_ADDR"] = freeAddr(w.t)
	w.botURL = "http://" + w.env["LISTEN_ADDR"]
	w.serve(log)
	return []string{first, w.botURL}
}

// askErinOnTwo starts two replicas (serveTwo), asks as Rita to convert
// erin@ (who has no manager: the configured approvers Ada and Maria are
// asked) and returns the replicas, the approvers and each one's approval
// message, which must have the buttons and say shows.
func (w *world) askErinOnTwo(shows string) (replicas, approvers []string, asks map[string]slacktest.Entry) {
	w.t.Helper()
	w.env["MAILBOXBOT_APPROVERS"] = "U0ADA,U0MARIA"
	replicas = w.serveTwo(&testlog.Buffer{})
	w.command("U0RITA", "erin@contoso.com")
	approvers = []string{"U0ADA", "U0MARIA"}
	asks = map[string]slacktest.Entry{}
	for _, u := range approvers {
		asks[u] = w.waitFor(u+"'s approval DM", func(e slacktest.Entry) bool {
			return e.Channel == "D"+u && strings.Contains(e.Text, "[Approve]") && strings.Contains(e.Text, shows)
		})
	}
	return replicas, approvers, asks
}

// approveAtOnce sends n Approve clicks at once, spread over replicas and
// approvers (each on their message in asks), and waits for the answers.
func (w *world) approveAtOnce(n int, replicas, approvers []string, asks map[string]slacktest.Entry) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := approvers[i%len(approvers)]
			status, body, err := w.slack.ClickVersion(context.Background(), replicas[(i/2)%len(replicas)], e2eSigning, u, asks[u], "approve")
			if err != nil || status != http.StatusOK {
				w.t.Errorf("click %d: %d %s %v", i, status, body, err)
			}
		}()
	}
	wg.Wait()
}

// TestServeRefusesARequiredCountThePolicyCannotReach: two approvals for
// converting to shared under the manager policy, with escalation off and
// no extra approvers, can never be reached: serve says what to set.
func TestServeRefusesARequiredCountThePolicyCannotReach(t *testing.T) {
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_APPROVALS_REQUIRED_CONVERT"] = "2"
	w.env["MAILBOXBOT_ESCALATE"] = "false"
	err := run(context.Background(), []string{"serve"}, func(k string) string { return w.env[k] }, &strings.Builder{}, &testlog.Buffer{})
	if err == nil {
		t.Fatal("serve started")
	}
	for _, want := range []string{"MAILBOXBOT_APPROVALS_REQUIRED_CONVERT=2, but at most 1 people can approve under MAILBOXBOT_APPROVAL_CONVERT=manager",
		"set MAILBOXBOT_APPROVALS_REQUIRED_CONVERT=1", "MAILBOXBOT_ESCALATE=true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
