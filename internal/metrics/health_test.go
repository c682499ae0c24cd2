package metrics

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestRedisUpIsReadAtScrape: the gauge follows each PING, and stays in
// the scrape (at 0) while Redis does not answer.
func TestRedisUpIsReadAtScrape(t *testing.T) {
	m := New()
	if n := testutil.CollectAndCount(m.redisUp); n != 0 {
		t.Fatalf("redis up without a check: %d series, want 0", n)
	}
	var down error
	m.RedisUp(func() error { return down })
	if got := testutil.ToFloat64(m.redisUp); got != 1 {
		t.Fatalf("redis up %v while PING answers, want 1", got)
	}
	down = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	if _, body := scrape(t, m); !strings.Contains(body, "mailboxbot_redis_up 0") {
		t.Fatalf("scrape while Redis is down lacks mailboxbot_redis_up 0:\n%s", grep(body, "mailboxbot_redis"))
	}
	down = nil
	if got := testutil.ToFloat64(m.redisUp); got != 1 {
		t.Fatalf("redis up %v once PING answers again, want 1", got)
	}
}

// TestJobProcessRestartsCountsStartsAfterTheFirst: the first start of the
// job process is not a restart; each later one is.
func TestJobProcessRestartsCountsStartsAfterTheFirst(t *testing.T) {
	m := New()
	if _, body := scrape(t, m); !strings.Contains(body, "mailboxbot_job_process_restarts_total 0") {
		t.Fatalf("the counter is not served before any start:\n%s", grep(body, "mailboxbot_job"))
	}
	m.JobProcessStarted(100)
	if got := testutil.ToFloat64(m.restarts); got != 0 {
		t.Fatalf("restarts %v after the first start, want 0", got)
	}
	m.JobProcessStarted(101)
	m.JobProcessStarted(102)
	if got := testutil.ToFloat64(m.restarts); got != 2 {
		t.Fatalf("restarts %v after three starts, want 2", got)
	}
	var nilM *Metrics
	nilM.JobProcessStarted(1)
	nilM.RedisUp(func() error { return nil })
}
