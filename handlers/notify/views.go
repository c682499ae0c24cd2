package notify

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The forms (modals) that /convert-mailbox and /shared-mailbox open when
// typed without text. They are built here, with the rest of the Block Kit;
// package handlers reads their submissions back by the ids below. The
// forms need no lookup to be built, so they are opened in one views.open
// call, within the 3 seconds a trigger_id lives; there is no "loading"
// view to update.

// Callback ids of the forms (view.callback_id).
const (
	ConvertFormID = "convert_mailbox"
	SharedFormID  = "shared_mailbox_create"
)

// Block ids of the forms' input blocks (the keys of view.state.values, and
// of response_action "errors").
const (
	FormBlockMailboxes  = "mailbox"    // convert: people picked (FormActionUsers)
	FormBlockAddresses  = "addresses"  // convert: addresses pasted (FormActionText)
	FormBlockDirection  = "direction"  // convert: FormToShared or FormToRegular (FormActionChoice)
	FormBlockOptions    = "options"    // both: checkboxes (FormActionOptions)
	FormBlockCredential = "credential" // convert to regular: FormCredentialTAP or FormCredentialPassword (FormActionChoice)
	FormBlockMembers    = "members"    // both: people picked (FormActionUsers)
	FormBlockDate       = "when"       // convert: the day, UTC (FormActionDate)
	FormBlockTime       = "when_time"  // convert: the time of day, UTC (FormActionTime)
	FormBlockName       = "name"       // shared: display name (FormActionText)
	FormBlockAddress    = "address"    // shared: the new mailbox's address (FormActionText)
)

// Action ids of the forms' elements; each input block holds one.
const (
	FormActionUsers   = "users"  // multi_users_select: selected_users
	FormActionText    = "text"   // plain_text_input: value
	FormActionChoice  = "choice" // radio_buttons: selected_option.value
	FormActionOptions = "opts"   // checkboxes: selected_options[].value
	FormActionDate    = "date"   // datepicker: selected_date, YYYY-MM-DD
	FormActionTime    = "time"   // timepicker: selected_time, HH:MM
)

// Values of the forms' radio buttons and checkboxes.
const (
	FormToShared           = "to_shared"
	FormToRegular          = "to_regular"
	FormCredentialTAP      = "tap"
	FormCredentialPassword = "password"
	FormOptBlockSignIn     = "block_signin"
	FormOptRevokeSessions  = "revoke_sessions"
	FormOptRemoveLicenses  = "remove_licenses"
	FormOptDryRun          = "dry_run"
)

// Limits of the forms' elements.
const (
	// FormMaxPicked is the most people one user picker takes.
	FormMaxPicked = 50
	// FormMaxText is the most characters of the pasted addresses (Slack's
	// own limit for a plain_text_input).
	FormMaxText = 3000
	// FormMaxDisplayName is the most characters of a display name.
	FormMaxDisplayName = 64
)

// FormMetadata travels in a form's private_metadata, as JSON: where the
// command was typed, so that the answers to the submission can be shown
// there.
type FormMetadata struct {
	Channel string `json:"channel,omitempty"`
}

func metadata(m FormMetadata) string {
	b, err := json.Marshal(m)
	if err != nil {
		// A struct of strings always marshals.
		panic(fmt.Sprintf("notify: form metadata: %v", err))
	}
	return string(b)
}

func option(value, text, description string) *slack.OptionBlockObject {
	var d *slack.TextBlockObject
	if description != "" {
		d = plain(description, 75)
	}
	return slack.NewOptionBlockObject(value, plain(text, 75), d)
}

func input(id, label, hint string, optional bool, el slack.BlockElement) *slack.InputBlock {
	var h *slack.TextBlockObject
	if hint != "" {
		h = plain(hint, 2000)
	}
	b := slack.NewInputBlock(id, plain(label, 2000), h, el)
	b.Optional = optional
	return b
}

func userPicker(placeholder string) *slack.MultiSelectBlockElement {
	el := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plain(placeholder, 150), FormActionUsers)
	max := FormMaxPicked
	el.MaxSelectedItems = &max
	return el
}

func textInput(placeholder string, multiline bool, max int) *slack.PlainTextInputBlockElement {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder, 150), FormActionText)
	el.Multiline = multiline
	el.MaxLength = max
	return el
}

