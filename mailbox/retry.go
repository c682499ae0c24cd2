package mailbox

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps a Retry-After that Microsoft sends.
const MaxRetryAfter = 5 * time.Minute

// ParseRetryAfter reads a Retry-After header: seconds (a fraction allowed)
// or an HTTP date, at most MaxRetryAfter; ok is false when v is empty,
// negative or unreadable.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s >= 0) || math.IsInf(s, 1) { // negative, NaN or infinite
			return 0, false
		}
		return time.Duration(min(s, MaxRetryAfter.Seconds()) * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// RetryBudget is the retry policy of the Graph and Exchange clients for one
// request. Microsoft's own Retry-After of a second or more is followed for
// as long as the wait budget lasts, however many times it comes: under a
// tenant's sustained throttling, a count would give up on a request that
// only had to queue. Guessed delays (no Retry-After), and a shorter
// Retry-After (0 would never exhaust the budget), count against MaxRetries.
type RetryBudget struct {
	MaxRetries int           // retries that count; 0 or less: none
	MaxWait    time.Duration // all the waiting for one request
	waited     time.Duration
	counted    int
}

// Allow reports whether to wait d and try again, and if so takes d from
// the budget. told says that d is the server's Retry-After.
func (b *RetryBudget) Allow(d time.Duration, told bool) bool {
	counts := !told || d < time.Second
	if counts && b.counted >= b.MaxRetries || b.waited+d > b.MaxWait {
		return false
	}
	if counts {
		b.counted++
	}
	b.waited += d
	return true
}

// Counted returns how many counted retries were allowed so far: the
// exponent of the next guessed back-off.
func (b *RetryBudget) Counted() int { return b.counted }

// Waited returns the waiting allowed so far.
func (b *RetryBudget) Waited() time.Duration { return b.waited }
