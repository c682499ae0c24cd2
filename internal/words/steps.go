package words

import (
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// The words of a request's steps with their status, of what was done
// before a failure, and the marks of a dry run.

// DryRunNote marks every message about a dry run.
const DryRunNote = "🧪 *DRY RUN*: nothing is changed in the tenant; each step reports what it would do and send."

// DryRunFallback tags the plain-text fallback of a message about a dry run.
const DryRunFallback = "[DRY RUN] "

// TooLong ends an answer too long for one Slack message.
const TooLong = "_(The rest is too long for one Slack message.)_"

// The status words of a step; detail, when set, is already mrkdwn.
const (
	WouldRun    = " — _would run_"
	StepSkipped = " — skipped"
	StepWaiting = " — waiting"
	StepFailed  = " — *failed*"
	StepNotRun  = " — not run"
	NotRun      = "not run"
)

// WouldRunDetail: what a dry run's step would have done.
func WouldRunDetail(detail string) string { return " — _would run: " + detail + "_" }

// StepDetail: a step's detail, after its title or status.
func StepDetail(detail string) string { return " — _" + detail + "_" }

// StatusDetail: a status's detail, after the status.
func StatusDetail(detail string) string { return ": _" + detail + "_" }

// StepRetrying: a step being retried after a passing fault.
func StepRetrying(detail string) string { return " — retrying: _" + detail + "_" }

// AfterAttempts: a step failed after n attempts.
func AfterAttempts(n int) string { return fmt.Sprintf(" after %d attempts", n) }

// DryRunNothingChanged: a dry run that stopped.
const DryRunNothingChanged = "*Dry run:* nothing was changed in the tenant."

// WhyStopped: why a request stopped, on a line of its own (mrkdwn).
func WhyStopped(why string) string { return "\n" + WhyItStopped + why }

// WasAlreadySo: a step skipped as already done.
func WasAlreadySo(step int, title string) string {
	return fmt.Sprintf("%d. %s (was already so)", step, mrkdwn.Escape(title))
}

// AlreadyDone: the steps done before a failure (NumberedStep, WasAlreadySo).
func AlreadyDone(done []string) string {
	if len(done) == 0 {
		return "*Already done:* nothing; no change was made before the failure."
	}
	return "*Already done:* " + strings.Join(done, "; ") + ". The other steps were not run."
}
