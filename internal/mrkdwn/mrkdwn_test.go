package mrkdwn

import (
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 bytes", 512: "512 bytes", 1536: "1.5 KB", 512 << 20: "512.0 MB",
		15_687_850_951: "14.6 GB", 50 << 30: "50.0 GB", 3 << 40: "3.0 TB",
	} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHours(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1 hour", 8 * time.Hour: "8 hours", 90 * time.Minute: "1h30m0s",
	} {
		if got := Hours(d); got != want {
			t.Errorf("Hours(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestMentionsAndEscape(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{{nil, "nobody"}, {[]string{"U1"}, "<@U1>"}, {[]string{"U1", "U2", "U3"}, "<@U1>, <@U2> or <@U3>"}} {
		if got := Mentions(tc.ids); got != tc.want {
			t.Errorf("Mentions(%v) = %q, want %q", tc.ids, got, tc.want)
		}
	}
	if got := Escape("<@U1> & <!channel>"); got != "&lt;@U1&gt; &amp; &lt;!channel&gt;" {
		t.Errorf("Escape = %q", got)
	}
	at := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	if got := Date(at); got != "<!date^1796148000^{date_short_pretty} at {time}|2026-12-01 18:00 UTC>" {
		t.Errorf("Date = %q", got)
	}
}

func TestMentionID(t *testing.T) {
	for s, want := range map[string]string{
		"<@U123>": "U123", "<@W9|maria>": "W9", "<@U1|a|b>": "U1", "<@U123": "", "U123": "", "<@>": "", "<@|name>": "", "": "",
	} {
		if id, ok := MentionID(s); id != want || ok != (want != "") {
			t.Errorf("MentionID(%q) = %q, %v; want %q", s, id, ok, want)
		}
	}
	if id, ok := MentionID(Mention("U0ALICE")); id != "U0ALICE" || !ok {
		t.Errorf("MentionID(Mention(U0ALICE)) = %q, %v", id, ok)
	}
}
