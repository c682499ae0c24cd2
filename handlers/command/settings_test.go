package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func TestSettingsOptions(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p, err := ParseConvert("alice@contoso.com hide auto-reply “Alice has left &amp; <https://contoso.com|our site> says \"hi\".\nWrite to sales.” forward-to Kim@contoso.com keep-license", now)
	if err != nil {
		t.Fatal(err)
	}
	o := p.Op.Options
	if o.AutoReply != "Alice has left & our site says \"hi\".\nWrite to sales." || o.ForwardTo != "kim@contoso.com" || !o.Hide || !o.KeepLicenses {
		t.Errorf("options = %+v", o)
	}
	for text, want := range map[string]string{
		"alice@contoso.com auto-reply off":                                                   "/shared-mailbox auto-reply",
		"alice@contoso.com auto-reply gone":                                                  "in quotes",
		`alice@contoso.com auto-reply "hi <@U123>"`:                                          "mention",
		`alice@contoso.com auto-reply "` + strings.Repeat("x", mailbox.MaxAutoReply+1) + `"`: "characters",
		"alice@contoso.com forward-to alice@contoso.com":                                     "itself",
		"alice@contoso.com forward-to":                                                       "needs the address",
		"alice@contoso.com to regular hide":                                                  "goes with",
		"alice@contoso.com forward-to a@contoso.com forward-to b@contoso.com":                "one address",
	} {
		_, err := ParseConvert(text, now)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Problem, want) {
			t.Errorf("%.60s: %v, want %q", text, err, want)
		}
	}
}

func TestAutoReplyOffGrammar(t *testing.T) {
	p, err := ParseShared("auto-reply Alice@contoso.com off dry-run")
	if err != nil || p.Op.Kind != mailbox.KindAutoReplyOff || p.Op.Mailbox != "alice@contoso.com" || !p.Op.Options.DryRun {
		t.Fatalf("%+v, %v", p, err)
	}
	for _, text := range []string{"auto-reply alice@contoso.com", "auto-reply alice@contoso.com on", "auto-reply off"} {
		if _, err := ParseShared(text); err == nil {
			t.Errorf("%s: no error", text)
		}
	}
}
