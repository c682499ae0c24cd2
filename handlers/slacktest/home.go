package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The App Home tab: views.publish.

// maxViewBlocks is Slack's limit on the blocks of a view.
const maxViewBlocks = 100

// HomeView is a view published to a user's Home tab.
type HomeView struct {
	User   string
	Blocks json.RawMessage // as sent
	Text   string          // Render of Blocks
	Seq    int             // 1, 2, ... per user: how many times it was published
}

// Home returns the view last published to user's Home tab (views.publish),
// and whether there is one.
func (s *Server) Home(user string) (HomeView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found := s.homes[user]
	return v, found
}

// viewsPublish answers views.publish: it checks the view as Slack does
// (a home view, at most 100 blocks, block ids unique) and keeps it as
// the user's Home. It does not add to the transcript, which holds
// messages. s.mu must be held.
func (s *Server) viewsPublish(w http.ResponseWriter, p params) {
	user := p["user_id"]
	if user == "" {
		slackError(w, "invalid_arguments")
		return
	}
	if _, found := s.users[user]; !found {
		slackError(w, "user_not_found")
		return
	}
	var view struct {
		Type   string            `json:"type"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(p["view"]), &view); err != nil {
		slackError(w, "invalid_arguments")
		return
	}
	if problem := checkHomeView(view.Type, view.Blocks); problem != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": []string{problem}}})
		return
	}
	blocks, _ := json.Marshal(view.Blocks)
	v := HomeView{User: user, Blocks: blocks, Text: Render(blocks), Seq: s.homes[user].Seq + 1}
	if s.homes == nil {
		s.homes = map[string]HomeView{}
	}
	s.homes[user] = v
	// Wake WaitFor callers that poll Home.
	close(s.changed)
	s.changed = make(chan struct{})
	ok(w, map[string]any{"view": map[string]any{
		"id": "VHOME" + user, "team_id": s.opts.TeamID, "type": "home",
		"blocks": json.RawMessage(blocks), "private_metadata": "", "callback_id": "",
		"hash": fmt.Sprintf("%d.%08d", s.opts.Now().Unix(), v.Seq), "app_id": s.opts.AppID,
		"bot_id": s.botID(),
	}})
}

// checkHomeView returns Slack's message for what makes a view invalid, or "".
func checkHomeView(typ string, blocks []json.RawMessage) string {
	if typ != "home" {
		return "[ERROR] must be home [json-pointer:/view/type]"
	}
	if len(blocks) > maxViewBlocks {
		return fmt.Sprintf("[ERROR] no more than %d items allowed [json-pointer:/view/blocks]", maxViewBlocks)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		var blk struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
		}
		if err := json.Unmarshal(b, &blk); err != nil || blk.Type == "" {
			return fmt.Sprintf("[ERROR] missing required field: type [json-pointer:/view/blocks/%d]", i)
		}
		if blk.BlockID == "" {
			continue
		}
		if seen[blk.BlockID] {
			return fmt.Sprintf("[ERROR] failed to match all allowed schemas [json-pointer:/view/blocks/%d/block_id]", i)
		}
		seen[blk.BlockID] = true
	}
	return ""
}
