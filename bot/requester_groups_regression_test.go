package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

type deniedGroups struct{ slackDir }

func (deniedGroups) GroupMembers(context.Context, string) ([]string, error) {
	return nil, errors.New("members of slack user group S0HELPDESK: missing_scope")
}

// 10. A group lookup that always fails (missing scope): the command job
// fails and is retried until archived; the requester is never answered.
func TestRegressionRequesterGroupErrorSilent(t *testing.T) {
	e := newEnv(t, func(c *bot.Config) {
		c.Requesters = map[mailbox.Kind][]string{mailbox.KindConvertToShared: {"S0HELPDESK"}}
		c.Slack = deniedGroups{}
	})
	c := bot.Command{Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"}, User: rita, TeamID: "T0001", Channel: "C0HELP"}
	for range 3 {
		err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobCommand, Command: &c})
		t.Logf("job: %v", err)
	}
	if len(e.notes.answers) == 0 {
		t.Errorf("the requester was never answered")
	}
}
