package bot_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// observed records what the Service tells its Observer.
type observed struct {
	mu          sync.Mutex
	transitions []string
	steps       []string
}

func (o *observed) Transition(op, state string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.transitions = append(o.transitions, op+" "+state)
}

func (o *observed) Step(step, status string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d < 0 {
		status += " (negative duration)"
	}
	o.steps = append(o.steps, step+" "+status)
}

func TestObserverSeesTransitionsAndSteps(t *testing.T) {
	o := &observed{}
	e := newEnv(t, func(c *bot.Config) { c.Observer = o })
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(maria, r.ID, true)
	e.clock.Add(10 * time.Second)
	e.drain()
	if r = e.get(r.ID); r.State != bot.StateSucceeded {
		t.Fatalf("state %s", r.State)
	}
	var wantT []string
	for _, ev := range r.History {
		if ev.To != "" { // creation counts: the request enters pending_approval
			wantT = append(wantT, fmt.Sprintf("%s %s", r.Op.Kind, ev.To))
		}
	}
	if !slices.Equal(o.transitions, wantT) || len(wantT) < 5 {
		t.Errorf("transitions %q, want %q (the request's history)", o.transitions, wantT)
	}
	var wantS []string
	for _, st := range r.Steps {
		if st.Name == mailbox.StepVerifyShared {
			wantS = append(wantS, string(st.Name)+" pending") // ConversionLag 1
		}
		wantS = append(wantS, string(st.Name)+" done")
	}
	if !slices.Equal(o.steps, wantS) {
		t.Errorf("steps %q, want %q", o.steps, wantS)
	}
}
