package notify

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The steps of a request with their status, and the state of a request.

// StepIcon is the icon of a step's status.
func StepIcon(s mailbox.Status) string {
	switch s {
	case mailbox.Done:
		return "✅"
	case mailbox.Skipped:
		return "⏭️"
	case mailbox.Pending:
		return "⏳"
	case bot.StepFailed:
		return "❌"
	}
	return "▫️"
}

func stepStates(r *bot.Request) []bot.StepState {
	if len(r.Steps) > 0 {
		return r.Steps
	}
	out := make([]bot.StepState, len(r.Plan.Steps))
	for i, s := range r.Plan.Steps {
		out[i].Step = s
	}
	return out
}

// DryRunIcon marks a step of a dry run that reports what it would do.
const DryRunIcon = "🧪"

// stepLine renders one step. In a dry run a done step says what it would
// have done (its detail, "would …", written by the bot). A pending step
// whose last attempt met a passing fault (Error set) is being retried.
func stepLine(r *bot.Request, i int, s bot.StepState) string {
	icon := StepIcon(s.Status)
	dry := r.Op.Options.DryRun && s.Status == mailbox.Done
	if dry {
		icon = DryRunIcon
	}
	line := fmt.Sprintf("%s %d. %s", icon, i+1, mrkdwn.Escape(s.Title))
	detail := mrkdwn.Escape(s.Detail)
	switch s.Status {
	case mailbox.Done:
		switch {
		case dry && detail == "":
			line += words.WouldRun
		case dry && !strings.HasPrefix(strings.ToLower(s.Detail), "would"):
			line += words.WouldRunDetail(detail)
		case detail != "":
			line += words.StepDetail(detail)
		}
	case mailbox.Skipped:
		line += words.StepSkipped
		if detail != "" {
			line += words.StatusDetail(detail)
		}
	case mailbox.Pending:
		if s.Error != "" {
			if detail == "" {
				detail = mrkdwn.Escape(truncate(s.Error, maxErrorText))
			}
			line += words.StepRetrying(detail)
			break
		}
		line += words.StepWaiting
		if detail != "" {
			line += words.StatusDetail(detail)
		}
	case bot.StepFailed:
		line += words.StepFailed
		if s.Attempts > 1 {
			line += words.AfterAttempts(s.Attempts)
		}
		if s.Error != "" {
			line += "\n" + mrkdwn.Quote(mrkdwn.Escape(truncate(s.Error, maxErrorText)))
		} else if detail != "" {
			line += words.StatusDetail(detail)
		}
	default:
		line += words.StepNotRun
	}
	return line
}

func failed(r *bot.Request) bool {
	if r.State == bot.StateFailed {
		return true
	}
	for _, s := range r.Steps {
		if s.Status == bot.StepFailed {
			return true
		}
	}
	return false
}

// StepsBlocks renders a request's steps with their status (✅ done, 🧪
// what a dry run would do, ⏭️ skipped, ⏳ waiting or retrying, ❌ failed
// with Microsoft's error quoted, ▫️ not run) and, when the request failed,
// what had already been done.
func StepsBlocks(r *bot.Request) []slack.Block {
	steps := stepStates(r)
	if len(steps) == 0 {
		return nil
	}
	lines := []string{words.StepsHeader}
	for i, s := range steps {
		lines = append(lines, stepLine(r, i, s))
	}
	blocks := []slack.Block{section("steps", strings.Join(lines, "\n"))}
	if failed(r) && r.Op.Options.DryRun {
		t := words.DryRunNothingChanged
		if r.Failure != "" {
			t += words.WhyStopped(mrkdwn.Escape(truncate(r.Failure, maxErrorText)))
		}
		blocks = append(blocks, section("failure", t))
	} else if failed(r) {
		var done []string
		for i, s := range steps {
			switch s.Status {
			case mailbox.Done:
				done = append(done, fmt.Sprintf("%d. %s", i+1, mrkdwn.Escape(s.Title)))
			case mailbox.Skipped:
				done = append(done, words.WasAlreadySo(i+1, s.Title))
			}
		}
		t := words.AlreadyDone(done)
		if r.Failure != "" {
			t += words.WhyStopped(mrkdwn.Escape(truncate(r.Failure, maxErrorText)))
		}
		blocks = append(blocks, section("failure", t))
	}
	return blocks
}

// stepsText is a plain-text rendering of the steps, for fallbacks.
func stepsText(r *bot.Request) string {
	var parts []string
	for i, s := range stepStates(r) {
		st := string(s.Status)
		if st == "" {
			st = words.NotRun
		}
		parts = append(parts, fmt.Sprintf("%d. %s: %s", i+1, mrkdwn.Escape(s.Title), st))
	}
	return strings.Join(parts, "; ")
}

// StateIcon is the icon of a request's state.
func StateIcon(s bot.State) string {
	switch s {
	case bot.StatePending, bot.StateWaiting:
		return "⏳"
	case bot.StateApproved:
		return "👍"
	case bot.StateRejected, bot.StateFailed:
		return "❌"
	case bot.StateExpired:
		return "⌛"
	case bot.StateCancelled:
		return "🚫"
	case bot.StateRunning:
		return "🔄"
	case bot.StateSucceeded:
		return "✅"
	}
	return "•"
}

// stateName is a request's state as people read it: "pending approval".
func stateName(s bot.State) string {
	return mrkdwn.Escape(strings.ReplaceAll(string(s), "_", " "))
}

func stateText(s bot.State) string {
	return StateIcon(s) + " " + stateName(s)
}
