package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Messages of a batch (several mailboxes at once): one approval message and
// one report for all of them; what is common to every mailbox once, then
// each mailbox's own.

var _ bot.BatchNotifier = (*Slack)(nil)

// maxBatchLines bounds the mailboxes a batch lists as not requested.
const maxBatchLines = 400

// BatchApproval posts an approver's message for b (ref nil) or updates it.
func (s *Slack) BatchApproval(ctx context.Context, b *bot.Batch, reqs []*bot.Request, approver string, ref *bot.MessageRef) (bot.MessageRef, error) {
	text, blocks := batchApprovalText(b, len(reqs)), BatchApprovalBlocks(b, reqs, s.now())
	if ref == nil {
		return s.dm(ctx, approver, text, blocks)
	}
	return *ref, s.update(ctx, *ref, text, blocks)
}

// BatchReport posts the requester's report of b (channel "") or the audit
// channel's message of b, or updates it (ref set).
func (s *Slack) BatchReport(ctx context.Context, channel string, b *bot.Batch, reqs []*bot.Request, ref *bot.MessageRef) (bot.MessageRef, error) {
	text, blocks := dryTag(b.Op)+batchHeadline(b, len(reqs)), BatchReportBlocks(b, reqs, s.now())
	switch {
	case ref != nil:
		return *ref, s.update(ctx, *ref, text, blocks)
	case channel == "":
		return s.dm(ctx, b.Requester, text, blocks)
	}
	return s.post(ctx, channel, text, blocks)
}

func batchHeadline(b *bot.Batch, n int) string {
	return words.BatchHeadline(b.Requester, b.Op.Kind, n, b.ID)
}

func batchApprovalText(b *bot.Batch, n int) string {
	return dryTag(b.Op) + batchHeadline(b, n) + words.BatchFallbackState(b.Decision != nil)
}

// BatchApprovalBlocks shows b to an approver, the whole plan: first what
// is common to every mailbox (DRY RUN, the options with every right given
// and every weakened default, the schedule), never cut; why the reader
// approves; the steps; then each mailbox with what is its own (type, size,
// deleted user, licenses kept and why, findings). Mailboxes that do not
// fit in Slack's 50 blocks are counted, with the status command that shows
// them all. Then the buttons while undecided (the confirm dialog names the
// rights and the weakened defaults), else who decided and when.
func BatchApprovalBlocks(b *bot.Batch, reqs []*bot.Request, now time.Time) []slack.Block {
	head := []slack.Block{section("batch", "*"+batchHeadline(b, len(reqs))+"*")}
	head = append(head, batchCommonBlocks(b)...)
	head = append(head, contextBlock("approver", batchApproverReason(b, reqs)))
	head = append(head, batchStepsBlocks(reqs)...)

	var tail []slack.Block
	if len(b.Refused) > 0 {
		tail = append(tail, textSections("refused", append([]string{words.NotRequested}, mrkdwn.EscapeAll(b.Refused)...))...)
	}
	switch d := b.Decision; {
	case d != nil:
		tail = append(tail, section("decision", decidedIcon(d)+" "+decidedBy(d)))
	case !slices.ContainsFunc(reqs, func(r *bot.Request) bool { return r.State == bot.StatePending }):
		tail = append(tail, section("decision", words.BatchNoLongerWaiting))
	default:
		tail = append(tail, contextBlock("why", words.ExpiresRef(words.ExpiresAt(b.ExpiresAt, now), b.ID)),
			batchDecisionButtons(b, len(reqs)))
	}
	if v := batchApprovalsBlock(b); v != nil {
		tail = slices.Insert(tail, 0, v)
	}

	rows := batchMailboxBlocks("mailboxes", b, reqs, maxBlocks-len(head)-len(tail))
	return slices.Concat(head, rows, tail)
}

// batchMailboxBlocks is each mailbox of b with what is its own
// (batchMailboxEntry), in at most room sections (block ids id-0, id-1…);
// those that do not fit are counted, with the status command that shows
// them all.
func batchMailboxBlocks(id string, b *bot.Batch, reqs []*bot.Request, room int) []slack.Block {
	entries := make([]string, len(reqs))
	for i, r := range reqs {
		entries[i] = batchMailboxEntry(r)
	}
	return packSections(id, entries, room, func(n int) string {
		return words.BatchMoreToApprove(n, b.ID)
	})
}

// maxBlocks is Slack's limit on the blocks of a message.
const maxBlocks = 50

