package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// View is a modal opened with views.open, as it stands after its latest
// views.update.
type View struct {
	ID         string
	TriggerID  string // the trigger_id it was opened with
	User       string // who the trigger_id was issued to ("" when not issued by this server)
	CallbackID string
	ExternalID string
	Hash       string          // changes on every update
	JSON       json.RawMessage // the view as last sent
	Updates    int             // views.update calls that changed it
}

// triggerLife is how long a trigger_id can open a view, as in Slack.
const triggerLife = 3 * time.Second

type trigger struct {
	user string
	at   time.Time
	used bool
}

// views holds the modals; s.mu guards it. It is made on first use.
type views struct {
	triggers map[string]*trigger
	byID     map[string]*View
	order    []string
	seq      int
}

func (s *Server) viewState() *views {
	if s.views == nil {
		s.views = &views{triggers: map[string]*trigger{}, byID: map[string]*View{}}
	}
	return s.views
}

// issueTrigger records a trigger_id handed to user at Options.Now, so that
// views.open can tell when it expired or was used. s.mu must be held.
func (s *Server) issueTrigger(id, user string) {
	s.viewState().triggers[id] = &trigger{user: user, at: s.opts.Now()}
}

// Views returns the modals opened so far, in the order they were opened.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.viewState()
	out := make([]View, 0, len(vs.order))
	for _, id := range vs.order {
		out = append(out, *vs.byID[id])
	}
	return out
}

// modalOf checks a view as views.open and views.update take it and returns
// its callback_id and external_id, or Slack's error code.
func modalOf(raw string) (callbackID, externalID, code string) {
	var v struct {
		Type       string                 `json:"type"`
		CallbackID string                 `json:"callback_id"`
		ExternalID string                 `json:"external_id"`
		Title      *struct{ Text string } `json:"title"`
		Blocks     []struct {
			BlockID string `json:"block_id"`
		} `json:"blocks"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &v) != nil {
		return "", "", "invalid_arguments"
	}
	if v.Type != "modal" || v.Title == nil || v.Title.Text == "" || len([]rune(v.Title.Text)) > 24 || len(v.Blocks) > 100 {
		return "", "", "invalid_arguments"
	}
	var ids []string
	for _, b := range v.Blocks {
		if b.BlockID == "" {
			continue
		}
		if slices.Contains(ids, b.BlockID) {
			return "", "", "duplicate_block_id"
		}
		ids = append(ids, b.BlockID)
	}
	return v.CallbackID, v.ExternalID, ""
}

// viewJSON is a view as views.open and views.update return it.
func (s *Server) viewJSON(v *View) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(v.JSON, &out)
	if out == nil {
		out = map[string]any{}
	}
	out["id"], out["team_id"], out["hash"], out["root_view_id"] = v.ID, s.opts.TeamID, v.Hash, v.ID
	out["app_id"], out["bot_id"] = s.opts.AppID, s.botID()
	out["state"] = map[string]any{"values": map[string]any{}}
	if _, ok := out["private_metadata"]; !ok {
		out["private_metadata"] = ""
	}
	return out
}

// viewsOpen answers views.open: the trigger_id must be one this server
// issued less than 3 seconds ago and not used yet (a trigger_id it did not
// issue is taken as valid), the view a modal Slack would take.
func (s *Server) viewsOpen(w http.ResponseWriter, p params) {
	vs := s.viewState()
	tid := p["trigger_id"]
	if tid == "" {
		slackError(w, "invalid_arguments")
		return
	}
	tr := vs.triggers[tid]
	switch {
	case tr != nil && s.opts.Now().Sub(tr.at) > triggerLife:
		slackError(w, "expired_trigger_id")
		return
	case tr != nil && tr.used:
		slackError(w, "trigger_exchanged")
		return
	}
	cb, ext, code := modalOf(p["view"])
	if code != "" {
		slackError(w, code)
		return
	}
	if tr != nil {
		tr.used = true
	}
	vs.seq++
	v := &View{ID: fmt.Sprintf("V%08d", vs.seq), TriggerID: tid, CallbackID: cb, ExternalID: ext,
		Hash: fmt.Sprintf("%d.%08x", s.opts.Now().Unix(), vs.seq), JSON: json.RawMessage(p["view"])}
	if tr != nil {
		v.User = tr.user
	}
	vs.byID[v.ID] = v
	vs.order = append(vs.order, v.ID)
	ok(w, map[string]any{"view": s.viewJSON(v)})
}

// viewsUpdate answers views.update, by view_id or external_id; a hash
// that is not the view's current one is a hash_conflict.
func (s *Server) viewsUpdate(w http.ResponseWriter, p params) {
	vs := s.viewState()
	var v *View
	switch id, ext := p["view_id"], p["external_id"]; {
	case id != "":
		v = vs.byID[id]
	case ext != "":
		for _, x := range vs.byID {
			if x.ExternalID == ext {
				v = x
			}
		}
	default:
		slackError(w, "invalid_arguments")
		return
	}
	if v == nil {
		slackError(w, "not_found")
		return
	}
	if h := p["hash"]; h != "" && h != v.Hash {
		slackError(w, "hash_conflict")
		return
	}
	cb, ext, code := modalOf(p["view"])
	if code != "" {
		slackError(w, code)
		return
	}
	vs.seq++
	v.CallbackID, v.ExternalID, v.JSON, v.Updates = cb, ext, json.RawMessage(p["view"]), v.Updates+1
	v.Hash = fmt.Sprintf("%d.%08x", s.opts.Now().Unix(), vs.seq)
	ok(w, map[string]any{"view": s.viewJSON(v)})
}

// SubmitView submits, as userID, the modal viewID that this server opened:
// it builds the view_submission payload Slack sends (the view with its
// callback_id, private_metadata and hash, and values as view.state.values:
// block id -> action id -> the element's state, for example
// {"type":"plain_text_input","value":"…"}), signs "payload=<json>" with
// signingSecret and POSTs it to botBaseURL+"/slack/interactions". It
// returns the status and body of the bot's answer (the response_action).
func (s *Server) SubmitView(ctx context.Context, botBaseURL, signingSecret, userID, viewID string, values map[string]map[string]any) (int, []byte, error) {
	s.mu.Lock()
	v, found := s.viewState().byID[viewID]
	var view map[string]any
	if found {
		view = s.viewJSON(v)
	}
	s.mu.Unlock()
	if !found {
		return 0, nil, fmt.Errorf("submit view %s: no such view", viewID)
	}
	if values == nil {
		values = map[string]map[string]any{}
	}
	view["state"] = map[string]any{"values": values}
	name := s.userName(userID)
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": s.opts.TeamID, "domain": "contoso"},
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": s.opts.TeamID},
		"api_app_id":            s.opts.AppID,
		"token":                 verificationToken,
		"trigger_id":            s.triggerID(userID),
		"view":                  view,
		"response_urls":         []any{},
		"is_enterprise_install": false,
		"enterprise":            nil,
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, nil, fmt.Errorf("submit view %s: %w", viewID, err)
	}
	body := []byte(url.Values{"payload": {string(raw)}}.Encode())
	return s.send(ctx, strings.TrimSuffix(botBaseURL, "/")+"/slack/interactions", signingSecret, body)
}
