package faults

import "testing"

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