// batchCommonBlocks is what is common to every mailbox of b: the DRY RUN
// mark and each fact of b.Op (planFacts), one a line, in as many sections
// as they need: never cut.
func batchCommonBlocks(b *bot.Batch) []slack.Block {
	var blocks []slack.Block
	if b.Op.Options.DryRun {
		blocks = append(blocks, section("dry_run", DryRunNote))
	}
	fs, _ := planFacts(b.Op, nil, b.Requester)
	if len(fs) == 0 {
		return blocks
	}
	lines := []string{words.ForEveryMailbox}
	for _, f := range fs {
		lines = append(lines, "• "+f.text)
	}
	for i, part := range SplitText(strings.Join(lines, "\n"), maxSectionText) {
		blocks = append(blocks, section(fmt.Sprintf("common-%d", i), part))
	}
	return blocks
}

// batchDecisionButtons is Approve all (with a confirm dialog naming the
// rights and weakened defaults of b.Op) and Reject all.
func batchDecisionButtons(b *bot.Batch, n int) *slack.ActionBlock {
	title, head := words.BatchApproveTitle(b.Op.Options.DryRun), words.BatchConfirmHead(b.Op.Kind, b.Op.Options, n)
	fs, _ := planFacts(b.Op, nil, b.Requester)
	approve := slack.NewButtonBlockElement(ActionApprove, b.ID, plain(words.ApproveAll, 75)).
		WithStyle(slack.StylePrimary).
		WithConfirm(slack.NewConfirmationBlockObject(plain(title, maxTitleText),
			plain(confirmText(head, fs), maxConfirmText),
			plain(words.ApproveButton, 30), plain(words.CancelButton, 30)))
	reject := slack.NewButtonBlockElement(ActionReject, b.ID, plain(words.RejectAll, 75)).WithStyle(slack.StyleDanger)
	return slack.NewActionBlock(DecisionBlockID+b.ID, approve, reject)
}

// batchApproverReason tells the approver of a batch why they are asked.
func batchApproverReason(b *bot.Batch, reqs []*bot.Request) string {
	if len(reqs) == 0 {
		return words.BatchAskedAsApprover
	}
	switch reqs[0].ApproverSource {
	case bot.SourceManager:
		return words.BatchAskedAsManager
	case bot.SourceOwners:
		return words.BatchAskedAsOwner
	case bot.SourceConfigured:
		return words.BatchAskedConfigured(b.ApproverNote)
	}
	return words.BatchAskedAsApprover
}

// batchStepsShown is how many different step lists a batch shows.
const batchStepsShown = 3

