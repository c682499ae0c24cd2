package command

import (
	"testing"
	"time"
)

// The ids of a batch (bat_…) and of one mailbox in it (req_…_N) are request
// ids too, for status and cancel.
func TestBatchRequestIDs(t *testing.T) {
	for _, text := range []string{"cancel bat_KVHO7ZSL", "status bat_KVHO7ZSL", "cancel req_KVHO7ZSL_1", "status req_KVHO7ZSL_2"} {
		if _, err := ParseConvert(text, time.Now()); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}
