package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// Action ids of the bot's buttons: Approve and Reject on an approval
// request, Retry on the report of a failed request, Undo on the report of
// a succeeded one. A button's value
// carries the request id, and nothing else is read from it.
const (
	ActionApprove = bot.ActionApprove
	ActionReject  = bot.ActionReject
	ActionRetry   = bot.ActionRetry
	ActionUndo    = bot.ActionUndo
)

// maxRequestID bounds a button value taken as a request id.
const maxRequestID = 128

// handleInteraction takes a verified interaction over HTTP: every path
// answers 200, with the body Interaction returns (empty for clicks; Slack
// ignores the body of the answer to block_actions).
func (s *Server) handleInteraction(w http.ResponseWriter, r *http.Request) {
	ic, err := parseInteractionForm(r)
	if err != nil {
		s.log.Warn("slack interaction unreadable", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	resp := s.Interaction(r.Context(), ic)
	if resp == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(resp)
}

// parseInteractionForm reads the form value "payload" of r, as
// slack.InteractionCallbackParse does, with parseInteraction.
func parseInteractionForm(r *http.Request) (slack.InteractionCallback, error) {
	if err := r.ParseForm(); err != nil {
		return slack.InteractionCallback{}, err
	}
	payload := r.PostForm.Get("payload")
	if payload == "" {
		return slack.InteractionCallback{}, errors.New("payload is empty")
	}
	return parseInteraction([]byte(payload))
}

// clickPayload is the part of a block_actions payload that Interaction
// reads. Slack sends the whole message with the click, and decoding its
// blocks was most of the cost of acknowledging a click (issue 7: 16% of
// serve's CPU under the acknowledgement load, for fields never read).
type clickPayload struct {
	Type        slack.InteractionType `json:"type"`
	ResponseURL string                `json:"response_url"`
	ActionTs    string                `json:"action_ts"`
	APIAppID    string                `json:"api_app_id"`
	Team        struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Message struct {
		Timestamp string `json:"ts"`
	} `json:"message"`
	Container struct {
		ChannelID string `json:"channel_id"`
		MessageTs string `json:"message_ts"`
	} `json:"container"`
	Actions rawActions `json:"actions"`
}

// rawActions collects the actions as slack-go does: each "actions" key
// met adds its elements (a payload may repeat the key), null adds none.
type rawActions []json.RawMessage

func (a *rawActions) UnmarshalJSON(b []byte) error {
	var more []json.RawMessage
	if err := json.Unmarshal(b, &more); err != nil {
		return err
	}
	*a = append(*a, more...)
	return nil
}

// blockAction is the part of a block action that Interaction reads.
type blockAction struct {
	BlockID  string `json:"block_id"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	ActionTs string `json:"action_ts"`
}

// parseInteraction decodes an interaction payload. A block_actions
// payload is decoded into the fields Interaction reads, and every other
// payload (a submitted form) in full by slack-go. Where slack-go decodes a
// block_actions payload, the fields Interaction reads come out the same
// (FuzzInteractionPayload checks it).
func parseInteraction(payload []byte) (slack.InteractionCallback, error) {
	if ic, ok := parseClick(payload); ok {
		return ic, nil
	}
	var ic slack.InteractionCallback
	err := json.Unmarshal(payload, &ic)
	return ic, err
}

// parseClick decodes a block_actions payload into the fields Interaction
// reads; false for any other payload, or one it cannot decode.
func parseClick(payload []byte) (slack.InteractionCallback, bool) {
	var p clickPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Type != slack.InteractionTypeBlockActions {
		return slack.InteractionCallback{}, false
	}
	ic := slack.InteractionCallback{Type: p.Type, ResponseURL: p.ResponseURL, ActionTs: p.ActionTs, APIAppID: p.APIAppID}
	ic.Team.ID, ic.User.ID, ic.Channel.ID = p.Team.ID, p.User.ID, p.Channel.ID
	ic.Message.Timestamp = p.Message.Timestamp
	ic.Container.ChannelID, ic.Container.MessageTs = p.Container.ChannelID, p.Container.MessageTs
	for _, raw := range p.Actions {
		// As slack-go: an action is a block action when its exact key
		// "block_id" holds a string (JSON keys otherwise match fields
		// whatever their case).
		var keys map[string]any
		if err := json.Unmarshal(raw, &keys); err != nil {
			return slack.InteractionCallback{}, false
		}
		if _, ok := keys["block_id"].(string); !ok {
			continue
		}
		var a blockAction
		if err := json.Unmarshal(raw, &a); err != nil {
			return slack.InteractionCallback{}, false
		}
		ic.ActionCallback.BlockActions = append(ic.ActionCallback.BlockActions,
			&slack.BlockAction{BlockID: a.BlockID, ActionID: a.ActionID, Value: a.Value, ActionTs: a.ActionTs})
	}
	return ic, true
}

// Interaction takes a verified interaction, whatever carried it: a click
// on Approve, Reject or Retry becomes a bot.Click whose user is the signed
// payload's; a submitted form (view_submission) becomes bot.Commands, and
// the answer is its response_action (see viewSubmission). It returns the
// body of the answer, or nil for none. The only call it makes for a click
// is Bot.AcceptClick, bounded by the accept timeout.
func (s *Server) Interaction(ctx context.Context, ic slack.InteractionCallback) any {
	log := s.log.With("type", ic.Type, "team", ic.Team.ID)
	if !s.sameTenant(ic.Team.ID, ic.APIAppID) {
		log.Warn("slack interaction from another workspace or app refused", "user", ic.User.ID, "app", ic.APIAppID)
		return nil
	}
	if ic.Type == slack.InteractionTypeViewSubmission {
		return s.viewSubmission(ctx, ic, log)
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		log.Debug("slack interaction ignored")
		return nil
	}
	var act *slack.BlockAction
	for _, a := range ic.ActionCallback.BlockActions {
		if a.ActionID == ActionApprove || a.ActionID == ActionReject || a.ActionID == ActionRetry || a.ActionID == ActionUndo {
			act = a
			break
		}
	}
	if act == nil {
		log.Debug("slack block action ignored", "actions", len(ic.ActionCallback.BlockActions))
		return nil
	}

	id, fingerprint := bot.ParseButtonValue(act.Value)
	c := bot.Click{
		RequestID:   id,
		Fingerprint: fingerprint,
		Action:      act.ActionID,
		Approve:     act.ActionID == ActionApprove,
		User:        ic.User.ID, // from the signed payload, never from the button
		TeamID:      ic.Team.ID,
		Channel:     firstNonEmpty(ic.Container.ChannelID, ic.Channel.ID),
		MessageTS:   firstNonEmpty(ic.Container.MessageTs, ic.Message.Timestamp),
		ResponseURL: ic.ResponseURL,
		ActionTS:    firstNonEmpty(act.ActionTs, ic.ActionTs),
	}
	// The clicker of Retry is (meant to be) the requester; of Approve and
	// Reject, an approver. The bot checks either.
	who := "approver"
	switch c.Action {
	case ActionRetry:
		who = "requester"
	case ActionUndo:
		who = "requester_or_approver"
	}
	log = log.With("request", c.RequestID, who, c.User, "action", c.Action)
	if c.User == "" || c.RequestID == "" || len(c.RequestID) > maxRequestID {
		log.Warn("click without a user or a request id ignored", "value_len", len(act.Value))
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.cfg.Bot.AcceptClick(ctx, c); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("accept click (gave up after %s): %w", s.timeout, err)
		}
		log.Error("click not queued", "err", err)
		s.tellNotQueued(c)
		return nil
	}
	log.Info("click queued")
	return nil
}

// tellNotQueued tells the clicker, through the click's response_url, that
// the click was not recorded: Slack ignores the body of the answer to a
// click, so silence would look like success.
func (s *Server) tellNotQueued(c bot.Click) {
	if s.cfg.Replier == nil {
		return
	}
	s.replies.Add(1)
	go func() {
		defer s.replies.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.cfg.Replier.Answer(ctx, bot.ReplyTo{ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.User},
			bot.Answer{Text: words.ClickNotRecorded(c.Action == ActionRetry)})
		if err != nil {
			s.log.Error("could not tell the clicker that the click was lost", "request", c.RequestID, "user", c.User, "err", err)
		}
	}()
}

// Wait waits for the replies still being sent in the background.
func (s *Server) Wait() { s.replies.Wait() }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
