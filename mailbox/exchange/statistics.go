package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// wireStatistics is the part of a Get-MailboxStatistics object the bot
// reads. Both fields are kept raw: Exchange sends TotalItemSize as a string
// ("14.61 GB (15,687,850,951 bytes)") and ItemCount as a number, and either
// may come the other way.
type wireStatistics struct {
	TotalItemSize json.RawMessage `json:"TotalItemSize"`
	ItemCount     json.RawMessage `json:"ItemCount"`
}

// MailboxStatistics runs Get-MailboxStatistics -Identity identity and returns
// the mailbox's size in bytes and its item count. It returns an error
// answering errors.Is(err, mailbox.ErrNotFound) when there is no such
// mailbox, and ErrBadResponse when the size cannot be read (a size is never
// guessed: the license rules depend on it).
func (c *Client) MailboxStatistics(ctx context.Context, identity string) (mailbox.MailboxStatistics, error) {
	if identity == "" {
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics: empty identity: %w", mailbox.ErrInvalidAddress)
	}
	res, err := c.Invoke(ctx, "Get-MailboxStatistics", map[string]any{"Identity": identity})
	if err != nil {
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: %w", identity, err)
	}
	switch len(res.Values) {
	case 0:
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: %w", identity, mailbox.ErrNotFound)
	case 1:
	default:
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: %d answers: %w", identity, len(res.Values), ErrAmbiguous)
	}
	var w wireStatistics
	if err := json.Unmarshal(res.Values[0], &w); err != nil {
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: %w: %w", identity, ErrBadResponse, err)
	}
	if isNull(w.TotalItemSize) {
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: no TotalItemSize: %w", identity, ErrBadResponse)
	}
	size, err := rawCount(w.TotalItemSize, parseSize)
	if err != nil {
		return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: TotalItemSize: %w", identity, err)
	}
	var items int64
	if !isNull(w.ItemCount) {
		if items, err = rawCount(w.ItemCount, parseCount); err != nil {
			return mailbox.MailboxStatistics{}, fmt.Errorf("get mailbox statistics %s: ItemCount: %w", identity, err)
		}
	}
	return mailbox.MailboxStatistics{TotalItemSize: size, ItemCount: items}, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// rawCount reads a non-negative whole number sent as a JSON number, or as a
// JSON string read by parse.
func rawCount(raw json.RawMessage, parse func(string) (int64, error)) (int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		return parse(s)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s is not a count: %w", raw, ErrBadResponse)
	}
	return n, nil
}

// parseSize reads an Exchange ByteQuantifiedSize as text: the number of
// bytes in parentheses of "14.61 GB (15,687,850,951 bytes)" or "0 B (0
// bytes)", or a plain number of bytes. "Unlimited" (a quota, never a size)
// and anything else is an error wrapping ErrBadResponse.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "Unlimited") {
		return 0, fmt.Errorf("size is %q, not a number of bytes: %w", s, ErrBadResponse)
	}
	if i := strings.LastIndexByte(t, '('); i >= 0 {
		inner, ok := strings.CutSuffix(t[i+1:], ")")
		if !ok {
			return 0, fmt.Errorf("size %q: %w", s, ErrBadResponse)
		}
		inner = strings.TrimSpace(inner)
		if n, ok := strings.CutSuffix(inner, "bytes"); ok {
			inner = n
		} else if n, ok := strings.CutSuffix(inner, "byte"); ok {
			inner = n
		} else {
			return 0, fmt.Errorf("size %q: %w", s, ErrBadResponse)
		}
		t = strings.TrimSpace(inner)
	}
	n, err := parseCount(t)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, ErrBadResponse)
	}
	return n, nil
}

// parseCount reads a non-negative whole number, with or without thousands
// separators ("15,687,850,951").
func parseCount(s string) (int64, error) {
	d := strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if d == "" || strings.Trim(d, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a count: %w", s, ErrBadResponse)
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a count: %w", s, ErrBadResponse)
	}
	return n, nil
}
