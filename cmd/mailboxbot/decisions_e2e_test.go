package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// post sends a form body to the bot's interactivity URL, signed like Slack.
func (w *world) post(body []byte) {
	w.t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequest(http.MethodPost, w.botURL+"/slack/interactions", bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", handlers.Sign(e2eSigning, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("interaction: HTTP %d", resp.StatusCode)
	}
}

// askMaria starts serve, sends Rita's command text and returns Maria's
// approval message, the one with button, and what stops serve.
func askMaria(t *testing.T, text, button string) (*world, slacktest.Entry, func() error) {
	w := newWorld(t, 1)
	stop := w.serve(&testlog.Buffer{})
	w.command("U0RITA", text)
	return w, w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, button)
	}), stop
}

// Issue 15, point 9: Slack delivering an Approve click again after the
// work succeeded told the requester a second time that it was approved.
func TestServeRepeatedClickOnlyAnswersTheClicker(t *testing.T) {
	w, ask, _ := askMaria(t, "alice@contoso.com", "[Approve]")
	body, err := w.slack.ClickBody("U0MARIA", ask, "approve")
	if err != nil {
		t.Fatal(err)
	}
	w.post(body)
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	approvedDMs := func() int {
		n := 0
		for _, e := range w.slack.Messages("DU0RITA") {
			if strings.Contains(e.Text, "approved") {
				n++
			}
		}
		return n
	}
	before := approvedDMs()
	w.post(body) // the same click, delivered again
	w.waitFor("Maria told privately", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0MARIA" && strings.Contains(e.Text, "changed nothing")
	})
	time.Sleep(500 * time.Millisecond) // anything else the click job would send
	if after := approvedDMs(); after != before {
		t.Errorf("Rita got %d more direct message(s) saying the request was approved", after-before)
	}
}

// Issue 15, point 8: one mailbox of a batch approved on its own (a forged
// button value; the Home tab used to offer member buttons), then the batch
// rejected: the report said "Rejected" while that mailbox was converted.
func TestServeBatchIsOneDecision(t *testing.T) {
	w, ask, _ := askMaria(t, "alice@contoso.com carol@contoso.com", "[Approve all]")
	bat := ask.Text[strings.Index(ask.Text, "bat_"):]
	bat = bat[:len("bat_")+8]
	member := strings.Replace(bat, "bat_", "req_", 1) + "_1"

	// The Home tab shows the batch as one item with the batch's buttons.
	home := w.waitHome("U0MARIA", bat)
	if strings.Contains(string(home.Blocks), `"value":"`+member+`"`) || strings.Contains(string(home.Blocks), `"value":"req_`) {
		t.Errorf("Maria's Home tab offers buttons of single batch members:\n%s", home.Text)
	}

	// A click carrying a member's id (forged value).
	body, err := w.slack.ClickBody("U0MARIA", ask, "approve")
	if err != nil {
		t.Fatal(err)
	}
	form, _ := url.ParseQuery(string(body))
	payload := strings.ReplaceAll(form.Get("payload"), `"value":"`+bat+`"`, `"value":"`+member+`"`)
	w.post([]byte(url.Values{"payload": {payload}}.Encode()))
	w.waitFor("Maria told to decide the batch", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0MARIA" && strings.Contains(e.Text, "decide the batch")
	})

	w.click("U0MARIA", ask, "reject")
	w.waitFor("the batch report: rejected", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, bat) && strings.Contains(strings.ToLower(e.Text), "rejected")
	})
	time.Sleep(time.Second) // a run the member's click would have queued
	for _, addr := range []string{"alice@contoso.com", "carol@contoso.com"} {
		mb, _ := w.tenant.GetMailbox(context.Background(), addr)
		if mb.RecipientTypeDetails != mailbox.RecipientUserMailbox {
			t.Errorf("%s is %s after the batch was rejected", addr, mb.RecipientTypeDetails)
		}
	}
	if n := w.exo.Count("Set-Mailbox"); n != 0 {
		t.Errorf("Set-Mailbox sent %d times for a rejected batch", n)
	}
}

// Issue 15, point 7: an approved request whose key Redis lost (eviction,
// a failover without persistence) was dropped in silence. After a restart
// the reconciler tells the requester and the audit channel, and forgets it.
func TestServeReportsALostRequest(t *testing.T) {
	at := time.Now().UTC().Add(2 * time.Hour).Format("2006-01-02 15:04")
	w, ask, stop := askMaria(t, "alice@contoso.com at "+at, "[Approve]")
	w.click("U0MARIA", ask, "approve")
	w.waitFor("the approval told to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "approved")
	})
	plan := w.waitFor("Rita's plan", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == "U0RITA" && strings.Contains(e.Text, "Request `req_")
	})
	id := plan.Text[strings.Index(plan.Text, "req_"):]
	id = id[:len("req_")+8]
	opt, err := redis.ParseURL(w.env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	prefix := w.env["MAILBOXBOT_REDIS_PREFIX"]
	if n, err := rdb.Del(context.Background(), prefix+"req:"+id).Result(); err != nil || n != 1 {
		t.Fatalf("DEL %sreq:%s: %d %v", prefix, id, n, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	w.serve(&testlog.Buffer{}) // restarted: the reconciler runs at start
	w.waitFor("Rita told the request was lost", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, id) && strings.Contains(e.Text, "was lost")
	})
	w.waitFor("the audit channel told", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, id) && strings.Contains(e.Text, "was lost")
	})
	tracked, err := redisstore.NewStore(rdb, prefix).Tracked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range tracked {
		if tr.ID == id {
			t.Errorf("%s is still tracked: %+v", id, tr)
		}
	}
}
