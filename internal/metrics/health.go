package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RedisUp sets the function that checks, at each scrape, that Redis
// answers (the store's PING, bounded by a timeout); nil removes it.
// mailboxbot_redis_up is then 1 when it returns nil, else 0: unlike the
// queue depth, the gauge is there when Redis is not, for an alert.
func (m *Metrics) RedisUp(f func() error) {
	if m == nil {
		return
	}
	if f == nil {
		m.redisUp.set(nil)
		return
	}
	m.redisUp.set(func() (float64, error) {
		if f() != nil {
			return 0, nil
		}
		return 1, nil
	})
}

// QueueLatency sets the function that reads, at each scrape, how long the
// oldest job that is due has waited for a worker (0 when none waits;
// redisstore.Queue.Latency); nil removes it. A queue that does not drain
// shows as a latency that keeps growing.
func (m *Metrics) QueueLatency(f func() (time.Duration, error)) {
	if m == nil {
		return
	}
	if f == nil {
		m.latency.set(nil)
		return
	}
	m.latency.set(func() (float64, error) {
		d, err := f()
		return d.Seconds(), err
	})
}

func newLatencyCollector() *readCollector {
	return &readCollector{what: "queue latency", desc: prometheus.NewDesc("mailboxbot_queue_latency_seconds",
		"How long the oldest job that is due has waited for a worker (0: none waits), read at scrape time.", nil, nil)}
}

// JobProcessStarted counts a start of serve's job process (jobproc's
// Started): every start after the first is a restart, counted in
// mailboxbot_job_process_restarts_total.
func (m *Metrics) JobProcessStarted(pid int) {
	if m == nil {
		return
	}
	if m.jobStarted.Swap(true) {
		m.restarts.Inc()
	}
}

func newRestarts() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: "mailboxbot_job_process_restarts_total",
		Help: "Times serve started its job process again after it exited (it died or was killed).",
	})
}

func newUpCollector() *readCollector {
	return &readCollector{what: "redis up", desc: prometheus.NewDesc("mailboxbot_redis_up",
		"1 when Redis answered PING at scrape time, 0 when it did not.", nil, nil)}
}
