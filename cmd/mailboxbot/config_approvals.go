package main

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The settings of two-person approval and escalation (issue 16).

// requiredSetting names the setting of each kind's required approvals.
var requiredSetting = map[mailbox.Kind]string{
	mailbox.KindConvertToShared: "MAILBOXBOT_APPROVALS_REQUIRED_CONVERT", mailbox.KindConvertToRegular: "MAILBOXBOT_APPROVALS_REQUIRED_TO_REGULAR",
	mailbox.KindCreateShared: "MAILBOXBOT_APPROVALS_REQUIRED_CREATE", mailbox.KindGrant: "MAILBOXBOT_APPROVALS_REQUIRED_GRANT", mailbox.KindRevoke: "MAILBOXBOT_APPROVALS_REQUIRED_REVOKE",
}

// extraSetting names the extra approvers' setting of each kind.
var extraSetting = map[mailbox.Kind]string{
	mailbox.KindConvertToShared: "MAILBOXBOT_EXTRA_APPROVERS_CONVERT", mailbox.KindConvertToRegular: "MAILBOXBOT_EXTRA_APPROVERS_CONVERT",
	mailbox.KindCreateShared: "MAILBOXBOT_EXTRA_APPROVERS_CREATE", mailbox.KindGrant: "MAILBOXBOT_EXTRA_APPROVERS_GRANT", mailbox.KindRevoke: "MAILBOXBOT_EXTRA_APPROVERS_REVOKE",
}

// approvalsRequired maps the MAILBOXBOT_APPROVALS_REQUIRED_* settings.
func (c Config) approvalsRequired() map[mailbox.Kind]int {
	return map[mailbox.Kind]int{
		mailbox.KindConvertToShared: c.RequiredConvert, mailbox.KindConvertToRegular: c.RequiredToRegular,
		mailbox.KindCreateShared: c.RequiredCreate, mailbox.KindGrant: c.RequiredGrant, mailbox.KindRevoke: c.RequiredRevoke,
	}
}

// checkRequired refuses a required count below 1, or larger than the
// number of people who could ever approve under the policy when that is
// known (bot.MostApprovers), saying what to set.
func (c Config) checkRequired() []string {
	var p []string
	policy, err := bot.ResolvePolicy(c.policy())
	if err != nil {
		policy = nil // said by the policy's own check
	}
	extras := c.extraApprovers()
	for _, kind := range []mailbox.Kind{mailbox.KindConvertToShared, mailbox.KindConvertToRegular, mailbox.KindCreateShared, mailbox.KindGrant, mailbox.KindRevoke} {
		name, n := requiredSetting[kind], c.approvalsRequired()[kind]
		if n < 1 || n > 10 {
			p = append(p, fmt.Sprintf("%s=%d must be between 1 and 10: how many different people must approve", name, n))
			continue
		}
		if n == 1 || policy == nil {
			continue
		}
		most, known := bot.MostApprovers(kind, policy[kind], trimmed(c.Approvers), extras[kind], c.Escalate)
		if !known || n <= most {
			continue
		}
		what := fmt.Sprintf("%s=%d, but at most %d people can approve under %s=%s", name, n, most, policySetting[kind], policy[kind])
		switch steps := strings.Split(policy[kind], ","); steps[0] {
		case bot.PolicyNone:
			p = append(p, what+": nobody approves under none; set "+name+"=1, or choose a policy that asks someone")
		case bot.PolicyManager:
			fix := fmt.Sprintf("set %s=%d, or add approvers to %s", name, most, extraSetting[kind])
			if c.Escalate {
				fix += " or MAILBOXBOT_APPROVERS"
			} else {
				fix += ", or turn on MAILBOXBOT_ESCALATE=true with MAILBOXBOT_APPROVERS so that the configured approvers make up the count"
			}
			p = append(p, what+" (the manager, plus the extra and escalated approvers): "+fix)
		default:
			p = append(p, fmt.Sprintf("%s (MAILBOXBOT_APPROVERS and %s): set %s=%d, or add approvers", what, extraSetting[kind], name, most))
		}
	}
	return p
}
