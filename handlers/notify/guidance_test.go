package notify_test

import (
	"testing"

	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/internal/words"
)

// The guidance to a person who got rights: automapped Full Access and Send
// As; Full Access through a group; Send on Behalf alone.
func TestGuidanceGolden(t *testing.T) {
	for name, a := range map[string]words.Access{
		"guidance_member": {Mailbox: "alice@contoso.com", Name: "Alice Andersen", FullAccess: true, AutoMapping: true, SendAs: true, RequestID: "req_K7Q3ZD2M"},
		"guidance_group":  {Mailbox: "sales@contoso.com", Name: "Sales <Team> & co", FullAccess: true, Via: "sales-team@contoso.com", RequestID: "req_K7Q3ZD2M"},
		"guidance_behalf": {Mailbox: "info@contoso.com", SendOnBehalf: true, RequestID: "req_K7Q3ZD2M"},
	} {
		t.Run(name, func(t *testing.T) {
			golden(t, name, message{words.GuidanceFallback(a), notify.GuidanceBlocks(a)})
		})
	}
}
