// The listings that find a person's rights on other mailboxes (rule 18),
// answered from a backend that implements mailbox.AccessFinder:
// Get-RecipientPermission -Trustee, Get-Mailbox -Filter "GrantSendOnBehalfTo
// -eq '<dn>'" and Get-Mailbox -RecipientTypeDetails SharedMailbox, each
// with -ResultSize, paged like every answer (Options.PageSize).

package exchangetest

import (
	"context"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// resultSizeParam accepts -ResultSize as Exchange binds it: "Unlimited" or
// a positive number.
func resultSizeParam(v any) error {
	switch n := v.(type) {
	case string:
		if strings.EqualFold(n, "Unlimited") {
			return nil
		}
	case float64:
		if n >= 1 {
			return nil
		}
	}
	return badParam("Cannot bind parameter 'ResultSize': expected Unlimited or a positive number, got %v.", v)
}

// finder is the backend's AccessFinder, or a 400 saying the fake cannot
// list.
func (s *Server) finder(cmdlet string) (mailbox.AccessFinder, error) {
	f, ok := s.backend.(mailbox.AccessFinder)
	if !ok {
		return nil, badParam("The fake %s cannot list: its backend does not implement mailbox.AccessFinder.", cmdlet)
	}
	return f, nil
}

// listMailboxes answers Get-Mailbox without -Identity: -Filter
// "GrantSendOnBehalfTo -eq '<dn>'" (the only filter it knows; a quote in
// the value doubled), -RecipientTypeDetails SharedMailbox, or neither, which
// lists none (the fake cannot enumerate every mailbox).
func (s *Server) listMailboxes(ctx context.Context, params map[string]any) ([]any, []string, error) {
	fv, hasFilter := param(params, "Filter")
	tv, hasType := param(params, "RecipientTypeDetails")
	if !hasFilter && !hasType {
		return []any{}, []string{}, nil
	}
	if hasFilter && hasType {
		return nil, nil, badParam("The fake Get-Mailbox takes Filter or RecipientTypeDetails, not both.")
	}
	f, err := s.finder("Get-Mailbox")
	if err != nil {
		return nil, nil, err
	}
	var mbs []mailbox.Mailbox
	if hasFilter {
		filter, _ := fv.(string)
		dn, ok := sendOnBehalfDN(filter)
		if !ok {
			return nil, nil, badParam("The fake Get-Mailbox knows only -Filter \"GrantSendOnBehalfTo -eq '<distinguished name>'\", got %v.", fv)
		}
		mbs, err = f.SendOnBehalfOn(ctx, dn)
	} else {
		if t, _ := tv.(string); !strings.EqualFold(t, mailbox.RecipientSharedMailbox) {
			return nil, nil, badParam("The fake Get-Mailbox lists only -RecipientTypeDetails SharedMailbox, got %v.", tv)
		}
		mbs, err = f.SharedMailboxes(ctx)
	}
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, 0, len(mbs))
	for _, mb := range mbs {
		values = append(values, WireMailbox(mb))
	}
	return values, []string{}, nil
}

// sendOnBehalfDN reads the value of "GrantSendOnBehalfTo -eq '<dn>'",
// with OPATH's doubled quotes undone.
func sendOnBehalfDN(filter string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(filter), "GrantSendOnBehalfTo -eq '")
	if !ok || !strings.HasSuffix(rest, "'") {
		return "", false
	}
	v := strings.TrimSuffix(rest, "'")
	if strings.Contains(strings.ReplaceAll(v, "''", ""), "'") {
		return "", false // a lone quote would end the value early
	}
	return strings.ReplaceAll(v, "''", "'"), true
}

// recipientPermissionsOf answers Get-RecipientPermission -Trustee
// [-AccessRights SendAs] -ResultSize: one entry per recipient on which the
// trustee holds Send As, its Identity the recipient's name.
func (s *Server) recipientPermissionsOf(ctx context.Context, params map[string]any) ([]any, []string, error) {
	const cmdlet = "Get-RecipientPermission"
	if err := onlyParams(cmdlet, params, "Trustee", "AccessRights", "ResultSize"); err != nil {
		return nil, nil, err
	}
	trustee, err := stringParam(params, "Trustee")
	if err != nil {
		return nil, nil, err
	}
	if _, ok := param(params, "AccessRights"); ok {
		if err := rightsParam(cmdlet, params, mailbox.RightSendAs); err != nil {
			return nil, nil, err
		}
	}
	if n, ok := param(params, "ResultSize"); ok {
		if err := resultSizeParam(n); err != nil {
			return nil, nil, err
		}
	}
	f, err := s.finder(cmdlet)
	if err != nil {
		return nil, nil, err
	}
	ids, err := f.SendAsOn(ctx, trustee)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, 0, len(ids))
	for _, id := range ids {
		p := mailbox.Permission{User: trustee, AccessRights: []string{mailbox.RightSendAs}}
		values = append(values, WireRecipientPermission(id, p))
	}
	return values, []string{}, nil
}
