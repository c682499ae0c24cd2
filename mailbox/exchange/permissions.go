package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// strList is a string collection that Exchange sends as a JSON array
// ("AccessRights@odata.type": "#Collection(String)") or, now and then, as
// one string, possibly a comma-separated list ("FullAccess, ReadPermission").
type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*l = nil
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err == nil {
		*l = a
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a string or an array of strings, got %.40s", b)
	}
	*l = []string{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*l = append(*l, f)
		}
	}
	return nil
}

// wireMailboxPermission is a Get-MailboxPermission object.
type wireMailboxPermission struct {
	Identity        string  `json:"Identity"`
	User            string  `json:"User"`
	AccessRights    strList `json:"AccessRights"`
	IsInherited     bool    `json:"IsInherited"`
	Deny            bool    `json:"Deny"`
	InheritanceType string  `json:"InheritanceType"`
}

// wireRecipientPermission is a Get-RecipientPermission object.
type wireRecipientPermission struct {
	Identity          string  `json:"Identity"`
	Trustee           string  `json:"Trustee"`
	AccessControlType string  `json:"AccessControlType"` // "Allow" or "Deny"
	AccessRights      strList `json:"AccessRights"`
	IsInherited       bool    `json:"IsInherited"`
	InheritanceType   string  `json:"InheritanceType"`
}

// MailboxPermissions runs Get-MailboxPermission -Identity identity and
// returns every entry, inherited and Deny entries included.
func (c *Client) MailboxPermissions(ctx context.Context, identity string) ([]mailbox.Permission, error) {
	if identity == "" {
		return nil, fmt.Errorf("get mailbox permissions: empty identity: %w", mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, "Get-MailboxPermission", map[string]any{"Identity": identity})
	if err != nil {
		return nil, fmt.Errorf("get mailbox permissions of %s: %w", identity, err)
	}
	perms := make([]mailbox.Permission, 0, len(res.Values))
	for i, raw := range res.Values {
		var w wireMailboxPermission
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("get mailbox permissions of %s: entry %d: %w: %w", identity, i, ErrBadResponse, err)
		}
		perms = append(perms, mailbox.Permission{
			User:         w.User,
			AccessRights: []string(w.AccessRights),
			IsInherited:  w.IsInherited,
			Deny:         w.Deny,
		})
	}
	return perms, nil
}

// RecipientPermissions runs Get-RecipientPermission -Identity identity and
// returns every entry; a Permission's User is the entry's Trustee, and an
// AccessControlType of "Deny" sets Deny.
func (c *Client) RecipientPermissions(ctx context.Context, identity string) ([]mailbox.Permission, error) {
	if identity == "" {
		return nil, fmt.Errorf("get recipient permissions: empty identity: %w", mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, "Get-RecipientPermission", map[string]any{"Identity": identity})
	if err != nil {
		return nil, fmt.Errorf("get recipient permissions of %s: %w", identity, err)
	}
	perms := make([]mailbox.Permission, 0, len(res.Values))
	for i, raw := range res.Values {
		var w wireRecipientPermission
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("get recipient permissions of %s: entry %d: %w: %w", identity, i, ErrBadResponse, err)
		}
		perms = append(perms, mailbox.Permission{
			User:         w.Trustee,
			AccessRights: []string(w.AccessRights),
			IsInherited:  w.IsInherited,
			Deny:         strings.EqualFold(w.AccessControlType, "Deny"),
		})
	}
	return perms, nil
}

// AddFullAccess runs Add-MailboxPermission -Identity identity -User user
// -AccessRights FullAccess -InheritanceType All -AutoMapping autoMapping
// -Confirm:$false.
func (c *Client) AddFullAccess(ctx context.Context, identity, user string, autoMapping bool) error {
	return c.change(ctx, "Add-MailboxPermission", "add full access", identity, user, map[string]any{
		"Identity":        identity,
		"User":            user,
		"AccessRights":    []string{mailbox.RightFullAccess},
		"InheritanceType": "All",
		"AutoMapping":     autoMapping,
		"Confirm":         false,
	})
}

// RemoveFullAccess runs Remove-MailboxPermission -Identity identity -User
// user -AccessRights FullAccess -InheritanceType All -Confirm:$false.
func (c *Client) RemoveFullAccess(ctx context.Context, identity, user string) error {
	return c.change(ctx, "Remove-MailboxPermission", "remove full access", identity, user, map[string]any{
		"Identity":        identity,
		"User":            user,
		"AccessRights":    []string{mailbox.RightFullAccess},
		"InheritanceType": "All",
		"Confirm":         false,
	})
}

// AddSendAs runs Add-RecipientPermission -Identity identity -Trustee trustee
// -AccessRights SendAs -Confirm:$false.
func (c *Client) AddSendAs(ctx context.Context, identity, trustee string) error {
	return c.change(ctx, "Add-RecipientPermission", "add send as", identity, trustee, map[string]any{
		"Identity":     identity,
		"Trustee":      trustee,
		"AccessRights": []string{mailbox.RightSendAs},
		"Confirm":      false,
	})
}

// RemoveSendAs runs Remove-RecipientPermission -Identity identity -Trustee
// trustee -AccessRights SendAs -Confirm:$false.
func (c *Client) RemoveSendAs(ctx context.Context, identity, trustee string) error {
	return c.change(ctx, "Remove-RecipientPermission", "remove send as", identity, trustee, map[string]any{
		"Identity":     identity,
		"Trustee":      trustee,
		"AccessRights": []string{mailbox.RightSendAs},
		"Confirm":      false,
	})
}

// change runs a permission cmdlet that changes something. Warnings (such as
// "the access control entry is already present") are logged, not errors.
func (c *Client) change(ctx context.Context, cmdlet, what, identity, who string, params map[string]any) error {
	if identity == "" || who == "" {
		return fmt.Errorf("%s: empty mailbox or user (%q, %q): %w", what, identity, who, mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, cmdlet, params)
	if err != nil {
		return fmt.Errorf("%s on %s for %s: %w", what, identity, who, err)
	}
	for _, w := range res.Warnings {
		c.log.LogAttrs(ctx, slog.LevelWarn, "exchange warning",
			slog.String("op", cmdlet), slog.String("mailbox", identity), slog.String("user", who), slog.String("warning", w))
	}
	return nil
}
