package notify

import (
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The approver reads the automatic reply exactly as it will be sent, the
// forward target and the hiding, in the options line.
func TestSettingsInThePlan(t *testing.T) {
	op := mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com", Options: mailbox.Options{
		AutoReply: "Gone. Write to <b>*Kim*</b> & co ```x```", ForwardTo: "kim@contoso.com", Hide: true}}
	got := OptionsText(op, mailbox.Target{})
	for _, want := range []string{
		"```Gone. Write to &lt;b&gt;*Kim*&lt;/b&gt; &amp; co `\u200b``x`\u200b`````",
		"mail forwarded to kim@contoso.com, a copy kept",
		"hidden from the address lists",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("options line %q\nlacks %q", got, want)
		}
	}
}
