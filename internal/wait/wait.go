// Package wait holds the one sleep that the bot's retries share.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or less when ctx ends first (then it returns ctx's
// error). A d of zero or less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
