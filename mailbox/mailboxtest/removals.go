package mailboxtest

import (
	"slices"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Removals lists the steps of p that act on another mailbox than the
// request's (Step.On), as "step mailbox", sorted: what a remove-access plan
// takes away (rule 18).
func Removals(p mailbox.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		if s.On != "" {
			out = append(out, string(s.Name)+" "+s.On)
		}
	}
	slices.Sort(out)
	return out
}
