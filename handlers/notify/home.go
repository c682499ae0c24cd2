package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The App Home tab: what waits for the user's decision (with the Approve
// and Reject buttons of the approval message), their recent requests and,
// for the admins, everyone's.

// MaxHomeBlocks is Slack's limit on the blocks of a view.
const MaxHomeBlocks = 100

// Block ids of the Home tab (a request's own blocks add its id).
const (
	HomeWaitingBlockID  = "waiting:"  // + request id: its summary
	HomeMineBlockID     = "mine:"     // + request id
	HomeEveryoneBlockID = "everyone:" // + request id
)

// PublishHome shows h on h.User's App Home tab (views.publish). A 429 is
// waited out like every other call; Slack's own explanation of an
// invalid view (response_metadata.messages) is kept in the error.
func (s *Slack) PublishHome(ctx context.Context, h bot.Home) error {
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: HomeBlocks(h)}}
	err := s.call(ctx, "views.publish", func() error {
		_, err := s.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: h.User, View: view})
		return err
	})
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && len(se.ResponseMetadata.Messages) > 0 {
			err = fmt.Errorf("%w (%s)", err, strings.Join(se.ResponseMetadata.Messages, "; "))
		}
		return fmt.Errorf("publish the home tab of %s: %w", h.User, err)
	}
	s.log.DebugContext(ctx, "home tab published", "user", h.User, "waiting", len(h.Waiting))
	return nil
}

// HomeBlocks renders a Home tab: a header; "Waiting for your decision",
// each request with its summary and the Approve (with its confirm dialog)
// and Reject buttons of the approval message, same action ids and value,
// so a click there is handled like one in the message; "Your recent
// requests" with their states; for admins "Everyone's recent requests".
// An empty part says so. It stays within Slack's 100 blocks: a part that
// does not fit is cut, with a note saying how many were left out.
func HomeBlocks(h bot.Home) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(words.HomeTitle, 150), slack.HeaderBlockOptionBlockID("home")),
		contextBlock("home_about", words.HomeAbout(h.Now)),
	}
	// Each part gets what it needs when all fit. Otherwise the requests
	// waiting for a decision give way first, so that the later parts keep
	// their first homeMineShown and homeEveryoneShown requests; each part
	// then takes what is left, in order.
	needMine := partNeed(len(h.Mine), homeMineShown)
	needEveryone := 0
	if h.Admin {
		needEveryone = partNeed(len(h.Everyone), homeEveryoneShown)
	}

	var waiting [][]slack.Block
	for _, hb := range h.WaitingBatches {
		waiting = append(waiting, waitingBatchBlocks(hb, h.Now))
	}
	for _, r := range h.Waiting {
		waiting = append(waiting, waitingBlocks(r, h.Now))
	}
	blocks = appendPart(blocks, MaxHomeBlocks-needMine-needEveryone, "waiting", words.HomeWaiting, waiting,
		words.HomeWaitingEmpty)

	var mine [][]slack.Block
	for _, r := range h.Mine {
		mine = append(mine, []slack.Block{section(HomeMineBlockID+r.ID, homeLine(r, false))})
	}
	blocks = appendPart(blocks, MaxHomeBlocks-needEveryone, "mine", words.HomeMine, mine,
		words.HomeMineEmpty)

	if h.Admin {
		var all [][]slack.Block
		for _, r := range h.Everyone {
			all = append(all, []slack.Block{section(HomeEveryoneBlockID+r.ID, homeLine(r, true))})
		}
		blocks = appendPart(blocks, MaxHomeBlocks, "everyone", words.HomeEveryone, all, words.HomeEveryoneEmpty)
	}
	return blocks
}

// The recent requests a Home tab keeps room for when the requests waiting
// for a decision are too many to show them all.
const (
	homeMineShown     = 10
	homeEveryoneShown = 20
)

// partNeed is how many blocks a part of n one-block items needs to show
// at most shown of them: divider, header, the items, and the empty text or
// the note of those left out.
func partNeed(n, shown int) int {
	if n == 0 || n > shown {
		return 2 + min(n, shown) + 1
	}
	return 2 + n
}

// appendPart appends a part of the Home tab (a divider, its header, then
// its items, or the empty text when there are none) without going over limit blocks in all. Items that do not fit are
// left out, and a note says how many.
func appendPart(blocks []slack.Block, limit int, id, title string, items [][]slack.Block, empty string) []slack.Block {
	blocks = append(blocks,
		slack.NewDividerBlock(),
		slack.NewHeaderBlock(plain(title, 150), slack.HeaderBlockOptionBlockID(id)))
	if len(items) == 0 {
		return append(blocks, section(id+"_empty", empty))
	}
	for i, item := range items {
		room := limit - len(blocks)
		if i < len(items)-1 {
			room-- // keep one for the note
		}
		if len(item) > room {
			return append(blocks, contextBlock(id+"_more", words.HomeMore(len(items)-i)))
		}
		blocks = append(blocks, item...)
	}
	return blocks
}

