package bot

import "testing"

// words.State knows the states by their values: a renamed state would
// show people its raw value. This keeps the two in step.
func TestStatesHaveWords(t *testing.T) {
	for _, st := range []State{StatePending, StateApproved, StateWaiting} {
		if got := describeState(st); got == string(st) {
			t.Errorf("state %q has no words: %q", st, got)
		}
	}
}
