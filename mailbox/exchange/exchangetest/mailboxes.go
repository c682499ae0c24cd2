// Get-Mailbox and Set-Mailbox, and the wire shape of a mailbox (Mailbox,
// WireMailbox).

package exchangetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

func (s *Server) getMailbox(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-Mailbox", params, "Identity", "ResultSize", "Filter", "RecipientTypeDetails"); err != nil {
		return nil, nil, err
	}
	_, hasID := param(params, "Identity")
	if n, ok := param(params, "ResultSize"); ok && !hasID {
		if err := resultSizeParam(n); err != nil {
			return nil, nil, err
		}
		return s.listMailboxes(ctx, params)
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	mb, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return []any{WireMailbox(mb)}, []string{}, nil
}

// setMailbox runs Set-Mailbox -Identity with -Type, -GrantSendOnBehalfTo (the
// Add/Remove hashtable only) or both.
func (s *Server) setMailbox(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Set-Mailbox", params, append([]string{"Identity", "Type", "GrantSendOnBehalfTo", "Confirm"}, settingsParams...)...); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	tv, hasType := param(params, "Type")
	t, ok := tv.(string)
	if hasType && (!ok || t == "") {
		return nil, nil, badParam("Cannot bind parameter 'Type': expected a non-empty string, got %v.", tv)
	}
	sv, hasSOB := param(params, "GrantSendOnBehalfTo")
	var add, remove []string
	if hasSOB {
		if add, remove, err = hashtableParam("GrantSendOnBehalfTo", sv); err != nil {
			return nil, nil, err
		}
	}
	set, err := parseSettings(params)
	if err != nil {
		return nil, nil, err
	}
	if !hasType && !hasSOB && !set.any() {
		return nil, nil, badParam("The fake Set-Mailbox requires Type, GrantSendOnBehalfTo, ForwardingAddress or HiddenFromAddressListsEnabled.")
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return nil, nil, err
	}
	before, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if hasType {
		if err := s.backend.SetMailboxType(ctx, id, mailbox.MailboxType(t)); err != nil {
			return nil, nil, err
		}
	}
	if hasSOB {
		if err := s.backend.SetSendOnBehalf(ctx, id, add, remove); err != nil {
			return nil, nil, err
		}
	}
	if err := s.applySettings(ctx, id, set); err != nil {
		return nil, nil, err
	}
	after, err := s.backend.GetMailbox(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	// A backend may report the new type only later (conversion is not
	// instant), so "unchanged" also needs the mailbox to have had the type.
	want := map[string]string{"shared": mailbox.RecipientSharedMailbox, "regular": mailbox.RecipientUserMailbox}[strings.ToLower(t)]
	if reflect.DeepEqual(before, after) && (want == "" || before.RecipientTypeDetails == want) {
		return []any{}, []string{NoChangeWarning(before.Identity)}, nil
	}
	return []any{}, []string{}, nil
}

// NoChangeWarning is the warning Set-Mailbox gives when nothing changed.
func NoChangeWarning(identity string) string {
	return fmt.Sprintf("The command completed successfully but no settings of '%s' have been modified.", identity)
}

// Mailbox is a Get-Mailbox object in the wire shape of
// samples/exchange-get-mailbox.json (as far as mailbox.Mailbox goes).
type Mailbox struct {
	Identity                      string   `json:"Identity"`
	DistinguishedName             string   `json:"DistinguishedName,omitempty"`
	DisplayName                   string   `json:"DisplayName"`
	Alias                         string   `json:"Alias"`
	UserPrincipalName             string   `json:"UserPrincipalName"`
	PrimarySmtpAddress            string   `json:"PrimarySmtpAddress"`
	ExternalDirectoryObjectId     string   `json:"ExternalDirectoryObjectId"`
	ExchangeGuid                  string   `json:"ExchangeGuid,omitempty"`
	WhenCreatedUTC                string   `json:"WhenCreatedUTC,omitempty"` // ISO 8601, UTC
	RecipientTypeDetails          string   `json:"RecipientTypeDetails"`
	IsDirSynced                   bool     `json:"IsDirSynced"`
	LitigationHoldEnabled         bool     `json:"LitigationHoldEnabled"`
	InPlaceHoldsType              string   `json:"InPlaceHolds@odata.type"`
	InPlaceHolds                  []string `json:"InPlaceHolds"`
	ArchiveStatus                 string   `json:"ArchiveStatus"`
	HiddenFromAddressListsEnabled bool     `json:"HiddenFromAddressListsEnabled"`
	GrantSendOnBehalfToType       string   `json:"GrantSendOnBehalfTo@odata.type"`
	GrantSendOnBehalfTo           []string `json:"GrantSendOnBehalfTo"`
	AutoExpandingArchiveEnabled   bool     `json:"AutoExpandingArchiveEnabled"`
	ForwardingAddress             *string  `json:"ForwardingAddress"`     // null when none
	ForwardingSmtpAddress         *string  `json:"ForwardingSmtpAddress"` // null when none
	DeliverToMailboxAndForward    bool     `json:"DeliverToMailboxAndForward"`
}

// WireMailbox converts a mailbox.Mailbox to its wire shape.
func WireMailbox(m mailbox.Mailbox) Mailbox {
	alias, _, _ := strings.Cut(m.PrimarySMTPAddress, "@")
	archive := m.ArchiveStatus
	if archive == "" {
		archive = "None"
	}
	return Mailbox{
		Identity:                      m.Identity,
		DistinguishedName:             m.DistinguishedName,
		DisplayName:                   m.DisplayName,
		Alias:                         alias,
		UserPrincipalName:             m.UserPrincipalName,
		PrimarySmtpAddress:            m.PrimarySMTPAddress,
		ExternalDirectoryObjectId:     m.ExternalDirectoryObjectID,
		ExchangeGuid:                  m.ExchangeGUID,
		WhenCreatedUTC:                when(m.WhenCreatedUTC),
		RecipientTypeDetails:          m.RecipientTypeDetails,
		IsDirSynced:                   m.IsDirSynced,
		LitigationHoldEnabled:         m.LitigationHoldEnabled,
		InPlaceHoldsType:              "#Collection(String)",
		InPlaceHolds:                  nonNil(m.InPlaceHolds),
		ArchiveStatus:                 archive,
		HiddenFromAddressListsEnabled: m.HiddenFromAddressListsEnabled,
		GrantSendOnBehalfToType:       "#Collection(String)",
		GrantSendOnBehalfTo:           nonNil(m.GrantSendOnBehalfTo),
		AutoExpandingArchiveEnabled:   m.AutoExpandingArchiveEnabled,
		ForwardingAddress:             orNull(m.ForwardingAddress),
		ForwardingSmtpAddress:         orNull(m.ForwardingSMTPAddress),
		DeliverToMailboxAndForward:    m.DeliverToMailboxAndForward,
	}
}

// orNull is s, or JSON null for "".
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// when writes a date as the admin API does; "" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
