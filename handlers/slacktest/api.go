// The Web API: reading a call's arguments, checking its token and rate
// limits, and the methods about the workspace (auth.test, users.*,
// usergroups.users.list, conversations.*); the other methods are routed to
// chat.go and views.go.

package slacktest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// params reads a Web API call's arguments, form-encoded or JSON, as
// strings (JSON arrays and objects keep their JSON text).
type params map[string]string

func readParams(r *http.Request) (params, string, error) {
	p := params{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]json.RawMessage
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", err
		}
		if len(body) > 0 { // Slack takes an empty body (apps.connections.open)
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, "", err
			}
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p[k] = str
			} else {
				p[k] = string(v)
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, "", err
		}
		for k, v := range r.Form {
			p[k] = v[0]
		}
	}
	if token == "" {
		token = p["token"]
	}
	return p, token, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func slackError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func ok(w http.ResponseWriter, fields map[string]any) {
	out := map[string]any{"ok": true}
	maps.Copy(out, fields)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	s.mu.Lock()
	s.calls[method]++
	if l := s.limits[method]; l != nil && l.n > 0 {
		l.n--
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(l.after))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	s.mu.Unlock()

	p, token, err := readParams(r)
	if err != nil {
		slackError(w, "invalid_form_data")
		return
	}
	switch {
	case token == "":
		slackError(w, "not_authed")
		return
	case s.opts.BotToken != "" && token != s.opts.BotToken:
		slackError(w, "invalid_auth")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.scopes) > 0 {
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes, ","))
	}
	switch method {
	case "auth.test":
		ok(w, map[string]any{
			"url": "https://contoso.slack.com/", "team": "contoso", "user": "mailboxbot",
			"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.botID(),
			"is_enterprise_install": false,
		})
	case "users.lookupByEmail":
		for _, u := range s.users {
			if p["email"] != "" && strings.EqualFold(u.Email, p["email"]) {
				ok(w, map[string]any{"user": s.userJSON(u)})
				return
			}
		}
		slackError(w, "users_not_found")
	case "users.info":
		u, found := s.users[p["user"]]
		if !found {
			slackError(w, "user_not_found")
			return
		}
		ok(w, map[string]any{"user": s.userJSON(u)})
	case "usergroups.users.list":
		members, found := s.groups[p["usergroup"]]
		if !found {
			slackError(w, "no_such_subteam")
			return
		}
		if members == nil {
			members = []string{}
		}
		ok(w, map[string]any{"users": members})
	case "conversations.open":
		s.conversationsOpen(w, p)
	case "conversations.info":
		ch := p["channel"]
		if name, found := s.channels[ch]; found {
			ok(w, map[string]any{"channel": map[string]any{"id": ch, "name": name, "is_channel": true}})
		} else if u := s.audience(ch); u != "" {
			ok(w, map[string]any{"channel": map[string]any{"id": ch, "is_im": true, "user": u}})
		} else {
			slackError(w, "channel_not_found")
		}
	case "chat.postMessage":
		s.postMessage(w, p)
	case "chat.update":
		s.update(w, p)
	case "chat.postEphemeral":
		s.postEphemeral(w, p)
	case "views.open":
		s.viewsOpen(w, p)
	case "views.update":
		s.viewsUpdate(w, p)
	case "views.publish":
		s.viewsPublish(w, p)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method", "req_method": method})
	}
}

// userJSON is a user object as users.info and users.lookupByEmail return
// it; the profile has no "email" field when the user has none.
func (s *Server) userJSON(u User) map[string]any {
	profile := map[string]any{"real_name": u.Name, "display_name": u.Name}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	return map[string]any{
		"id": u.ID, "team_id": s.opts.TeamID, "name": u.Name, "real_name": u.Name,
		"deleted": u.Deleted, "is_bot": u.IsBot, "tz": "Europe/Amsterdam",
		"profile": profile,
	}
}

func (s *Server) conversationsOpen(w http.ResponseWriter, p params) {
	if ch := p["channel"]; ch != "" {
		ok(w, map[string]any{"channel": map[string]any{"id": ch}})
		return
	}
	users := strings.Split(p["users"], ",")
	if len(users) != 1 || users[0] == "" {
		// Group DMs are not modelled.
		slackError(w, "not_enough_users")
		return
	}
	u := users[0]
	if _, found := s.users[u]; !found {
		slackError(w, "user_not_found")
		return
	}
	ok(w, map[string]any{"channel": map[string]any{"id": "D" + u, "is_im": true, "user": u}})
}
