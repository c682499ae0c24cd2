// Messages: chat.postMessage, chat.update, chat.postEphemeral and the
// response_url of a slash command or an interaction, each recorded in the
// transcript.

package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

func (s *Server) messageJSON(m *message) map[string]any {
	out := map[string]any{
		"type": "message", "user": s.opts.BotUserID, "bot_id": s.botID(), "app_id": s.opts.AppID,
		"text": m.text, "ts": m.ts, "team": s.opts.TeamID,
	}
	if len(m.blocks) > 0 {
		out["blocks"] = m.blocks
	}
	return out
}

func blocksParam(p params) (json.RawMessage, bool, error) {
	b, ok := p["blocks"]
	if !ok {
		return nil, false, nil
	}
	if !json.Valid([]byte(b)) {
		return nil, true, fmt.Errorf("invalid blocks")
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(b), &arr); err != nil {
		return nil, true, err
	}
	return json.RawMessage(b), true, nil
}

func (s *Server) postMessage(w http.ResponseWriter, p params) {
	ch := p["channel"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	if strings.HasPrefix(ch, "D") && s.audience(ch) == "" {
		slackError(w, "channel_not_found")
		return
	}
	blocks, _, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if p["text"] == "" && len(blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	m := &message{channel: ch, ts: s.nextTS(), text: p["text"], blocks: blocks}
	s.messages[ch+"/"+m.ts] = m
	s.record(Entry{Kind: KindMessage, Channel: ch, User: s.audience(ch), TS: m.ts, RawText: m.text, Blocks: m.blocks})
	ok(w, map[string]any{"channel": ch, "ts": m.ts, "message": s.messageJSON(m)})
}

func (s *Server) update(w http.ResponseWriter, p params) {
	ch, ts := p["channel"], p["ts"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	m, found := s.messages[ch+"/"+ts]
	if !found {
		slackError(w, "message_not_found")
		return
	}
	blocks, has, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if has {
		m.blocks = blocks
	}
	if t, has := p["text"]; has {
		m.text = t
	}
	if m.text == "" && len(m.blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	s.record(Entry{Kind: KindUpdate, Channel: ch, User: s.audience(ch), TS: m.ts, RawText: m.text, Blocks: m.blocks})
	ok(w, map[string]any{"channel": ch, "ts": m.ts, "text": m.text, "message": s.messageJSON(m)})
}

func (s *Server) postEphemeral(w http.ResponseWriter, p params) {
	ch, u := p["channel"], p["user"]
	if ch == "" {
		slackError(w, "channel_not_found")
		return
	}
	if _, found := s.users[u]; !found {
		slackError(w, "user_not_found")
		return
	}
	blocks, _, err := blocksParam(p)
	if err != nil {
		slackError(w, "invalid_blocks")
		return
	}
	if p["text"] == "" && len(blocks) == 0 {
		slackError(w, "no_text")
		return
	}
	ts := s.nextTS()
	s.record(Entry{Kind: KindEphemeral, Channel: ch, User: u, TS: ts, RawText: p["text"], Blocks: blocks})
	ok(w, map[string]any{"message_ts": ts})
}

// responseURL receives a response_url post (JSON, as Slack expects it) and
// records it as an ephemeral message to the user.
func (s *Server) responseURL(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	if msg.Text == "" && (len(msg.Blocks) == 0 || string(msg.Blocks) == "null") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "no_text"})
		return
	}
	s.mu.Lock()
	s.record(Entry{Kind: KindEphemeral, User: user, TS: s.nextTS(), RawText: msg.Text, Blocks: msg.Blocks})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
