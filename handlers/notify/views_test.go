package notify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
)

var _ handlers.Views = (*notify.Slack)(nil)

// goldenView compares a modal with testdata/<name>.golden.json (-update
// rewrites it).
func goldenView(t *testing.T, name string, v slack.ModalViewRequest) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	for _, r := range []struct{ from, to string }{{`\u003c`, "<"}, {`\u003e`, ">"}, {`\u0026`, "&"}} {
		got = bytes.ReplaceAll(got, []byte(r.from), []byte(r.to))
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./handlers/notify -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./handlers/notify -update rewrites it).\ngot:\n%s", path, got)
	}
}

// inputElement is an input block of a modal as Slack reads it.
type inputElement struct {
	Type    string `json:"type"`
	BlockID string `json:"block_id"`
	Element struct {
		Type     string `json:"type"`
		ActionID string `json:"action_id"`
	} `json:"element"`
	Optional bool `json:"optional"`
}

// checkModal checks what Slack would refuse in a modal, and that each
// input block holds the element the handlers read back.
func checkModal(t *testing.T, v slack.ModalViewRequest, want map[string]string) {
	t.Helper()
	if !slack.ValidateUniqueBlockID(v) {
		t.Error("block ids are not unique")
	}
	for _, o := range []*slack.TextBlockObject{v.Title, v.Submit, v.Close} {
		if o == nil || o.Text == "" || len([]rune(o.Text)) > 24 || o.Type != slack.PlainTextType {
			t.Errorf("title, submit or close %+v: Slack wants plain text of 1 to 24 characters", o)
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Blocks []inputElement `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, b := range back.Blocks {
		if b.Type == "input" {
			got[b.BlockID] = b.Element.Type + "/" + b.Element.ActionID
		}
	}
	for id, el := range want {
		if got[id] != el {
			t.Errorf("block %s holds %q, want %q", id, got[id], el)
		}
	}
	if len(got) != len(want) {
		t.Errorf("input blocks %v, want %v", got, want)
	}
	var readBack slack.View
	if err := json.Unmarshal(raw, &readBack); err != nil || len(readBack.Blocks.BlockSet) != len(v.Blocks.BlockSet) {
		t.Errorf("slack-go reads back %d blocks of %d (%v)", len(readBack.Blocks.BlockSet), len(v.Blocks.BlockSet), err)
	}
}

func TestForms(t *testing.T) {
	meta := notify.FormMetadata{Channel: "C0HELPDESK"}
	convert := notify.ConvertForm(meta)
	checkModal(t, convert, map[string]string{
		notify.FormBlockMailboxes:  "multi_users_select/" + notify.FormActionUsers,
		notify.FormBlockAddresses:  "plain_text_input/" + notify.FormActionText,
		notify.FormBlockDirection:  "radio_buttons/" + notify.FormActionChoice,
		notify.FormBlockOptions:    "checkboxes/" + notify.FormActionOptions,
		notify.FormBlockCredential: "radio_buttons/" + notify.FormActionChoice,
		notify.FormBlockMembers:    "multi_users_select/" + notify.FormActionUsers,
		notify.FormBlockDate:       "datepicker/" + notify.FormActionDate,
		notify.FormBlockTime:       "timepicker/" + notify.FormActionTime,
	})
	goldenView(t, "form_convert", convert)
	shared := notify.SharedForm(meta)
	checkModal(t, shared, map[string]string{
		notify.FormBlockName:    "plain_text_input/" + notify.FormActionText,
		notify.FormBlockAddress: "plain_text_input/" + notify.FormActionText,
		notify.FormBlockMembers: "multi_users_select/" + notify.FormActionUsers,
		notify.FormBlockOptions: "checkboxes/" + notify.FormActionOptions,
	})
	goldenView(t, "form_shared", shared)

	if convert.CallbackID != notify.ConvertFormID || shared.CallbackID != notify.SharedFormID {
		t.Errorf("callback ids %q, %q", convert.CallbackID, shared.CallbackID)
	}
	for _, v := range []slack.ModalViewRequest{convert, shared} {
		var m notify.FormMetadata
		if err := json.Unmarshal([]byte(v.PrivateMetadata), &m); err != nil || m != meta {
			t.Errorf("%s: private_metadata %q, want %+v as JSON", v.CallbackID, v.PrivateMetadata, meta)
		}
	}
}

// The defaults of the convert form are those of the typed command: sign-in
// blocked, sessions revoked, licenses removed, no dry run; to shared; a
// Temporary Access Pass.
func TestConvertFormDefaults(t *testing.T) {
	v := notify.ConvertForm(notify.FormMetadata{})
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		switch el := in.Element.(type) {
		case *slack.CheckboxGroupsBlockElement:
			var checked []string
			for _, o := range el.InitialOptions {
				checked = append(checked, o.Value)
			}
			if want := []string{notify.FormOptBlockSignIn, notify.FormOptRevokeSessions, notify.FormOptRemoveLicenses}; !slices.Equal(checked, want) {
				t.Errorf("checked %v, want %v", checked, want)
			}
		case *slack.RadioButtonsBlockElement:
			want := map[string]string{notify.FormBlockDirection: notify.FormToShared, notify.FormBlockCredential: notify.FormCredentialTAP}[in.BlockID]
			if el.InitialOption == nil || el.InitialOption.Value != want {
				t.Errorf("%s: initial option %+v, want %s", in.BlockID, el.InitialOption, want)
			}
		case *slack.TimePickerBlockElement:
			if el.Timezone != "UTC" {
				t.Errorf("time picker zone %q, want UTC", el.Timezone)
			}
		}
	}
}

func TestOpenView(t *testing.T) {
	e := setup(t, 0)
	view := notify.ConvertForm(notify.FormMetadata{Channel: "C0HELPDESK"})
	id, err := e.notify.OpenView(t.Context(), "12345.98765.abcd2358fdea", view)
	if err != nil {
		t.Fatal(err)
	}
	views := e.slack.Views()
	if len(views) != 1 {
		t.Fatalf("%d views opened, want 1", len(views))
	}
	got := views[0]
	if id == "" || got.ID != id || got.TriggerID != "12345.98765.abcd2358fdea" || got.CallbackID != notify.ConvertFormID {
		t.Errorf("opened %+v, returned id %q", got, id)
	}
	want, _ := json.Marshal(view)
	if !bytes.Equal(got.JSON, want) {
		t.Errorf("Slack received\n%s\nwant\n%s", got.JSON, want)
	}
}

func TestOpenViewRateLimited(t *testing.T) {
	e := setup(t, 3)
	e.slack.RateLimitNext("views.open", 1, 1)
	if _, err := e.notify.OpenView(t.Context(), "12345.98765.abcd2358fdea", notify.SharedForm(notify.FormMetadata{})); err != nil {
		t.Fatal(err)
	}
	if n := e.slack.Calls("views.open"); n != 2 {
		t.Errorf("views.open called %d times, want 2 (once limited, then waited out)", n)
	}
	if len(e.slack.Views()) != 1 {
		t.Errorf("views %+v, want 1", e.slack.Views())
	}
}

func TestOpenViewFails(t *testing.T) {
	e := setup(t, 0)
	_, err := e.notify.OpenView(t.Context(), "", notify.SharedForm(notify.FormMetadata{}))
	if err == nil || !strings.Contains(err.Error(), "open form "+notify.SharedFormID) {
		t.Errorf("err = %v, want an error naming the form", err)
	}
	bad := notify.SharedForm(notify.FormMetadata{})
	bad.Title = slack.NewTextBlockObject(slack.PlainTextType, "A title far longer than Slack allows", false, false)
	_, err = e.notify.OpenView(t.Context(), "12345.98765.abcd2358fdea", bad)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_arguments" {
		t.Errorf("err = %v, want Slack's invalid_arguments", err)
	}
}
