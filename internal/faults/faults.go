// Package faults schedules injected failures for the fake Microsoft
// servers: the next n requests fail, or every k-th one does, or those over
// a fixed rate are throttled. It decides only which request fails and how;
// each fake writes its own error body.
package faults

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// Fault is one injected failure.
type Fault struct {
	Status     int    // HTTP status, e.g. 429 or 503
	RetryAfter string // the Retry-After header; "" for none
	Body       string // the body; "" lets the fake write its usual error body
}

// Injector is safe for concurrent use; its zero value injects nothing.
type Injector struct {
	mu    sync.Mutex
	next  []Fault
	every int
	evF   Fault
	seen  int

	rate   float64 // requests a second let through; 0: no throttle
	tokens float64
	last   time.Time
	now    func() time.Time
	counts Counts
}

// Counts are what the injector decided so far.
type Counts struct {
	Served    int // let through
	Injected  int // failed by FailNext or FailEvery
	Throttled int // answered 429 by the throttle
}

// Throttle lets at most rate requests a second through from now on, with
// a burst of one second's worth, and answers the others 429 with a
// Retry-After of the whole seconds until a request would pass, as Exchange
// Online's and Graph's throttling do. rate <= 0 turns it off. now is the
// clock; nil means time.Now.
func (i *Injector) Throttle(rate float64, now func() time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if now == nil {
		now = time.Now
	}
	i.rate, i.now = rate, now
	i.tokens, i.last = math.Max(rate, 1), now()
}

// Counts returns what was decided so far.
func (i *Injector) Counts() Counts {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.counts
}

// FailNext makes the next n requests fail with f.
func (i *Injector) FailNext(n int, f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for range n {
		i.next = append(i.next, f)
	}
}

// FailEvery makes every k-th request from now on (the k-th, the 2k-th, ...)
// fail with f; k <= 0 turns it off. FailNext takes precedence.
func (i *Injector) FailEvery(k int, f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.every, i.evF, i.seen = k, f, 0
}

// Take returns the failure for the current request, if any.
func (i *Injector) Take() (Fault, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.next) > 0 {
		f := i.next[0]
		i.next = i.next[1:]
		i.counts.Injected++
		return f, true
	}
	if i.every > 0 {
		i.seen++
		if i.seen%i.every == 0 {
			i.counts.Injected++
			return i.evF, true
		}
	}
	if i.rate > 0 {
		now := i.now()
		i.tokens = math.Min(math.Max(i.rate, 1), i.tokens+now.Sub(i.last).Seconds()*i.rate)
		i.last = now
		if i.tokens < 1 {
			i.counts.Throttled++
			wait := math.Ceil((1 - i.tokens) / i.rate)
			return Fault{Status: 429, RetryAfter: strconv.Itoa(int(math.Max(wait, 1)))}, true
		}
		i.tokens--
	}
	i.counts.Served++
	return Fault{}, false
}
