package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// A person's rights on other mailboxes (mailbox.AccessFinder, rule 18):
// three listings, each read to its last page (@odata.nextLink) and each
// page retried under throttling like every other call.

var _ mailbox.AccessFinder = (*Client)(nil)

// SendAsOn runs Get-RecipientPermission -Trustee trustee -AccessRights
// SendAs -ResultSize Unlimited and returns the Identity of every recipient
// on which trustee holds Send As, allowed and not inherited.
func (c *Client) SendAsOn(ctx context.Context, trustee string) ([]string, error) {
	if trustee == "" {
		return nil, fmt.Errorf("find send as: empty trustee: %w", mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, "Get-RecipientPermission", map[string]any{
		"Trustee": trustee, "AccessRights": mailbox.RightSendAs, "ResultSize": "Unlimited",
	})
	if err != nil {
		return nil, fmt.Errorf("find the send as of %s: %w", trustee, err)
	}
	var out []string
	for i, raw := range res.Values {
		var w wireRecipientPermission
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("find the send as of %s: entry %d: %w: %w", trustee, i, ErrBadResponse, err)
		}
		allowed := !strings.EqualFold(w.AccessControlType, "Deny") && !w.IsInherited
		if allowed && w.Identity != "" && hasRight(w.AccessRights, mailbox.RightSendAs) {
			out = append(out, w.Identity)
		}
	}
	return out, nil
}

func hasRight(rights []string, want string) bool {
	for _, r := range rights {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// SendOnBehalfFilter is the OPATH filter of the mailboxes whose
// GrantSendOnBehalfTo holds the recipient with distinguished name dn. The
// property takes a distinguished name only (Microsoft's "Filterable
// properties for the Filter parameter"); a quote in it is doubled, as
// inside any single-quoted OPATH value.
func SendOnBehalfFilter(dn string) string {
	return "GrantSendOnBehalfTo -eq '" + strings.ReplaceAll(dn, "'", "''") + "'"
}

// SendOnBehalfOn runs Get-Mailbox -Filter SendOnBehalfFilter(dn)
// -ResultSize Unlimited.
func (c *Client) SendOnBehalfOn(ctx context.Context, dn string) ([]mailbox.Mailbox, error) {
	if dn == "" {
		return nil, fmt.Errorf("find send on behalf: empty distinguished name: %w", mailbox.ErrInvalidAddress)
	}
	return c.mailboxes(ctx, "find the send on behalf of "+dn, map[string]any{
		"Filter": SendOnBehalfFilter(dn), "ResultSize": "Unlimited",
	})
}

// SharedMailboxes runs Get-Mailbox -RecipientTypeDetails SharedMailbox
// -ResultSize Unlimited.
func (c *Client) SharedMailboxes(ctx context.Context) ([]mailbox.Mailbox, error) {
	return c.mailboxes(ctx, "list the shared mailboxes", map[string]any{
		"RecipientTypeDetails": mailbox.RecipientSharedMailbox, "ResultSize": "Unlimited",
	})
}

// mailboxes runs a Get-Mailbox listing.
func (c *Client) mailboxes(ctx context.Context, what string, params map[string]any) ([]mailbox.Mailbox, error) {
	res, err := c.Invoke(ctx, "Get-Mailbox", params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]mailbox.Mailbox, 0, len(res.Values))
	for i, raw := range res.Values {
		mb, err := decodeMailbox(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", what, i, err)
		}
		out = append(out, mb)
	}
	return out, nil
}
