package exchangetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// collectionOfString is the @odata.type Exchange puts beside a string array.
const collectionOfString = "#Collection(String)"

// MailboxStatistics is a Get-MailboxStatistics object in the wire shape of
// samples/exchange-get-mailboxstatistics.json (as far as
// mailbox.MailboxStatistics goes: no DisplayName, no deleted items).
type MailboxStatistics struct {
	ItemCount            int64  `json:"ItemCount"`
	TotalItemSize        string `json:"TotalItemSize"`
	TotalDeletedItemSize string `json:"TotalDeletedItemSize"`
}

// WireStatistics converts mailbox.MailboxStatistics to its wire shape.
func WireStatistics(st mailbox.MailboxStatistics) MailboxStatistics {
	return MailboxStatistics{
		ItemCount:            st.ItemCount,
		TotalItemSize:        FormatSize(st.TotalItemSize),
		TotalDeletedItemSize: FormatSize(0),
	}
}

// FormatSize writes a number of bytes the way Exchange shows a
// ByteQuantifiedSize: "14.61 GB (15,687,850,951 bytes)", "0 B (0 bytes)";
// units B, KB, MB, GB, TB in steps of 1024, two decimals above bytes.
func FormatSize(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	head := strconv.FormatInt(n, 10) + " B"
	if i > 0 {
		head = fmt.Sprintf("%.2f %s", v, units[i])
	}
	return fmt.Sprintf("%s (%s bytes)", head, thousands(n))
}

// thousands writes n with a comma every three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// MailboxPermission is a Get-MailboxPermission (and Add-MailboxPermission)
// object in its wire shape.
type MailboxPermission struct {
	Identity         string   `json:"Identity"`
	User             string   `json:"User"`
	AccessRightsType string   `json:"AccessRights@odata.type"`
	AccessRights     []string `json:"AccessRights"`
	IsInherited      bool     `json:"IsInherited"`
	Deny             bool     `json:"Deny"`
	InheritanceType  string   `json:"InheritanceType"`
}

// WireMailboxPermission converts a permission on the mailbox identity to the
// wire shape of Get-MailboxPermission.
func WireMailboxPermission(identity string, p mailbox.Permission) MailboxPermission {
	return MailboxPermission{
		Identity:         identity,
		User:             p.User,
		AccessRightsType: collectionOfString,
		AccessRights:     nonNil(p.AccessRights),
		IsInherited:      p.IsInherited,
		Deny:             p.Deny,
		InheritanceType:  "All",
	}
}

// RecipientPermission is a Get-RecipientPermission (and
// Add-RecipientPermission) object in its wire shape.
type RecipientPermission struct {
	Identity          string   `json:"Identity"`
	Trustee           string   `json:"Trustee"`
	AccessControlType string   `json:"AccessControlType"`
	AccessRightsType  string   `json:"AccessRights@odata.type"`
	AccessRights      []string `json:"AccessRights"`
	IsInherited       bool     `json:"IsInherited"`
	InheritanceType   string   `json:"InheritanceType"`
}

// WireRecipientPermission converts a permission on the recipient identity to
// the wire shape of Get-RecipientPermission: User is the Trustee, Deny the
// AccessControlType.
func WireRecipientPermission(identity string, p mailbox.Permission) RecipientPermission {
	act := "Allow"
	if p.Deny {
		act = "Deny"
	}
	return RecipientPermission{
		Identity:          identity,
		Trustee:           p.User,
		AccessControlType: act,
		AccessRightsType:  collectionOfString,
		AccessRights:      nonNil(p.AccessRights),
		IsInherited:       p.IsInherited,
		InheritanceType:   "None",
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// stringParam is a required non-empty string parameter.
func stringParam(params map[string]any, name string) (string, error) {
	v, ok := param(params, name)
	if !ok {
		return "", badParam("The fake requires the %s parameter.", name)
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", badParam("Cannot bind parameter '%s': expected a non-empty string, got %v.", name, v)
	}
	return s, nil
}

// boolParam is an optional boolean parameter; def when absent.
func boolParam(params map[string]any, name string, def bool) (bool, error) {
	v, ok := param(params, name)
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, badParam("Cannot bind parameter '%s': expected a boolean, got %v.", name, v)
	}
	return b, nil
}

// rightsParam requires AccessRights to be exactly want, as a string or an
// array of strings (PowerShell binds either).
func rightsParam(cmdlet string, params map[string]any, want string) error {
	v, ok := param(params, "AccessRights")
	if !ok {
		return badParam("The fake %s requires the AccessRights parameter.", cmdlet)
	}
	var got []string
	switch v := v.(type) {
	case string:
		got = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return badParam("Cannot bind parameter 'AccessRights': expected strings, got %v.", e)
			}
			got = append(got, s)
		}
	default:
		return badParam("Cannot bind parameter 'AccessRights': expected a string or an array, got %v.", v)
	}
	if len(got) != 1 || !strings.EqualFold(got[0], want) {
		return badParam("The fake %s implements only -AccessRights %s, got %v.", cmdlet, want, got)
	}
	return nil
}