func modal(callbackID, title string, m FormMetadata, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(title, 24),
		Submit:          plain(words.FormSubmit, 24),
		Close:           plain(words.FormClose, 24),
		PrivateMetadata: metadata(m),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// ConvertForm is the /convert-mailbox form: the mailboxes (people picked,
// addresses pasted, or both), the direction, the options of the operation
// with their defaults (sign-in blocked, sessions revoked, licenses removed
// once the conversion is verified; a Temporary Access Pass to convert
// back), the members who get Full Access and Send As, and a day and time
// (UTC) to run it.
func ConvertForm(m FormMetadata) slack.ModalViewRequest {
	toShared := option(FormToShared, words.FormToShared, "")
	tap := option(FormCredentialTAP, words.FormTAP, words.FormTAPHint)
	block := option(FormOptBlockSignIn, words.FormBlockSignIn, words.FormBlockSignInHint)
	revoke := option(FormOptRevokeSessions, words.FormRevokeSessions, words.FormRevokeSessionsHint)
	remove := option(FormOptRemoveLicenses, words.FormRemoveLicenses, words.FormRemoveLicensesHint)

	direction := slack.NewRadioButtonsBlockElement(FormActionChoice, toShared,
		option(FormToRegular, words.FormToRegular, ""))
	direction.InitialOption = toShared
	credential := slack.NewRadioButtonsBlockElement(FormActionChoice, tap,
		option(FormCredentialPassword, words.FormPassword, words.FormPasswordHint))
	credential.InitialOption = tap
	opts := slack.NewCheckboxGroupsBlockElement(FormActionOptions, block, revoke, remove,
		option(FormOptDryRun, words.FormDryRun, words.FormDryRunHint))
	opts.InitialOptions = []*slack.OptionBlockObject{block, revoke, remove}
	clock := slack.NewTimePickerBlockElement(FormActionTime)
	clock.Placeholder = plain(words.FormTimePlaceholder, 150)
	clock.Timezone = "UTC"
	day := slack.NewDatePickerBlockElement(FormActionDate)
	day.Placeholder = plain(words.FormRunOnPlaceholder, 150)

	return modal(ConvertFormID, words.ConvertFormTitle, m,
		section("intro", words.ConvertFormIntro),
		input(FormBlockMailboxes, words.FormMailboxes, "", true, userPicker(words.FormPickPeople)),
		input(FormBlockAddresses, words.FormAddresses, words.FormAddressesHint, true,
			textInput(words.FormAddressesExample, true, FormMaxText)),
		input(FormBlockDirection, words.FormDirection, "", false, direction),
		input(FormBlockOptions, words.FormOptions, "", true, opts),
		input(FormBlockCredential, words.FormCredential, words.FormCredentialHint, false, credential),
		input(FormBlockMembers, words.FormMembersToShared, words.FormMembersHint, true, userPicker(words.FormPickPeople)),
		input(FormBlockDate, words.FormRunOn, words.FormRunOnHint, true, day),
		input(FormBlockTime, words.FormAt, "", true, clock),
	)
}

// SharedForm is the /shared-mailbox form that creates a shared mailbox:
// display name, address, members (Full Access and Send As) and dry run.
func SharedForm(m FormMetadata) slack.ModalViewRequest {
	opts := slack.NewCheckboxGroupsBlockElement(FormActionOptions,
		option(FormOptDryRun, words.FormDryRun, words.FormDryRunHint))
	return modal(SharedFormID, words.SharedFormTitle, m,
		section("intro", words.SharedFormIntro),
		input(FormBlockName, words.FormDisplayName, "", false, textInput(words.FormDisplayNameExample, false, FormMaxDisplayName)),
		input(FormBlockAddress, words.FormAddress, "", false, textInput(words.FormAddressExample, false, 254)),
		input(FormBlockMembers, words.FormMembers, words.FormNewMembersHint, true, userPicker(words.FormPickPeople)),
		input(FormBlockOptions, words.FormOptions, "", true, opts),
	)
}

// OpenView opens view as a modal for the person whose command or click
// carried triggerID (views.open), and returns the view's id. Slack's rate
// limit is waited out as for every call, within ctx: a trigger_id expires
// 3 seconds after the click, so the caller bounds ctx accordingly.
func (s *Slack) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (string, error) {
	var id string
	err := s.call(ctx, "views.open", func() error {
		resp, err := s.api.OpenViewContext(ctx, triggerID, view)
		if err == nil && resp != nil {
			id = resp.ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("open form %s: %w", view.CallbackID, err)
	}
	return id, nil
}
