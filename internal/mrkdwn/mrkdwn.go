// Package mrkdwn holds the primitives of the text the bot writes for
// people in Slack: escaping, dates, mentions, sizes and plain counts. It is
// a leaf (standard library only), so that the planner's findings, the bot's
// sentences, the command help and the Block Kit messages all write a size
// or a date the same way. It writes no sentence of its own: those live in
// internal/words.
package mrkdwn

import (
	"fmt"
	"strings"
	"time"
)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape escapes &, < and > for Slack mrkdwn, so that user-provided text
// cannot form mentions, links or dates.
func Escape(s string) string { return escaper.Replace(s) }

// EscapeAll escapes each string of l.
func EscapeAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = Escape(s)
	}
	return out
}

// Date formats t with Slack's date formatting, shown in the reader's own
// time zone: "<!date^unix^{date_short_pretty} at {time}|fallback>".
func Date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), UTC(t))
}

// UTC formats t for plain text, where Slack's dates do not work:
// "2026-12-01 18:00 UTC".
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Mention formats a Slack user id as a mention.
func Mention(user string) string { return "<@" + user + ">" }

// MentionID reads a Slack mention, "<@U123>" or "<@U123|name>" as Slack
// escapes one, the other way from Mention: the user id, and whether s is a
// mention with a non-empty id. The id is not checked further.
func MentionID(s string) (id string, ok bool) {
	if !strings.HasPrefix(s, "<@") || !strings.HasSuffix(s, ">") {
		return "", false
	}
	id, _, _ = strings.Cut(s[2:len(s)-1], "|")
	return id, id != ""
}

// Mentions lists Slack users as mentions joined by "or": "<@A>, <@B> or
// <@C>"; "nobody" for none.
func Mentions(ids []string) string {
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = Mention(id)
	}
	switch len(m) {
	case 0:
		return "nobody"
	case 1:
		return m[0]
	}
	return strings.Join(m[:len(m)-1], ", ") + " or " + m[len(m)-1]
}

// Size formats a mailbox size the way Exchange counts it (1 GB = 2^30
// bytes): "63.2 GB", "512.0 MB", "512 bytes".
func Size(bytes int64) string {
	const kb, mb, gb, tb = 1 << 10, 1 << 20, 1 << 30, 1 << 40
	switch {
	case bytes >= tb:
		return fmt.Sprintf("%.1f TB", float64(bytes)/tb)
	case bytes >= gb:
		return fmt.Sprintf("%.1f GB", float64(bytes)/gb)
	case bytes >= mb:
		return fmt.Sprintf("%.1f MB", float64(bytes)/mb)
	case bytes >= kb:
		return fmt.Sprintf("%.1f KB", float64(bytes)/kb)
	}
	return fmt.Sprintf("%d bytes", bytes)
}

// Hours writes a whole number of hours for people: "8 hours"; any other
// duration as Go writes it.
func Hours(d time.Duration) string {
	if h := int(d.Hours()); h == 1 && d == time.Hour {
		return "1 hour"
	} else if d == time.Duration(h)*time.Hour {
		return fmt.Sprintf("%d hours", h)
	}
	return d.String()
}

// Count is n with the noun in the right number: "1 mailbox", "3
// mailboxes".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Quote renders text as a Slack block quote.
func Quote(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// Capitalize upper-cases the first letter of an ASCII sentence.
func Capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
