package mailbox

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// SkuCacheTTL is how long CacheSkus keeps the tenant's subscriptions.
// Every plan reads them (names, service plans, free units); they are
// tenant-wide and change when licenses are bought or assigned. A plan is
// approved minutes to a day after it is made, so its free counts are
// already that old when the change runs; half a minute more does not
// change what the bot can promise, and the assignment itself is checked
// by Microsoft.
const SkuCacheTTL = 30 * time.Second

// CacheSkus returns d with SubscribedSkus answered from a copy kept for
// ttl. Concurrent misses share one Graph call, errors are not kept, and
// an AssignLicenses through the returned Directory drops the copy, so that
// this process's next plan reads Graph again (whose consumed counts may
// themselves lag an assignment; other replicas' and admins' changes show
// within ttl). Measured under the
// acknowledgement load (issue 7): GET /subscribedSkus and its decoding
// were 8% of serve's CPU, once per planned request.
func CacheSkus(d Directory, ttl time.Duration, now func() time.Time) Directory {
	if now == nil {
		now = time.Now
	}
	return &skuCache{Directory: d, ttl: ttl, now: now}
}

// skuReadTimeout bounds the shared read, which no caller can cancel.
const skuReadTimeout = 30 * time.Second

type skuCache struct {
	Directory
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu   sync.Mutex
	skus []Sku
	at   time.Time
	gen  uint64 // counts the copies dropped, so that a read that began before a drop is not kept
}

func (c *skuCache) SubscribedSkus(ctx context.Context) ([]Sku, error) {
	c.mu.Lock()
	if c.skus != nil && c.now().Sub(c.at) < c.ttl {
		skus := cloneSkus(c.skus)
		c.mu.Unlock()
		return skus, nil
	}
	gen := c.gen
	c.mu.Unlock()

	// The shared read outlives a caller that gives up, so that the others
	// waiting on it are not handed that caller's cancellation.
	ch := c.group.DoChan("skus", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), skuReadTimeout)
		defer cancel()
		skus, err := c.Directory.SubscribedSkus(ctx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen == gen {
			c.skus, c.at = skus, c.now()
		}
		c.mu.Unlock()
		return skus, nil
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return cloneSkus(r.Val.([]Sku)), nil
	}
}

func (c *skuCache) AssignLicenses(ctx context.Context, userID string, add, remove []string) error {
	err := c.Directory.AssignLicenses(ctx, userID, add, remove)
	c.mu.Lock()
	c.skus, c.gen = nil, c.gen+1
	c.mu.Unlock()
	c.group.Forget("skus")
	return err
}

// cloneSkus copies skus deeply, so that no caller changes the kept copy.
func cloneSkus(skus []Sku) []Sku {
	out := slices.Clone(skus)
	for i := range out {
		out[i].ServicePlans = slices.Clone(out[i].ServicePlans)
	}
	return out
}