// batchStepsBlocks is the steps of a batch's mailboxes, once for each
// different list of steps (a deleted user's mailbox has more), naming the
// first mailbox of each; past batchStepsShown lists, how many mailboxes
// have others and where to see them.
func batchStepsBlocks(reqs []*bot.Request) []slack.Block {
	type group struct {
		r *bot.Request
		n int
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, r := range reqs {
		var key strings.Builder
		for _, st := range r.Plan.Steps {
			key.WriteString(st.Title + "\x00")
		}
		g := byKey[key.String()]
		if g == nil {
			g = &group{r: r}
			byKey[key.String()] = g
			groups = append(groups, g)
		}
		g.n++
	}
	var blocks []slack.Block
	others := 0
	for i, g := range groups {
		if i >= batchStepsShown {
			others += g.n
			continue
		}
		header := words.StepsForEach
		if len(groups) > 1 {
			header = words.StepsFor(g.r.Op.Mailbox, g.n-1)
		}
		for j, part := range SplitText(planStepsText(g.r.Plan.Steps, header), maxSectionText) {
			blocks = append(blocks, section(fmt.Sprintf("steps-%d-%d", i, j), part))
		}
	}
	if others > 0 {
		blocks = append(blocks, contextBlock("steps_more", words.StepsOfTheirOwn(others)))
	}
	return blocks
}

// batchMailboxEntry is what is a mailbox's own in a batch: its address,
// display name, type, deleted user, size, why its licenses stay, and its
// findings.
func batchMailboxEntry(r *bot.Request) string {
	line := "• " + targetText(r.Op, r.Plan.Target)
	if t := r.Plan.Target.LicensesKept; t != "" && r.Op.Kind == mailbox.KindConvertToShared && !r.Op.Options.KeepLicenses {
		line += words.LicensesKeptBecause(t)
	}
	for _, f := range findingLines(r.Plan.Findings) {
		line += "\n      " + f
	}
	return line
}

// BatchReportBlocks shows how each mailbox of b is doing, with counts,
// under what is common to every mailbox (DRY RUN, the options). Mailboxes
// that do not fit in Slack's 50 blocks are counted, with the status
// command that shows them all. Failures that may still be retried at now
// get one Retry button.
func BatchReportBlocks(b *bot.Batch, reqs []*bot.Request, now time.Time) []slack.Block {
	count := map[bot.State]int{}
	var lines []string
	for _, r := range reqs {
		count[r.State]++
		line := fmt.Sprintf("%s %s — %s", StateIcon(r.State), mrkdwn.Escape(r.Op.Mailbox), stateName(r.State))
		if r.Failure != "" {
			line += ": " + mrkdwn.Escape(truncate(r.Failure, maxErrorText))
		}
		lines = append(lines, line)
	}
	var sums []string
	for _, st := range []bot.State{bot.StateSucceeded, bot.StateFailed, bot.StateRunning, bot.StateWaiting, bot.StateApproved, bot.StatePending, bot.StateRejected, bot.StateExpired, bot.StateCancelled} {
		if count[st] > 0 {
			sums = append(sums, fmt.Sprintf("%d %s", count[st], stateName(st)))
		}
	}
	head := []slack.Block{section("batch", "*"+batchHeadline(b, len(reqs))+"*\n"+strings.Join(sums, " · "))}
	head = append(head, batchCommonBlocks(b)...)
	if d := b.Decision; d != nil {
		head = append(head, contextBlock("decision", decidedBy(d)+"."))
	}
	var tail []slack.Block
	if len(b.Refused) > 0 {
		tail = append(tail, textSections("refused", append([]string{words.NotRequested}, mrkdwn.EscapeAll(b.Refused)...))...)
	}
	// Failed mailboxes that may still be retried: one button for them all.
	if slices.ContainsFunc(reqs, func(r *bot.Request) bool { return CanRetry(r, now) }) {
		retry := slack.NewButtonBlockElement(ActionRetry, b.ID, plain(words.RetryFailed, 75)).
			WithConfirm(slack.NewConfirmationBlockObject(plain(words.RetryFailedTitle, maxTitleText),
				plain(words.RetryFailedDetail, maxConfirmText),
				plain(words.RetryOK, 30), plain(words.CancelButton, 30)))
		tail = append(tail, slack.NewActionBlock(RetryBlockID+b.ID, retry))
	}
	rows := packSections("mailboxes", lines, maxBlocks-len(head)-len(tail), func(n int) string {
		return words.BatchMoreReported(n, b.ID)
	})
	return slices.Concat(head, rows, tail)
}

// maxBatchSection is what one section of a batch's mailboxes holds, within
// Slack's 3000 characters.
const maxBatchSection = 2900

// packSections puts entries, each whole, into sections of at most
// maxBatchSection characters, and at most room sections (at least one).
// When they do not all fit, the last section says how many were left out:
// more(n).
func packSections(id string, entries []string, room int, more func(n int) string) []slack.Block {
	var (
		pieces []string
		shown  []int // entries in pieces[:i+1]
		cur    strings.Builder
		n      int
	)
	for _, e := range entries {
		e = truncate(e, maxBatchSection)
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(e) > maxBatchSection {
			pieces, shown = append(pieces, cur.String()), append(shown, n)
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(e)
		n++
	}
	if cur.Len() > 0 {
		pieces, shown = append(pieces, cur.String()), append(shown, n)
	}
	room = max(room, 1)
	if len(pieces) > room {
		left := len(entries)
		if room > 1 {
			left -= shown[room-2]
		}
		pieces = append(pieces[:room-1], more(left))
	}
	blocks := make([]slack.Block, len(pieces))
	for i, p := range pieces {
		blocks[i] = section(fmt.Sprintf("%s-%d", id, i), p)
	}
	return blocks
}

// textSections puts lines into as few sections as Slack allows.
func textSections(id string, lines []string) []slack.Block {
	if len(lines) > maxBatchLines {
		lines = append(lines[:maxBatchLines], words.AndMore(len(lines)-maxBatchLines))
	}
	var blocks []slack.Block
	for i, part := range SplitText(strings.Join(lines, "\n"), 2900) {
		blocks = append(blocks, section(fmt.Sprintf("%s-%d", id, i), part))
	}
	return blocks
}
