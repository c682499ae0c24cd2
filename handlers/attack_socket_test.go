package handlers

import (
	"encoding/json"
	"strings"
	"testing"
)

// Attack: an Approve click that comes over Socket Mode rather than HTTP,
// from another workspace or another app. Both transports go through the
// same checks: the click never reaches the bot.
func TestAttackSocketClickFromAnotherWorkspaceOrApp(t *testing.T) {
	sample := readTestdata(t, "slack-block-actions.json")
	if !strings.Contains(sample, `"api_app_id": "A123456"`) {
		t.Fatal("the sample no longer names its app as this test expects")
	}
	for i, payload := range []string{
		strings.ReplaceAll(sample, `"T0001"`, `"T0EVIL"`),
		strings.Replace(sample, `"api_app_id": "A123456"`, `"api_app_id": "A0EVIL"`, 1),
	} {
		h := newSocketHarness(t)
		h.connected(t)
		id := "env-evil-" + string(rune('a'+i))
		h.fake.send(t, "interactive", id, json.RawMessage(payload), nil)
		h.fake.waitAcks(t, id, 1)
		h.bot.assertNothing(t)
	}
}
