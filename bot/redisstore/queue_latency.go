package redisstore

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Latency returns how long the oldest job that is due (not scheduled for
// later, not running) has waited for a worker: 0 when none waits. A queue
// that does not drain (no worker runs, or every worker is stuck) shows as
// a latency that keeps growing, whatever the number of jobs scheduled
// for later.
func (q *Queue) Latency(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// A queue that nothing was ever enqueued on is not known to asynq,
	// whose GetQueueInfo then fails with an error of an internal type.
	queues, err := q.inspector.Queues()
	if err != nil {
		return 0, fmt.Errorf("queue %s latency: %w", q.cfg.Name, err)
	}
	if !slices.Contains(queues, q.cfg.Name) {
		return 0, nil
	}
	info, err := q.inspector.GetQueueInfo(q.cfg.Name)
	if err != nil {
		return 0, fmt.Errorf("queue %s latency: %w", q.cfg.Name, err)
	}
	return info.Latency, nil
}
