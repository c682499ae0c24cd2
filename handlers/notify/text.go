package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The Block Kit primitives every message is built of: text objects
// within Slack's limits, sections, context blocks, and long text split
// into sections.
//
// The rendering in this package is pure: a message is a function of a
// request (or an answer) and, for the approval message, the time. Text that comes from
// people or from Microsoft (addresses, display names, findings, step
// details, error texts) is escaped; Answer.Text and Tell's headline are the
// bot's own mrkdwn and are used as they are.

// Slack's limits on text objects (characters).
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxErrorText   = 500
	maxConfirmText = 300
	maxTitleText   = 100
	maxFallback    = 3000
)

func mdText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, maxSectionText), false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, max), true, false)
}

func section(id, text string) *slack.SectionBlock {
	return &slack.SectionBlock{Type: slack.MBTSection, BlockID: id, Text: mdText(text)}
}

func contextBlock(id string, texts ...string) *slack.ContextBlock {
	var els []slack.MixedElement
	for _, t := range texts {
		els = append(els, mdText(t))
	}
	return slack.NewContextBlock(id, els...)
}

// truncate shortens s to at most max characters, ending in "…".
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// dryTag prefixes the plain-text fallbacks of a dry run.
func dryTag(op mailbox.Operation) string {
	if op.Options.DryRun {
		return words.DryRunFallback
	}
	return ""
}

// maxTextBlocks bounds the sections one answer's text is split into, so
// that the message stays within Slack's 50 blocks with the plan below it.
const maxTextBlocks = 30

// SplitText splits mrkdwn into pieces of at most max characters, at line
// ends where it can: a piece that ends inside a preformatted block (```)
// closes it, and the next piece opens it again, so that every piece
// renders on its own. A line longer than a piece is cut.
func SplitText(s string, max int) []string {
	const fence = "```"
	if utf8.RuneCountInString(s) <= max {
		return []string{s}
	}
	room := max - len(fence) - 1 // for the closing fence a piece may need
	if room < 1 {
		room = 1
	}
	var (
		out     []string
		cur     []string
		curLen  int  // characters in cur, with the newlines between lines
		inCode  bool // inside a preformatted block after cur
		opened  bool // cur's last line opened that block
		started bool // cur holds something besides a reopened fence
	)
	flush := func() {
		piece := strings.Join(cur, "\n")
		if inCode {
			piece += "\n" + fence
		}
		out = append(out, piece)
		cur, curLen, started = nil, 0, false
		if inCode {
			cur, curLen = []string{fence}, len(fence)
		}
	}
	add := func(line string) {
		n := utf8.RuneCountInString(line)
		if len(cur) > 0 && started && curLen+1+n > room {
			last := cur[len(cur)-1]
			lastLen := utf8.RuneCountInString(last)
			if opened && len(cur) > 1 && strings.TrimSpace(last) == fence && lastLen+1+n <= room {
				// The block opens on cur's last line: open it in the
				// next piece instead, rather than leave it empty here.
				cur, curLen, inCode = cur[:len(cur)-1], curLen-lastLen-1, false
				flush()
				cur, curLen, inCode = []string{last}, lastLen, true
			} else {
				flush()
			}
		}
		if len(cur) > 0 {
			curLen++
		}
		cur = append(cur, line)
		curLen += n
		started = true
		opened = false
		if strings.Count(line, fence)%2 == 1 {
			inCode = !inCode
			opened = inCode
		}
	}
	for _, line := range strings.Split(s, "\n") {
		r := []rune(line)
		// A line too long for a piece of its own is cut into such pieces.
		for limit := room - len(fence) - 1; len(r) > limit && limit > 0; {
			at := cutAt(r, limit)
			add(string(r[:at]))
			r = r[at:]
		}
		add(string(r))
	}
	// The last piece ends as the text does.
	return append(out, strings.Join(cur, "\n"))
}

// cutAt is where to cut r, which is longer than limit, into a first part
// of at most limit runes: after a space in the last fifth if there is
// one, and never inside a fence (```) or an entity (&lt;).
func cutAt(r []rune, limit int) int {
	ok := func(i int) bool {
		if r[i-1] == '`' && r[i] == '`' {
			return false
		}
		for j := i - 1; j >= 0 && j >= i-6; j-- {
			if r[j] == ';' {
				break
			}
			if r[j] == '&' {
				return false
			}
		}
		return true
	}
	for i := limit; i > limit*4/5 && i > 0; i-- {
		if r[i-1] == ' ' && ok(i) {
			return i
		}
	}
	for i := limit; i > limit/2 && i > 0; i-- {
		if ok(i) {
			return i
		}
	}
	return limit
}

// textBlocks renders an answer's text as one section, or several when it
// is longer than a section holds.
func textBlocks(text string) []slack.Block {
	pieces := SplitText(text, maxSectionText)
	if len(pieces) > maxTextBlocks {
		pieces = append(pieces[:maxTextBlocks-1], words.TooLong)
	}
	blocks := make([]slack.Block, len(pieces))
	for i, p := range pieces {
		id := "text"
		if i > 0 {
			id = fmt.Sprintf("text_%d", i+1)
		}
		blocks[i] = section(id, p)
	}
	return blocks
}
