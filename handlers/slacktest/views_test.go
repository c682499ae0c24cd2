package slacktest_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

func modal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      "convert_mailbox",
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		PrivateMetadata: `{"channel":"C0HELPDESK"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("addresses", slack.NewTextBlockObject(slack.PlainTextType, "Addresses", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "text")),
		}},
	}
}

// issueTrigger has the fake Slack hand userID a trigger_id, as it does
// with every slash command, and returns it.
func issueTrigger(t *testing.T, s *slacktest.Server, now time.Time, userID string) string {
	t.Helper()
	b := newBot(t, now, `{"response_type":"ephemeral","text":"ok"}`)
	if _, _, err := s.SlashCommand(t.Context(), b.srv.URL, secret, userID, "/convert-mailbox", ""); err != nil {
		t.Fatal(err)
	}
	return (<-b.commands).TriggerID
}

func TestViewsOpenAndUpdate(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := slacktest.New(slacktest.Options{BotToken: token, Now: clock})
	t.Cleanup(s.Close)
	s.AddUser("U0RITA", "rita", "rita@contoso.com")
	api := slack.New(token, slack.OptionAPIURL(s.URL()))
	ctx := t.Context()

	trigger := issueTrigger(t, s, t0, "U0RITA")
	resp, err := api.OpenViewContext(ctx, trigger, modal("Convert mailboxes"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ID == "" || resp.Hash == "" || resp.CallbackID != "convert_mailbox" || resp.PrivateMetadata != `{"channel":"C0HELPDESK"}` || resp.TeamID != "T0001" {
		t.Fatalf("views.open answered %+v", resp.View)
	}
	views := s.Views()
	if len(views) != 1 || views[0].ID != resp.ID || views[0].User != "U0RITA" || views[0].TriggerID != trigger {
		t.Fatalf("views %+v", views)
	}

	// A trigger_id opens one view.
	if _, err := api.OpenViewContext(ctx, trigger, modal("Again")); slackErr(err) != "trigger_exchanged" {
		t.Errorf("second views.open with the same trigger: err = %v, want trigger_exchanged", err)
	}
	// And expires after 3 seconds.
	late := issueTrigger(t, s, t0, "U0RITA")
	mu.Lock()
	now = t0.Add(3*time.Second + time.Millisecond)
	mu.Unlock()
	if _, err := api.OpenViewContext(ctx, late, modal("Late")); slackErr(err) != "expired_trigger_id" {
		t.Errorf("views.open after 3s: err = %v, want expired_trigger_id", err)
	}
	if _, err := api.OpenViewContext(ctx, "12345.98765.abcd", slack.ModalViewRequest{Type: slack.VTModal}); slackErr(err) != "invalid_arguments" {
		t.Errorf("views.open without a title: err = %v, want invalid_arguments", err)
	}

	// views.update by id, with the hash of the version it replaces.
	up, err := api.UpdateViewContext(ctx, modal("Ready"), "", resp.Hash, resp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if up.ID != resp.ID || up.Hash == resp.Hash || up.Title.Text != "Ready" {
		t.Errorf("views.update answered %+v", up.View)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Stale"), "", resp.Hash, resp.ID); slackErr(err) != "hash_conflict" {
		t.Errorf("update with a stale hash: err = %v, want hash_conflict", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Nobody"), "", "", "V0NONE"); slackErr(err) != "not_found" {
		t.Errorf("update of an unknown view: err = %v, want not_found", err)
	}
	views = s.Views()
	if len(views) != 1 || views[0].Updates != 1 || views[0].Hash != up.Hash {
		t.Fatalf("views after the update %+v", views)
	}
	var v struct{ Title struct{ Text string } }
	if err := json.Unmarshal(views[0].JSON, &v); err != nil || v.Title.Text != "Ready" {
		t.Errorf("recorded view %s, want the update", views[0].JSON)
	}
}

func TestSubmitView(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	resp, err := api.OpenViewContext(ctx, "12345.98765.abcd", modal("Convert mailboxes"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBot(t, t0, "") // verifies the signature as the handlers do
	status, body, err := s.SubmitView(ctx, b.srv.URL, secret, "U0RITA", resp.ID, map[string]map[string]any{
		"addresses": {"text": map[string]any{"type": "plain_text_input", "value": "alice@contoso.com"}},
	})
	if err != nil || status != http.StatusOK {
		t.Fatalf("SubmitView = %d %q %v", status, body, err)
	}
	ic := <-b.clicks
	if ic.Type != slack.InteractionTypeViewSubmission || ic.User.ID != "U0RITA" || ic.Team.ID != "T0001" || ic.APIAppID != "A123456" ||
		ic.View.ID != resp.ID || ic.View.CallbackID != "convert_mailbox" || ic.View.PrivateMetadata != `{"channel":"C0HELPDESK"}` ||
		ic.View.State == nil || ic.View.State.Values["addresses"]["text"].Value != "alice@contoso.com" {
		t.Errorf("the bot received %+v, view %+v", ic, ic.View)
	}
	if _, _, err := s.SubmitView(ctx, b.srv.URL, secret, "U0RITA", "V0NONE", nil); err == nil {
		t.Error("SubmitView of an unknown view: no error")
	}
}
