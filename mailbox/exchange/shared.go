package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// GenericHashTable is the @odata.type of a hashtable parameter, such as
// -GrantSendOnBehalfTo @{Add=...; Remove=...}.
const GenericHashTable = "#Exchange.GenericHashTable"

// SetSendOnBehalf runs Set-Mailbox -Identity identity -GrantSendOnBehalfTo
// @{Add=add; Remove=remove} -Confirm:$false, the hashtable sent as
// {"@odata.type":"#Exchange.GenericHashTable","Add":[...],"Remove":[...]}
// with only the non-empty lists. With both lists empty it sends nothing.
// Exchange's "no settings ... have been modified" warning (nothing to add or
// remove) is success.
func (c *Client) SetSendOnBehalf(ctx context.Context, identity string, add, remove []string) error {
	if identity == "" {
		return fmt.Errorf("set send on behalf: empty mailbox: %w", mailbox.ErrInvalidAddress)
	}
	if slices.Contains(add, "") || slices.Contains(remove, "") {
		return fmt.Errorf("set send on behalf on %s: empty user: %w", identity, mailbox.ErrInvalidAddress)
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	table := map[string]any{"@odata.type": GenericHashTable}
	if len(add) > 0 {
		table["Add"] = add
	}
	if len(remove) > 0 {
		table["Remove"] = remove
	}
	res, err := c.Invoke(ctx, "Set-Mailbox", map[string]any{
		"Identity":            identity,
		"GrantSendOnBehalfTo": table,
		"Confirm":             false,
	})
	if err != nil {
		return fmt.Errorf("set send on behalf on %s (add %v, remove %v): %w", identity, add, remove, err)
	}
	for _, w := range res.Warnings {
		if NoChange(w) {
			c.log.LogAttrs(ctx, slog.LevelInfo, "send on behalf already as asked",
				slog.String("op", "Set-Mailbox"), slog.String("mailbox", identity))
			continue
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "exchange warning",
			slog.String("op", "Set-Mailbox"), slog.String("mailbox", identity), slog.String("warning", w))
	}
	return nil
}

// NewSharedMailbox runs New-Mailbox -Shared -Name name -DisplayName
// displayName -PrimarySmtpAddress address -Confirm:$false and returns the new
// mailbox from the answer. DisplayName is left out when empty (Exchange then
// uses the name).
//
// New-Mailbox is not idempotent, so it goes through InvokeOnce: it is retried
// only after a 429 with Retry-After or the concurrent request limit answer
// (it did not run). After a 5xx, a timeout or a broken connection the error
// answers errors.Is(err, ErrMayHaveRun): the mailbox may exist; look it up
// (GetMailbox, RecipientExists) before creating it again. Exchange's refusals
// keep its text, e.g. for a taken address (HTTP 400) "The proxy address
// "SMTP:sales@contoso.com" is already being used by the proxy addresses or
// LegacyExchangeDN. Please choose another proxy address."
func (c *Client) NewSharedMailbox(ctx context.Context, name, displayName, address string) (mailbox.Mailbox, error) {
	if name == "" || address == "" {
		return mailbox.Mailbox{}, fmt.Errorf("new shared mailbox: empty name or address (%q, %q): %w", name, address, mailbox.ErrInvalidAddress)
	}
	params := map[string]any{
		"Shared":             true,
		"Name":               name,
		"PrimarySmtpAddress": address,
		"Confirm":            false,
	}
	if displayName != "" {
		params["DisplayName"] = displayName
	}
	res, err := c.InvokeOnce(ctx, "New-Mailbox", params)
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("new shared mailbox %s: %w", address, err)
	}
	for _, w := range res.Warnings {
		c.log.LogAttrs(ctx, slog.LevelWarn, "exchange warning",
			slog.String("op", "New-Mailbox"), slog.String("mailbox", address), slog.String("warning", w))
	}
	if len(res.Values) == 0 {
		return mailbox.Mailbox{}, fmt.Errorf("new shared mailbox %s: the cmdlet succeeded but answered no mailbox: %w", address, ErrBadResponse)
	}
	mb, err := decodeMailbox(res.Values[0])
	if err != nil {
		return mailbox.Mailbox{}, fmt.Errorf("new shared mailbox %s: the cmdlet succeeded but its answer is unreadable: %w", address, err)
	}
	return mb, nil
}

// wireAcceptedDomain is the part of a Get-AcceptedDomain object the bot reads.
type wireAcceptedDomain struct {
	Name       string `json:"Name"`
	DomainName string `json:"DomainName"`
	DomainType string `json:"DomainType"` // Authoritative, InternalRelay, ExternalRelay
	Default    bool   `json:"Default"`
}

// AcceptedDomains runs Get-AcceptedDomain and returns the DomainName of
// every accepted domain, whatever its type, in Exchange's order.
func (c *Client) AcceptedDomains(ctx context.Context) ([]string, error) {
	res, err := c.Invoke(ctx, "Get-AcceptedDomain", map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("get accepted domains: %w", err)
	}
	domains := make([]string, 0, len(res.Values))
	for i, raw := range res.Values {
		var w wireAcceptedDomain
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("get accepted domains: entry %d: %w: %w", i, ErrBadResponse, err)
		}
		d := strings.TrimSpace(w.DomainName)
		if d == "" {
			d = strings.TrimSpace(w.Name)
		}
		if d == "" {
			return nil, fmt.Errorf("get accepted domains: entry %d has no DomainName: %w", i, ErrBadResponse)
		}
		domains = append(domains, d)
	}
	return domains, nil
}

// RecipientExists runs Get-Recipient -Identity address: true when a
// recipient (mailbox, group, contact, mail user) answers to it; false, nil
// on Exchange's 404 (ManagementObjectNotFoundException); any other error is
// returned.
func (c *Client) RecipientExists(ctx context.Context, address string) (bool, error) {
	if address == "" {
		return false, fmt.Errorf("get recipient: empty address: %w", mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, "Get-Recipient", map[string]any{"Identity": address})
	var re *mailbox.RemoteError
	switch {
	case err == nil:
		return len(res.Values) > 0, nil
	case errors.As(err, &re) && re.Status == 404:
		return false, nil
	}
	return false, fmt.Errorf("get recipient %s: %w", address, err)
}
