package bot_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/mailboxbot/mailboxbot/bot"
)

// beforeWrite is the Store with a memory of each request as it was before
// its last Update, to play a failover that loses that write.
type beforeWrite struct {
	bot.Store
	mu     sync.Mutex
	before map[string]*bot.Request
}

func (s *beforeWrite) Update(ctx context.Context, id string, f func(*bot.Request) error) (*bot.Request, error) {
	if r, err := s.Store.Get(ctx, id); err == nil {
		s.mu.Lock()
		s.before[id] = r
		s.mu.Unlock()
	}
	return s.Store.Update(ctx, id, f)
}

// TestRunJobOfALostWaitIsRun: a step that must wait queues its next run,
// then records the wait (RunSeq+1). A Redis failover that loses the last
// acknowledged writes can keep the job and lose the record (asynchronous
// replication loses the newest writes; the queue's and the request's are
// separate). The next run's job is then newer than the request: it must
// carry the work on, not be dropped as stale, else the conversion stops
// half way until the queue's lease recovery, or for ever.
func TestRunJobOfALostWaitIsRun(t *testing.T) {
	var bw *beforeWrite
	e := newEnv(t, func(c *bot.Config) {
		bw = &beforeWrite{Store: c.Store, before: map[string]*bot.Request{}}
		c.Store = bw
	})
	e.command(rita, "alice@contoso.com")
	r := e.request("alice@contoso.com")
	e.click(r.Approvers[0], r.ID, true)
	waiting := e.get(r.ID)
	if waiting.State != bot.StateWaiting {
		t.Fatalf("state %s after the approval, want waiting for Exchange", waiting.State)
	}
	// The failover: the request as it was before the wait was recorded.
	bw.mu.Lock()
	lost := bw.before[r.ID]
	bw.mu.Unlock()
	if lost.RunSeq != waiting.RunSeq-1 || lost.State != bot.StateRunning {
		t.Fatalf("before the wait: seq %d, %s; want %d, running", lost.RunSeq, lost.State, waiting.RunSeq-1)
	}
	data, err := json.Marshal(lost)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.Set(context.Background(), e.prefix+"req:"+r.ID, data, 0).Err(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(waiting.NextRunAt.Sub(e.clock.Now()))
	e.drain()
	done := e.untilSettled(r.ID)
	if done.State != bot.StateSucceeded {
		t.Fatalf("state %s after the wait's job ran, want succeeded", done.State)
	}
	for kind, n := range e.tenant.ChangeCount("alice@contoso.com") {
		if n != 1 {
			t.Errorf("%s made %d times", kind, n)
		}
	}
}
