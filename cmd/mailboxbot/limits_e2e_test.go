package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// Issue 15, point 10a: one user flooding the bot with commands is told to
// wait, while another user's command is still acknowledged and answered
// promptly.
func TestServeFloodIsLimitedWhileOthersAreAnswered(t *testing.T) {
	w := newWorld(t, 1)
	w.serve(&testlog.Buffer{})

	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range 200 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			status, body, err := w.slack.SlashCommand(context.Background(), w.botURL, e2eSigning, "U0ERIN", "/convert-mailbox", fmt.Sprintf("nobody%d@contoso.com", i))
			if err != nil || status != http.StatusOK {
				t.Errorf("flood command %d: %d %s %v", i, status, body, err)
			}
		})
	}
	wg.Wait()

	start := time.Now()
	w.command("U0RITA", "alice@contoso.com")
	w.waitFor("Rita's acknowledgement", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.HasPrefix(e.Text, "Checking")
	})
	w.waitFor("Rita's plan", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "will be asked to approve")
	})
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Rita's plan came %s after her command, behind the flood", d.Round(time.Millisecond))
	}
	w.waitFor("the flooder told to wait", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0ERIN" && strings.Contains(e.Text, "Wait ") && strings.Contains(e.Text, " s, then ask again")
	})
	refused := 0
	for _, e := range w.slack.Transcript() {
		if e.User == "U0ERIN" && strings.Contains(e.Text, " s, then ask again") {
			refused++
		}
	}
	if refused < 150 {
		t.Errorf("%d of the flooder's 200 commands were told to wait, want at least 150 (20 a minute)", refused)
	}
}

// Issue 15, point 10b: a command naming more mailboxes than
// MAILBOXBOT_BATCH_MAX is answered at once with the limit, not queued.
func TestServeBatchOverTheLimitIsRefusedAtOnce(t *testing.T) {
	w := newWorld(t, 1)
	w.env["MAILBOXBOT_BATCH_MAX"] = "3"
	w.serve(&testlog.Buffer{})
	w.command("U0RITA", "a1@contoso.com a2@contoso.com a3@contoso.com a4@contoso.com")
	w.waitFor("the limit, at once", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "At most 3 mailboxes in one request: I read 4")
	})
	for _, e := range w.slack.Transcript() {
		if strings.HasPrefix(e.Text, "Checking") {
			t.Errorf("the over-limit command was queued: %s", e.Text)
		}
	}
	w.command("U0RITA", "help")
	w.waitFor("the help with the limit in force", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "(at most 3)")
	})
}
