package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailboxbot/mailboxbot/handlers"
)

// ErrNoButton: Click found no button with that action id on the message.
var ErrNoButton = errors.New("slacktest: message has no such button")

// ErrNoMessage: Click found no message at that channel and ts.
var ErrNoMessage = errors.New("slacktest: no such message")

// verificationToken is the deprecated token Slack still sends in payloads.
const verificationToken = "deprecated-verification-token"

// userName returns the name of a known user, else the id.
func (s *Server) userName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return id
}

func (s *Server) channelName(id string) string {
	switch {
	case id == s.opts.CommandChannel:
		return "it-helpdesk"
	case strings.HasPrefix(id, "D"):
		return "directmessage"
	}
	return strings.ToLower(id)
}

// send POSTs a form body signed like Slack does to url.
func (s *Server) send(ctx context.Context, url, secret string, body []byte) (int, []byte, error) {
	ts := strconv.FormatInt(s.opts.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", handlers.Sign(secret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("slacktest: post %s: %w", url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("slacktest: read answer of %s: %w", url, err)
	}
	return resp.StatusCode, out, nil
}

// triggerID issues a trigger_id to user, which views.open takes for 3
// seconds, once.
func (s *Server) triggerID(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventSeq++
	id := fmt.Sprintf("%d.%d.%032x", s.opts.Now().Unix(), 1395872398, s.eventSeq)
	s.issueTrigger(id, user)
	return id
}

// CommandBody is the form body Slack POSTs to the bot's command URL when
// userID types command with text in the command channel, unsigned (a load
// generator signs it at the moment it sends it). Every call issues a new
// trigger_id.
func (s *Server) CommandBody(userID, command, text string) []byte {
	form := url.Values{
		"token":                 {verificationToken},
		"team_id":               {s.opts.TeamID},
		"team_domain":           {"contoso"},
		"enterprise_id":         {""},
		"enterprise_name":       {""},
		"channel_id":            {s.opts.CommandChannel},
		"channel_name":          {s.channelName(s.opts.CommandChannel)},
		"user_id":               {userID},
		"user_name":             {s.userName(userID)},
		"command":               {command},
		"text":                  {text},
		"api_app_id":            {s.opts.AppID},
		"is_enterprise_install": {"false"},
		"response_url":          {s.ResponseURL(userID)},
		"trigger_id":            {s.triggerID(userID)},
	}
	return []byte(form.Encode())
}

// SlashCommand types command (e.g. "/convert-mailbox") with text as userID
// in the command channel: it POSTs the form body Slack sends, signed with
// signingSecret at Options.Now, to botBaseURL+"/slack/commands". The
// response_url is s.ResponseURL(userID). A 200 with a JSON message body
// (the immediate ephemeral answer) is recorded as an ephemeral entry for
// userID. It returns the status and body of the bot's answer.
func (s *Server) SlashCommand(ctx context.Context, botBaseURL, signingSecret, userID, command, text string) (int, []byte, error) {
	status, body, err := s.send(ctx, strings.TrimSuffix(botBaseURL, "/")+"/slack/commands", signingSecret, s.CommandBody(userID, command, text))
	if err != nil {
		return status, body, err
	}
	if status == http.StatusOK && len(bytes.TrimSpace(body)) > 0 {
		var msg struct {
			Text         string          `json:"text"`
			Blocks       json.RawMessage `json:"blocks"`
			ResponseType string          `json:"response_type"`
		}
		if json.Unmarshal(body, &msg) == nil && (msg.Text != "" || len(msg.Blocks) > 0) {
			s.mu.Lock()
			e := Entry{Kind: KindEphemeral, User: userID, TS: s.nextTS(), RawText: msg.Text, Blocks: msg.Blocks}
			if msg.ResponseType == "in_channel" {
				e.Kind, e.Channel, e.User = KindMessage, s.opts.CommandChannel, ""
			}
			s.record(e)
			s.mu.Unlock()
		}
	}
	return status, body, nil
}

// Click clicks, as userID, the button with actionID on the message at
// channel/ts (its latest version): it builds the block_actions payload
// Slack sends (the message and its blocks, the actions block's block_id,
// the button's value), signs "payload=<json>" with signingSecret and POSTs
// it to botBaseURL+"/slack/interactions". The response_url is
// s.ResponseURL(userID). It fails with ErrNoMessage or ErrNoButton.
func (s *Server) Click(ctx context.Context, botBaseURL, signingSecret, userID, channel, ts, actionID string) (int, []byte, error) {
	m, found := s.Message(channel, ts)
	if !found {
		return 0, nil, fmt.Errorf("click %s on %s/%s: %w", actionID, channel, ts, ErrNoMessage)
	}
	return s.ClickVersion(ctx, botBaseURL, signingSecret, userID, m, actionID)
}

// ClickVersion is Click on a given version of a message, as a Slack client
// that has not caught up with an update still shows it: a second click on
// buttons that were already removed.
func (s *Server) ClickVersion(ctx context.Context, botBaseURL, signingSecret, userID string, m Entry, actionID string) (int, []byte, error) {
	body, err := s.ClickBody(userID, m, actionID)
	if err != nil {
		return 0, nil, err
	}
	return s.send(ctx, strings.TrimSuffix(botBaseURL, "/")+"/slack/interactions", signingSecret, body)
}

// ClickBody is the form body Slack POSTs to the bot's interactivity URL
// when userID clicks the button with actionID on version m of a message,
// unsigned. It fails with ErrNoButton.
func (s *Server) ClickBody(userID string, m Entry, actionID string) ([]byte, error) {
	channel, ts := m.Channel, m.TS
	var blocks []struct {
		Type     string    `json:"type"`
		BlockID  string    `json:"block_id"`
		Elements []element `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var action map[string]any
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type != "button" || e.ActionID != actionID {
				continue
			}
			action = map[string]any{
				"action_id": e.ActionID, "block_id": b.BlockID, "text": e.Text, "value": e.Value,
				"type": "button", "action_ts": s.actionTS(),
			}
			if e.Style != "" {
				action["style"] = e.Style
			}
		}
	}
	if action == nil {
		return nil, fmt.Errorf("click %s on %s/%s: %w", actionID, channel, ts, ErrNoButton)
	}
	name := s.userName(userID)
	msg := map[string]any{
		"type": "message", "user": s.opts.BotUserID, "ts": ts, "bot_id": s.botID(), "app_id": s.opts.AppID,
		"text": m.RawText, "team": s.opts.TeamID,
	}
	if len(m.Blocks) > 0 {
		msg["blocks"] = m.Blocks
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": userID, "username": name, "name": name, "team_id": s.opts.TeamID},
		"api_app_id":            s.opts.AppID,
		"token":                 verificationToken,
		"container":             map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		"trigger_id":            s.triggerID(userID),
		"team":                  map[string]any{"id": s.opts.TeamID, "domain": "contoso"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channel, "name": s.channelName(channel)},
		"message":               msg,
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.ResponseURL(userID),
		"actions":               []any{action},
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("click %s: %w", actionID, err)
	}
	return []byte(url.Values{"payload": {string(raw)}}.Encode()), nil
}

func (s *Server) actionTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventSeq++
	return fmt.Sprintf("%d.%06d", s.opts.Now().Unix(), s.eventSeq%1000000)
}
