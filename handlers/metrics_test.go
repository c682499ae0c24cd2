package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/internal/metrics"
)

// With Metrics and MetricsHandler set, each Slack route is timed under its
// own label, a refused request too, and /metrics serves the result.
func TestMetricsRoute(t *testing.T) {
	m := metrics.New()
	h := newHarness(t, func(c *Config) {
		c.Metrics = m
		c.MetricsHandler = m.Handler()
	})
	if resp, _ := h.post(t, "/slack/commands", readTestdata(t, "slack-slash-command.form"), slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("command: %d", resp.StatusCode)
	}
	if resp, _ := h.post(t, "/slack/commands", "text=x", signing{none: true}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned command: %d", resp.StatusCode)
	}
	if resp, _ := h.post(t, "/slack/interactions", "payload="+url.QueryEscape(readTestdata(t, "slack-block-actions.json")), slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction: %d", resp.StatusCode)
	}
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	if resp, _ := h.postJSON(t, "/slack/events", body, slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("event: %d", resp.StatusCode)
	}

	resp, got := h.get(t, "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`mailboxbot_ack_seconds_count{route="/slack/commands"} 2`,
		`mailboxbot_ack_seconds_count{route="/slack/interactions"} 1`,
		`mailboxbot_ack_seconds_count{route="/slack/events"} 1`,
		"# TYPE mailboxbot_ack_seconds histogram",
		"go_goroutines",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, `route="/metrics"`) || strings.Contains(got, `route="/healthz"`) {
		t.Errorf("only the Slack routes are timed:\n%s", got)
	}
	if resp, _ := h.post(t, "/metrics", "", slackSigned); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics = %d, want 405", resp.StatusCode)
	}
}

func TestMetricsRouteOff(t *testing.T) {
	h := newHarness(t)
	if resp, _ := h.get(t, "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics without MetricsHandler = %d, want 404", resp.StatusCode)
	}
	// Metrics without a handler: the routes work, /metrics stays off.
	h = newHarness(t, func(c *Config) { c.Metrics = metrics.New() })
	if resp, _ := h.post(t, "/slack/commands", readTestdata(t, "slack-slash-command.form"), slackSigned); resp.StatusCode != http.StatusOK {
		t.Fatalf("command: %d", resp.StatusCode)
	}
	if resp, _ := h.get(t, "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics without MetricsHandler = %d, want 404", resp.StatusCode)
	}
}
