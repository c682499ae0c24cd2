package handlers

import (
	"testing"
	"time"
)

func TestRegressionBatchIDsNotParsed(t *testing.T) {
	for _, text := range []string{"cancel bat_KVHO7ZSL", "status bat_KVHO7ZSL", "cancel req_KVHO7ZSL_1", "status req_KVHO7ZSL_2"} {
		if _, err := ParseConvert(text, time.Now()); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}
