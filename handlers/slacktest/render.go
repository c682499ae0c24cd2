package slacktest

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Render renders Block Kit blocks as readable plain text, one line (or
// more) per block: header, section and context text, section fields,
// buttons as "[Approve] [Reject]", dividers as "---". Slack's markup is
// reduced to what a reader would see: dates show their fallback, mentions
// become @U123, links their label, and &amp; &lt; &gt; are unescaped.
func Render(blocks json.RawMessage) string {
	var bs []struct {
		Type      string          `json:"type"`
		Text      *textObject     `json:"text"`
		Fields    []textObject    `json:"fields"`
		Elements  json.RawMessage `json:"elements"`
		Accessory *element        `json:"accessory"`
		AltText   string          `json:"alt_text"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		return ""
	}
	var lines []string
	for _, b := range bs {
		switch b.Type {
		case "header", "section", "markdown":
			var parts []string
			if b.Text != nil && b.Text.Text != "" {
				parts = append(parts, plainText(b.Text.Text))
			}
			for _, f := range b.Fields {
				parts = append(parts, plainText(f.Text))
			}
			if b.Accessory != nil && b.Accessory.Type == "button" && b.Accessory.Text != nil {
				parts = append(parts, "["+b.Accessory.Text.Text+"]")
			}
			if len(parts) > 0 {
				lines = append(lines, strings.Join(parts, "\n"))
			}
		case "context":
			// Context elements are text objects and images.
			var els []struct {
				Type    string `json:"type"`
				Text    string `json:"text"`
				AltText string `json:"alt_text"`
			}
			_ = json.Unmarshal(b.Elements, &els)
			var parts []string
			for _, e := range els {
				switch {
				case e.Type == "image":
					parts = append(parts, "("+e.AltText+")")
				case e.Text != "":
					parts = append(parts, plainText(e.Text))
				}
			}
			if len(parts) > 0 {
				lines = append(lines, strings.Join(parts, "  "))
			}
		case "actions":
			var els []element
			_ = json.Unmarshal(b.Elements, &els)
			var parts []string
			for _, e := range els {
				if e.Text != nil {
					parts = append(parts, "["+e.Text.Text+"]")
				} else if e.Placeholder != nil {
					parts = append(parts, "["+e.Placeholder.Text+" ▾]")
				}
			}
			if len(parts) > 0 {
				lines = append(lines, strings.Join(parts, " "))
			}
		case "divider":
			lines = append(lines, "---")
		case "image":
			lines = append(lines, "("+b.AltText+")")
		}
	}
	return strings.Join(lines, "\n")
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type        string      `json:"type"`
	Text        *textObject `json:"text"`
	ActionID    string      `json:"action_id"`
	Value       string      `json:"value"`
	Style       string      `json:"style"`
	AltText     string      `json:"alt_text"`
	Placeholder *textObject `json:"placeholder"`
}

// markup matches Slack's <...> escapes: dates, mentions, channels, links.
var markup = regexp.MustCompile(`<([^<>]*)>`)

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// emphasis matches *bold*, _italic_ and ~strike~ the way Slack does: the
// marks sit at word boundaries, so addresses like first_last@x stay intact.
var emphasis = regexp.MustCompile(`(^|[^\pL\pN*_~])([*_~])([^*_~\n]+?)([*_~])([^\pL\pN*_~]|$)`)

// plainText reduces Slack mrkdwn markup to what a reader sees.
func plainText(s string) string {
	s = markup.ReplaceAllStringFunc(s, func(m string) string {
		in := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(in, "|")
		switch {
		case strings.HasPrefix(target, "!date^"):
			if hasLabel {
				return label
			}
			return target
		case strings.HasPrefix(target, "@"):
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case hasLabel:
			return label
		}
		return target
	})
	for range 3 { // adjacent marks share a boundary: a few passes
		s = emphasis.ReplaceAllStringFunc(s, func(m string) string {
			g := emphasis.FindStringSubmatch(m)
			if g[2] != g[4] {
				return m
			}
			return g[1] + g[3] + g[5]
		})
	}
	return unescaper.Replace(s)
}
