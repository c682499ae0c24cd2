package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
)

// GroupMembers returns the user ids of the Slack user group groupID
// (usergroups.users.list, which needs the usergroups:read scope), as Slack
// lists them. It returns an error wrapping bot.ErrNoSlackGroup when Slack
// does not know the group (no_such_subteam). A 429 is waited out like
// every call.
func (s *Slack) GroupMembers(ctx context.Context, groupID string) ([]string, error) {
	var members []string
	err := s.call(ctx, "usergroups.users.list", func() error {
		var err error
		members, err = s.api.GetUserGroupMembersContext(ctx, groupID)
		return err
	})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "no_such_subteam" {
		return nil, fmt.Errorf("members of slack user group %s: %s: %w", groupID, se.Err, bot.ErrNoSlackGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("members of slack user group %s: %w", groupID, err)
	}
	return members, nil
}
