package redistest

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Counter counts the commands a client sends, each command of a pipeline
// or transaction as one: what a piece of code costs Redis, independent of
// the machine's speed.
type Counter struct{ n atomic.Int64 }

// Count adds a Counter to rdb's hooks.
func Count(rdb *redis.Client) *Counter {
	c := &Counter{}
	rdb.AddHook(c)
	return c
}

// Take returns the commands counted since the last Take and starts again.
func (c *Counter) Take() int64 { return c.n.Swap(0) }

// DialHook is part of redis.Hook.
func (c *Counter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook is part of redis.Hook.
func (c *Counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}

// ProcessPipelineHook is part of redis.Hook.
func (c *Counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(int64(len(cmds))); return next(ctx, cmds) }
}
