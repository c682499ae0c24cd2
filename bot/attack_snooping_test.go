package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
)

// answerSpy keeps every Answer whole (notes keeps its text).
type answerSpy struct {
	*notes
	mu  sync.Mutex
	all []bot.Answer
	who []string
}

func (s *answerSpy) Answer(ctx context.Context, to bot.ReplyTo, a bot.Answer) error {
	s.mu.Lock()
	s.all, s.who = append(s.all, a), append(s.who, to.User)
	s.mu.Unlock()
	return s.notes.Answer(ctx, to, a)
}

// to returns the answers given to user.
func (s *answerSpy) to(user string) []bot.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.Answer
	for i, a := range s.all {
		if s.who[i] == user {
			out = append(out, a)
		}
	}
	return out
}

// Attack: someone who neither asked nor approves (erin) reads or cancels
// another person's request or batch by its id. They are told it is not
// theirs, and the answer carries nothing of the request.
func TestAttackStatusAndCancelOfSomeoneElsesRequest(t *testing.T) {
	e := newEnv(t, nil)
	spy := &answerSpy{notes: e.notes}
	e.cfg.Notifier = spy
	e.restart()
	e.command(rita, "rita@contoso.com")
	r := e.request("rita@contoso.com")
	batch := e.askBatch()
	before := e.changes()
	for _, id := range []string{r.ID, batch, strings.Replace(batch, "bat_", "req_", 1) + "_1"} {
		for _, action := range []string{bot.CommandStatus, bot.CommandCancel} {
			answers := len(e.notes.answers)
			if err := e.svc.AcceptCommand(context.Background(), bot.Command{Action: action, RequestID: id, User: erin, TeamID: "T0001", Channel: "C0HELP"}); err != nil {
				t.Fatal(err)
			}
			e.drain()
			e.notes.mu.Lock()
			got := strings.Join(e.notes.answers[answers:], "\n")
			e.notes.mu.Unlock()
			if !strings.Contains(got, erin+": ") {
				t.Errorf("%s %s: erin was not answered", action, id)
			}
			for _, a := range spy.to(erin) {
				if a.Plan != nil || a.Request != nil || a.Batch != nil {
					t.Errorf("%s %s: erin's answer carries the request: %+v", action, id, a)
				}
			}
			for _, secret := range []string{"alice@contoso.com", "irene@contoso.com", "rita@contoso.com", "litigation"} {
				if strings.Contains(got, secret) {
					t.Errorf("%s %s: erin was shown %q: %s", action, id, secret, got)
				}
			}
		}
	}
	e.undecided(before, batch, r.ID)
}
