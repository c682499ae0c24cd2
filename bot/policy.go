package bot

import (
	"fmt"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Who approves what: the approval policies and their defaults.

// Approval policies.
const (
	PolicyManager   = "manager"
	PolicyApprovers = "approvers"
	PolicyNone      = "none"
)

// DefaultPolicy: conversions, creations and grants need approval (by a
// manager); revocations do not (issue 4).
var DefaultPolicy = map[mailbox.Kind]string{
	mailbox.KindConvertToShared:  PolicyManager,
	mailbox.KindConvertToRegular: PolicyManager,
	mailbox.KindCreateShared:     PolicyManager,
	mailbox.KindGrant:            PolicyManager,
	mailbox.KindRevoke:           PolicyNone,
}

// withDefaultPolicy is DefaultPolicy overlaid with configured, each value
// checked.
func withDefaultPolicy(configured map[mailbox.Kind]string) (map[mailbox.Kind]string, error) {
	policy := map[mailbox.Kind]string{}
	for k, v := range DefaultPolicy {
		policy[k] = v
	}
	for k, v := range configured {
		switch v {
		case PolicyManager, PolicyApprovers, PolicyNone:
			policy[k] = v
		default:
			return nil, fmt.Errorf("bot: policy for %s: %q is not manager, approvers or none", k, v)
		}
	}
	return policy, nil
}
