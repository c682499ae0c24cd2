package bot

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Who approves what: the approval policies and their defaults.

// Approval policies. A policy is one of them or a chain of them, separated
// by commas ("owners,approvers"): the first that finds someone other than
// the requester, who does not gain access by the change (rule 16),
// decides; the configured approvers are asked when none does. PolicyNone
// stands alone.
const (
	// PolicyManager: for a conversion the mailbox owner's manager, for the
	// others the requester's.
	PolicyManager = "manager"
	// PolicyOwners: the people who hold Full Access on the shared mailbox
	// through a direct grant (grant and revoke only).
	PolicyOwners    = "owners"
	PolicyApprovers = "approvers"
	PolicyNone      = "none"
)

// Where a request's approvers came from (Request.ApproverSource): the
// policy element that found them (sourceOf in route.go).
const (
	SourceManager    = "manager"    // PolicyManager: the owner's or the requester's manager
	SourceOwners     = "owners"     // PolicyOwners: the shared mailbox's Full Access holders
	SourceConfigured = "configured" // PolicyApprovers: MAILBOXBOT_APPROVERS and the extra approvers
)

// DefaultPolicy: every change needs a second person (issue 15). Converting
// back to a user mailbox is never approved by the former owner's manager,
// and a grant or revoke by the people who already hold the mailbox.
var DefaultPolicy = map[mailbox.Kind]string{
	mailbox.KindConvertToShared:  PolicyManager,
	mailbox.KindConvertToRegular: PolicyApprovers,
	mailbox.KindCreateShared:     PolicyApprovers,
	mailbox.KindGrant:            PolicyOwners + "," + PolicyApprovers,
	mailbox.KindRevoke:           PolicyOwners + "," + PolicyApprovers,
	mailbox.KindAutoReplyOff:     PolicyOwners + "," + PolicyApprovers,
}

// Why a policy is refused (CheckPolicy).
var (
	ErrPolicyValue       = errors.New("not manager, owners, approvers or none")
	ErrPolicyNoneInChain = errors.New("none stands alone, not in a list")
	ErrPolicyManagerBack = errors.New("manager is not allowed for converting back to a user mailbox: the former owner's manager could hand the requester a way into that account (rule 15)")
	ErrPolicyOwners      = errors.New("owners is only for grant and revoke, on a shared mailbox that already has members")
)

// policySteps splits a policy into its elements, trimmed.
func policySteps(policy string) []string {
	var out []string
	for _, p := range strings.Split(policy, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// CheckPolicy says whether policy may decide operations of kind: each
// element known and once, none alone, owners only for grant and revoke,
// and never manager for converting back to a user mailbox.
func CheckPolicy(kind mailbox.Kind, policy string) error {
	steps := policySteps(policy)
	var seen []string
	for _, p := range steps {
		switch p {
		case PolicyManager:
			if kind == mailbox.KindConvertToRegular {
				return ErrPolicyManagerBack
			}
		case PolicyOwners:
			if kind != mailbox.KindGrant && kind != mailbox.KindRevoke && kind != mailbox.KindAutoReplyOff {
				return ErrPolicyOwners
			}
		case PolicyApprovers:
		case PolicyNone:
			if len(steps) > 1 {
				return ErrPolicyNoneInChain
			}
		default:
			return fmt.Errorf("%q is %w", p, ErrPolicyValue)
		}
		if slices.Contains(seen, p) {
			return fmt.Errorf("%s is listed twice", p)
		}
		seen = append(seen, p)
	}
	return nil
}

// ResolvePolicy is the policy the bot applies: DefaultPolicy overlaid with
// configured (a kind left out keeps its default), each value checked
// (CheckPolicy) and written without spaces. New resolves Config.Policy
// with it; whoever shows the policy (the help) should show this one.
func ResolvePolicy(configured map[mailbox.Kind]string) (map[mailbox.Kind]string, error) {
	policy := map[mailbox.Kind]string{}
	for k, v := range DefaultPolicy {
		policy[k] = v
	}
	for k, v := range configured {
		if err := CheckPolicy(k, v); err != nil {
			return nil, fmt.Errorf("bot: policy for %s: %w", k, err)
		}
		policy[k] = strings.Join(policySteps(v), ",")
	}
	return policy, nil
}
