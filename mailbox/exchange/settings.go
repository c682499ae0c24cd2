// The leaver's mailbox settings on the wire: Get- and
// Set-MailboxAutoReplyConfiguration, Set-Mailbox -ForwardingAddress
// -DeliverToMailboxAndForward and Set-Mailbox -HiddenFromAddressListsEnabled
// (mailbox.SettingsExchange).

package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

var _ mailbox.SettingsExchange = (*Client)(nil)

// wireAutoReply is the part of a Get-MailboxAutoReplyConfiguration object
// the bot reads.
type wireAutoReply struct {
	AutoReplyState   string `json:"AutoReplyState"`
	InternalMessage  string `json:"InternalMessage"`
	ExternalMessage  string `json:"ExternalMessage"`
	ExternalAudience string `json:"ExternalAudience"`
	StartTime        string `json:"StartTime"`
	EndTime          string `json:"EndTime"`
}

// AutoReply runs Get-MailboxAutoReplyConfiguration -Identity identity.
func (c *Client) AutoReply(ctx context.Context, identity string) (mailbox.AutoReply, error) {
	res, err := c.Invoke(ctx, "Get-MailboxAutoReplyConfiguration", map[string]any{"Identity": identity})
	if err != nil {
		return mailbox.AutoReply{}, fmt.Errorf("get automatic reply of %s: %w", identity, err)
	}
	if len(res.Values) != 1 {
		return mailbox.AutoReply{}, fmt.Errorf("get automatic reply of %s: %d answers: %w", identity, len(res.Values), ErrBadResponse)
	}
	var w wireAutoReply
	if err := json.Unmarshal(res.Values[0], &w); err != nil {
		return mailbox.AutoReply{}, fmt.Errorf("get automatic reply of %s: %w: %w", identity, ErrBadResponse, err)
	}
	return mailbox.AutoReply{State: w.AutoReplyState, InternalMessage: w.InternalMessage, ExternalMessage: w.ExternalMessage,
		ExternalAudience: w.ExternalAudience, StartTime: parseWhen(w.StartTime), EndTime: parseWhen(w.EndTime)}, nil
}

// SetAutoReply runs Set-MailboxAutoReplyConfiguration -Identity identity
// -AutoReplyState a.State -Confirm:$false; with Enabled or Scheduled also
// -InternalMessage, -ExternalMessage and -ExternalAudience (default All),
// with Scheduled also -StartTime and -EndTime.
func (c *Client) SetAutoReply(ctx context.Context, identity string, a mailbox.AutoReply) error {
	params := map[string]any{"Identity": identity, "AutoReplyState": a.State, "Confirm": false}
	if a.State != mailbox.AutoReplyDisabled {
		aud := a.ExternalAudience
		if aud == "" {
			aud = "All"
		}
		params["InternalMessage"], params["ExternalMessage"], params["ExternalAudience"] = a.InternalMessage, a.ExternalMessage, aud
	}
	if a.State == mailbox.AutoReplyScheduled {
		params["StartTime"], params["EndTime"] = a.StartTime.UTC().Format("2006-01-02T15:04:05Z"), a.EndTime.UTC().Format("2006-01-02T15:04:05Z")
	}
	return c.set(ctx, "Set-MailboxAutoReplyConfiguration", identity, params)
}

// SetForwarding runs Set-Mailbox -Identity identity -ForwardingAddress
// address -DeliverToMailboxAndForward keepCopy -ForwardingSmtpAddress $null
// -Confirm:$false (an address forwarded to outside the recipients would
// win over ForwardingAddress); an empty address sends
// -ForwardingAddress $null.
func (c *Client) SetForwarding(ctx context.Context, identity, address string, keepCopy bool) error {
	var to any
	if address != "" {
		to = address
	}
	return c.set(ctx, "Set-Mailbox", identity, map[string]any{"Identity": identity, "ForwardingAddress": to,
		"ForwardingSmtpAddress": nil, "DeliverToMailboxAndForward": keepCopy && address != "", "Confirm": false})
}

// SetHidden runs Set-Mailbox -Identity identity
// -HiddenFromAddressListsEnabled hidden -Confirm:$false.
func (c *Client) SetHidden(ctx context.Context, identity string, hidden bool) error {
	return c.set(ctx, "Set-Mailbox", identity, map[string]any{"Identity": identity, "HiddenFromAddressListsEnabled": hidden, "Confirm": false})
}

// set runs a Set- cmdlet; "no settings ... modified" is success.
func (c *Client) set(ctx context.Context, cmdlet, identity string, params map[string]any) error {
	if identity == "" {
		return fmt.Errorf("%s: empty mailbox: %w", cmdlet, mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, cmdlet, params)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", cmdlet, identity, err)
	}
	for _, w := range res.Warnings {
		level := slog.LevelWarn
		if NoChange(w) {
			level = slog.LevelInfo
		}
		c.log.LogAttrs(ctx, level, "exchange warning", slog.String("op", cmdlet), slog.String("mailbox", identity), slog.String("warning", w))
	}
	return nil
}