// waitingBlocks renders a request waiting for the reader's decision, as
// the approval message shows it but in one section: DRY RUN when it is
// one, what is asked, the options line (every right given and every
// weakened default), why the reader is asked, when it expires, the
// findings (blockers and warnings each with their own icon); then the
// buttons of the approval message.
func waitingBlocks(r *bot.Request, now time.Time) []slack.Block {
	var lines []string
	if r.Op.Options.DryRun {
		lines = append(lines, DryRunNote)
	}
	lines = append(lines, summary(r, true))
	if o := optionsText(r.Op, &r.Plan.Target, r.Requester); utf8.RuneCountInString(o) > maxHomeOptions {
		lines = append(lines, words.OptionsLine(shortOptionsText(r), true))
	} else if o != "" {
		lines = append(lines, words.OptionsLine(o, false))
	}
	about := []string{words.RequestRef(r.ID), words.AskedOn(r.CreatedAt)}
	if e := expiryText(r, now); e != "" {
		about = append(about, e)
	}
	lines = append(lines, "_"+approverReason(r)+"_", strings.Join(about, " · "))
	if f := findingsText(r.Plan.Findings); f != "" {
		lines = append(lines, f)
	}
	// The very buttons of the approval message: same action ids, value,
	// confirm dialog and block id.
	return []slack.Block{section(HomeWaitingBlockID+r.ID, strings.Join(lines, "\n")), decisionButtons(r)}
}

// waitingBatchBlocks renders a batch waiting for a decision as one item:
// the headline of its approval message, what it does to every mailbox
// (the grants and weakened defaults, never cut), each mailbox with its own
// facts and findings (in at most homeBatchSections sections; the others
// counted, with where to see them) and that message's buttons, whose value
// is the batch id, so the click decides the batch: what is approved here
// is named here.
func waitingBatchBlocks(hb bot.HomeBatch, now time.Time) []slack.Block {
	b := hb.Batch
	text := "*" + mrkdwn.Escape(batchHeadline(b, len(hb.Requests))) + "*\n" + words.RequestRef(b.ID) + " · " + words.ExpiresAt(b.ExpiresAt, now)
	blocks := []slack.Block{section(HomeWaitingBlockID+b.ID, text)}
	for _, c := range batchCommonBlocks(b) {
		// Their ids are the batch message's: made unique on a Home tab
		// that shows several batches.
		if s, ok := c.(*slack.SectionBlock); ok {
			s.BlockID = "home_" + b.ID + "_" + s.BlockID
		}
		blocks = append(blocks, c)
	}
	blocks = append(blocks, batchMailboxBlocks("home_mailboxes_"+b.ID, b, hb.Requests, homeBatchSections)...)
	return append(blocks, batchDecisionButtons(b, len(hb.Requests)))
}

// homeBatchSections bounds the sections listing a batch's mailboxes on a
// Home tab, which holds every item waiting for the reader in 100 blocks.
const homeBatchSections = 2

// homeLine renders one of the recent requests: its state's icon, what was
// asked (by whom, when who is set), then its id, state, decision and age,
// the rights it gives and the defaults it weakens, and why it failed.
func homeLine(r *bot.Request, who bool) string {
	var b strings.Builder
	b.WriteString(StateIcon(r.State) + " ")
	if who {
		b.WriteString(words.AskedTo(r.Requester, words.Phrase(r.Op, r.Plan.Target, true)))
	} else {
		b.WriteString(mrkdwn.Capitalize(words.Phrase(r.Op, r.Plan.Target, true)))
	}
	about := []string{"`" + mrkdwn.Escape(r.ID) + "`", "*" + stateName(r.State) + "*"}
	switch {
	case r.State == bot.StatePending && len(r.Approvers) > 0:
		about = append(about, words.WaitingFor(r.Approvers))
	case r.State != bot.StatePending:
		about = append(about, DecisionText(r))
	}
	about = append(about, words.AskedOn(r.CreatedAt))
	if r.Op.Options.DryRun {
		about = append(about, words.DryRunMark)
	}
	b.WriteString("\n" + strings.Join(about, " · "))
	if n := notableText(r); n != "" {
		b.WriteString("\n" + n)
	}
	if r.State == bot.StateFailed && r.Failure != "" {
		b.WriteString("\n" + mrkdwn.Quote(mrkdwn.Escape(truncate(r.Failure, maxErrorText))))
	}
	return b.String()
}

// notableText is the facts of r's options line that give a right or weaken
// a default (planFacts), "" when there are none.
func notableText(r *bot.Request) string {
	fs, _ := planFacts(r.Op, &r.Plan.Target, r.Requester)
	var l []string
	for _, f := range fs {
		if f.weak || f.right {
			l = append(l, f.text)
		}
	}
	return strings.Join(l, " · ")
}

// maxHomeOptions is the longest options line a request waiting on the
// Home tab shows as it is; a longer one counts people (shortOptionsText),
// so that its one section holds the rest.
const maxHomeOptions = 1500

// shortOptionsText is r's options line with people counted, not named.
func shortOptionsText(r *bot.Request) string {
	fs, _ := planFacts(r.Op, &r.Plan.Target, r.Requester)
	l := make([]string, len(fs))
	for i, f := range fs {
		l[i] = cmp.Or(f.short, f.text)
	}
	return strings.Join(l, " · ")
}
