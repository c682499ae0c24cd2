package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

// The figures in docs/performance.md come from these.
func TestStatistics(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3 = %v", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of 4 = %v (integer mean of the middle two)", got)
	}
	var r result
	for i := 1; i <= 100; i++ {
		r.latencies = append(r.latencies, time.Duration(i)*time.Millisecond)
	}
	if r.pct(0.50) != 50*time.Millisecond || r.pct(0.99) != 99*time.Millisecond || r.max() != 100*time.Millisecond {
		t.Errorf("p50 %v p99 %v max %v, want 50, 99, 100 ms", r.pct(0.50), r.pct(0.99), r.max())
	}
}

func TestButtonValue(t *testing.T) {
	blocks, _ := json.Marshal([]map[string]any{
		{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "x"}},
		{"type": "actions", "elements": []map[string]any{
			{"type": "button", "action_id": "approve", "value": "req_ABCDEFGH"},
			{"type": "button", "action_id": "reject", "value": "req_ABCDEFGH"},
		}},
	})
	e := slacktest.Entry{Blocks: blocks}
	if got := buttonValue(e, "approve"); got != "req_ABCDEFGH" {
		t.Errorf("approve = %q", got)
	}
	if got := buttonValue(e, "retry"); got != "" {
		t.Errorf("a missing button = %q", got)
	}
}
