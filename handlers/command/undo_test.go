package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

// `undo <request id>` on both commands (issue 16).
func TestUndoCommand(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, parse := range []func(string) (Parsed, error){
		func(s string) (Parsed, error) { return ParseConvert(s, now) },
		ParseShared,
	} {
		p, err := parse("undo req_k7q3zd2m")
		if err != nil || p.Verb != VerbRequest || p.Action != bot.CommandUndo || p.RequestID != "req_K7Q3ZD2M" {
			t.Errorf("undo req_k7q3zd2m: %+v %v", p, err)
		}
		var ue *UsageError
		if _, err := parse("undo"); !errors.As(err, &ue) || !strings.Contains(ue.Error(), "needs a request id") {
			t.Errorf("undo without an id: %v", err)
		}
		if _, err := parse("undo alice@contoso.com"); !errors.As(err, &ue) {
			t.Errorf("undo of a mailbox: %v", err)
		}
	}
	for _, help := range []string{ConvertHelp("/convert-mailbox", PageOverview, nil), SharedHelp("/shared-mailbox", PageOverview, nil)} {
		if !strings.Contains(help, " undo &lt;request id&gt;`") || !strings.Contains(help, "MAILBOXBOT_UNDO_WINDOW") {
			t.Errorf("help does not tell of undo:\n%s", help)
		}
	}
}
