package faults

import (
	"testing"
	"time"
)

func TestInjector(t *testing.T) {
	var i Injector
	if _, ok := i.Take(); ok {
		t.Fatal("zero value injected a fault")
	}
	i.FailEvery(3, Fault{Status: 503})
	i.FailNext(2, Fault{Status: 429, RetryAfter: "7"})
	var got []int
	for range 8 {
		f, ok := i.Take()
		if !ok {
			f.Status = 200
		}
		got = append(got, f.Status)
	}
	// Two 429s first, then every third of the rest.
	want := []int{429, 429, 200, 200, 503, 200, 200, 503}
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	i.FailEvery(0, Fault{})
	if _, ok := i.Take(); ok {
		t.Error("FailEvery(0) did not turn it off")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var i Injector
	i.Throttle(4, func() time.Time { return now })
	take := func() (int, string) {
		f, ok := i.Take()
		if !ok {
			return 200, ""
		}
		return f.Status, f.RetryAfter
	}
	// A burst of one second's worth passes, the next is throttled.
	for k := range 4 {
		if st, _ := take(); st != 200 {
			t.Fatalf("request %d of the burst: %d", k, st)
		}
	}
	if st, ra := take(); st != 429 || ra != "1" {
		t.Fatalf("over the rate: %d Retry-After %q, want 429 and 1", st, ra)
	}
	// A quarter of a second earns one request at 4/s.
	now = now.Add(250 * time.Millisecond)
	if st, _ := take(); st != 200 {
		t.Fatalf("after a token was earned: %d", st)
	}
	if st, _ := take(); st != 429 {
		t.Fatalf("second request in the same quarter: %d", st)
	}
	// Ten idle seconds do not buy more than the burst.
	now = now.Add(10 * time.Second)
	passed := 0
	for range 10 {
		if st, _ := take(); st == 200 {
			passed++
		}
	}
	if passed != 4 {
		t.Errorf("after idling, %d passed at once, want the burst of 4", passed)
	}
	want := Counts{Served: 9, Throttled: 8}
	if got := i.Counts(); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	// A slow rate asks for a longer wait.
	i.Throttle(0.25, func() time.Time { return now })
	take()
	if st, ra := take(); st != 429 || ra != "4" {
		t.Errorf("at 0.25/s: %d Retry-After %q, want 429 and 4", st, ra)
	}
	i.Throttle(0, nil)
	if st, _ := take(); st != 200 {
		t.Errorf("Throttle(0) did not turn it off: %d", st)
	}
}