// inheritanceParam accepts an absent InheritanceType or "All".
func inheritanceParam(cmdlet string, params map[string]any) error {
	v, ok := param(params, "InheritanceType")
	if !ok {
		return nil
	}
	if s, ok := v.(string); !ok || !strings.EqualFold(s, "All") {
		return badParam("The fake %s implements only -InheritanceType All, got %v.", cmdlet, v)
	}
	return nil
}

func (s *Server) getMailboxStatistics(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-MailboxStatistics", params, "Identity"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.backend.MailboxStatistics(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return []any{WireStatistics(st)}, []string{}, nil
}

func (s *Server) getMailboxPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-MailboxPermission", params, "Identity"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	perms, err := s.backend.MailboxPermissions(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, 0, len(perms))
	for _, p := range perms {
		values = append(values, WireMailboxPermission(id, p))
	}
	return values, []string{}, nil
}

// fullAccessParams checks the parameters of Add-/Remove-MailboxPermission
// and returns the mailbox and the user.
func fullAccessParams(cmdlet string, params map[string]any, allowed ...string) (id, user string, err error) {
	if err := onlyParams(cmdlet, params, allowed...); err != nil {
		return "", "", err
	}
	if id, err = identityParam(params); err != nil {
		return "", "", err
	}
	if user, err = stringParam(params, "User"); err != nil {
		return "", "", err
	}
	if err := rightsParam(cmdlet, params, mailbox.RightFullAccess); err != nil {
		return "", "", err
	}
	if err := inheritanceParam(cmdlet, params); err != nil {
		return "", "", err
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return "", "", err
	}
	return id, user, nil
}

func (s *Server) addMailboxPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	const cmdlet = "Add-MailboxPermission"
	id, user, err := fullAccessParams(cmdlet, params, "Identity", "User", "AccessRights", "InheritanceType", "AutoMapping", "Confirm")
	if err != nil {
		return nil, nil, err
	}
	autoMapping, err := boolParam(params, "AutoMapping", true) // Exchange's default
	if err != nil {
		return nil, nil, err
	}
	if err := s.backend.AddFullAccess(ctx, id, user, autoMapping); err != nil {
		return nil, nil, err
	}
	p := mailbox.Permission{User: user, AccessRights: []string{mailbox.RightFullAccess}}
	return []any{WireMailboxPermission(id, p)}, []string{}, nil
}

func (s *Server) removeMailboxPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	const cmdlet = "Remove-MailboxPermission"
	id, user, err := fullAccessParams(cmdlet, params, "Identity", "User", "AccessRights", "InheritanceType", "Confirm")
	if err != nil {
		return nil, nil, err
	}
	if err := s.backend.RemoveFullAccess(ctx, id, user); err != nil {
		return nil, nil, err
	}
	return []any{}, []string{}, nil
}

func (s *Server) getRecipientPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if _, byTrustee := param(params, "Trustee"); byTrustee {
		if _, hasID := param(params, "Identity"); !hasID {
			return s.recipientPermissionsOf(ctx, params)
		}
	}
	if err := onlyParams("Get-RecipientPermission", params, "Identity"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	perms, err := s.backend.RecipientPermissions(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, 0, len(perms))
	for _, p := range perms {
		values = append(values, WireRecipientPermission(id, p))
	}
	return values, []string{}, nil
}

// sendAsParams checks the parameters of Add-/Remove-RecipientPermission and
// returns the recipient and the trustee.
func sendAsParams(cmdlet string, params map[string]any) (id, trustee string, err error) {
	if err := onlyParams(cmdlet, params, "Identity", "Trustee", "AccessRights", "Confirm"); err != nil {
		return "", "", err
	}
	if id, err = identityParam(params); err != nil {
		return "", "", err
	}
	if trustee, err = stringParam(params, "Trustee"); err != nil {
		return "", "", err
	}
	if err := rightsParam(cmdlet, params, mailbox.RightSendAs); err != nil {
		return "", "", err
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return "", "", err
	}
	return id, trustee, nil
}

func (s *Server) addRecipientPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	id, trustee, err := sendAsParams("Add-RecipientPermission", params)
	if err != nil {
		return nil, nil, err
	}
	if err := s.backend.AddSendAs(ctx, id, trustee); err != nil {
		return nil, nil, err
	}
	p := mailbox.Permission{User: trustee, AccessRights: []string{mailbox.RightSendAs}}
	return []any{WireRecipientPermission(id, p)}, []string{}, nil
}

func (s *Server) removeRecipientPermission(ctx context.Context, params map[string]any) ([]any, []string, error) {
	id, trustee, err := sendAsParams("Remove-RecipientPermission", params)
	if err != nil {
		return nil, nil, err
	}
	if err := s.backend.RemoveSendAs(ctx, id, trustee); err != nil {
		return nil, nil, err
	}
	return []any{}, []string{}, nil
}
