package slacktest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestUserGroups(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	members := []string{"U0RITA", "U0MARIA"}
	s.AddUserGroup("S0HELPDESK", members...)
	members[0] = "U0CHANGED" // the server keeps its own copy
	got, err := api.GetUserGroupMembersContext(ctx, "S0HELPDESK")
	if err != nil || !reflect.DeepEqual(got, []string{"U0RITA", "U0MARIA"}) {
		t.Fatalf("usergroups.users.list = %q, %v", got, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NONE"); slackErr(err) != "no_such_subteam" {
		t.Errorf("unknown group: err = %v, want no_such_subteam", err)
	}
	s.AddUserGroup("S0HELPDESK", "U0MARIA")
	if got, err := api.GetUserGroupMembersContext(ctx, "S0HELPDESK"); err != nil || !reflect.DeepEqual(got, []string{"U0MARIA"}) {
		t.Fatalf("after replacing the members: %q, %v", got, err)
	}

	// An empty group answers an empty list, as Slack does, not null.
	s.AddUserGroup("S0EMPTY")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"usergroups.users.list",
		strings.NewReader(url.Values{"token": {token}, "usergroup": {"S0EMPTY"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || string(out["ok"]) != "true" || string(out["users"]) != "[]" {
		t.Fatalf("answer = %s, %v; want ok and users []", out, err)
	}
}
