// The leaver's mailbox settings: Get- and
// Set-MailboxAutoReplyConfiguration, and Set-Mailbox's
// -ForwardingAddress, -ForwardingSmtpAddress $null,
// -DeliverToMailboxAndForward and -HiddenFromAddressListsEnabled, answered
// by a backend that implements mailbox.SettingsExchange.

package exchangetest

import (
	"context"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// settingsParams are the Set-Mailbox parameters of the settings.
var settingsParams = []string{"ForwardingAddress", "ForwardingSmtpAddress", "DeliverToMailboxAndForward", "HiddenFromAddressListsEnabled"}

func (s *Server) settingsBackend() (mailbox.SettingsExchange, error) {
	sx, ok := s.backend.(mailbox.SettingsExchange)
	if !ok {
		return nil, badParam("The fake's backend has no automatic reply, forwarding or address list settings.")
	}
	return sx, nil
}

// settingsChange is what a Set-Mailbox asks of the settings.
type settingsChange struct {
	forward           bool
	address           string
	keepCopy          bool
	hide, hiddenValue bool
}

func (c settingsChange) any() bool { return c.forward || c.hide }

// parseSettings reads Set-Mailbox's settings parameters. ForwardingAddress
// is a recipient or $null; ForwardingSmtpAddress only $null (the bot never
// forwards outside); DeliverToMailboxAndForward goes with ForwardingAddress.
func parseSettings(params map[string]any) (settingsChange, error) {
	var c settingsChange
	fv, hasFwd := param(params, "ForwardingAddress")
	switch v := fv.(type) {
	case nil:
	case string:
		if v == "" {
			return c, badParam("Cannot bind parameter 'ForwardingAddress': an empty string; send null to clear it.")
		}
		c.address = v
	default:
		return c, badParam("Cannot bind parameter 'ForwardingAddress': expected a string or null, got %v.", fv)
	}
	if smtp, ok := param(params, "ForwardingSmtpAddress"); ok && smtp != nil {
		return c, badParam("The fake takes ForwardingSmtpAddress $null only, got %v.", smtp)
	}
	keep, err := boolParam(params, "DeliverToMailboxAndForward", false)
	if err != nil {
		return c, err
	}
	if _, ok := param(params, "DeliverToMailboxAndForward"); ok && !hasFwd {
		return c, badParam("The fake takes DeliverToMailboxAndForward with ForwardingAddress only.")
	}
	c.forward, c.keepCopy = hasFwd, keep
	if hv, ok := param(params, "HiddenFromAddressListsEnabled"); ok {
		b, isBool := hv.(bool)
		if !isBool {
			return c, badParam("Cannot bind parameter 'HiddenFromAddressListsEnabled': expected a boolean, got %v.", hv)
		}
		c.hide, c.hiddenValue = true, b
	}
	return c, nil
}

// applySettings makes the change c on mailbox id.
func (s *Server) applySettings(ctx context.Context, id string, c settingsChange) error {
	if !c.any() {
		return nil
	}
	sx, err := s.settingsBackend()
	if err != nil {
		return err
	}
	if c.forward {
		if err := sx.SetForwarding(ctx, id, c.address, c.keepCopy); err != nil {
			return err
		}
	}
	if c.hide {
		return sx.SetHidden(ctx, id, c.hiddenValue)
	}
	return nil
}

// AutoReplyConfiguration is a Get-MailboxAutoReplyConfiguration object in
// its wire shape (as far as the bot reads it).
type AutoReplyConfiguration struct {
	Identity         string `json:"Identity"`
	AutoReplyState   string `json:"AutoReplyState"`
	InternalMessage  string `json:"InternalMessage"`
	ExternalMessage  string `json:"ExternalMessage"`
	ExternalAudience string `json:"ExternalAudience"`
	StartTime        string `json:"StartTime"`
	EndTime          string `json:"EndTime"`
}

func (s *Server) getAutoReply(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Get-MailboxAutoReplyConfiguration", params, "Identity"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	sx, err := s.settingsBackend()
	if err != nil {
		return nil, nil, err
	}
	a, err := sx.AutoReply(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return []any{AutoReplyConfiguration{Identity: id, AutoReplyState: a.State, InternalMessage: a.InternalMessage,
		ExternalMessage: a.ExternalMessage, ExternalAudience: firstOr(a.ExternalAudience, "All"),
		StartTime: when(a.StartTime), EndTime: when(a.EndTime)}}, []string{}, nil
}

func (s *Server) setAutoReply(ctx context.Context, params map[string]any) ([]any, []string, error) {
	if err := onlyParams("Set-MailboxAutoReplyConfiguration", params, "Identity", "AutoReplyState", "InternalMessage",
		"ExternalMessage", "ExternalAudience", "StartTime", "EndTime", "Confirm"); err != nil {
		return nil, nil, err
	}
	id, err := identityParam(params)
	if err != nil {
		return nil, nil, err
	}
	state, err := stringParam(params, "AutoReplyState")
	if err != nil {
		return nil, nil, err
	}
	a := mailbox.AutoReply{}
	for _, st := range []string{mailbox.AutoReplyEnabled, mailbox.AutoReplyDisabled, mailbox.AutoReplyScheduled} {
		if strings.EqualFold(state, st) {
			a.State = st
		}
	}
	if a.State == "" {
		return nil, nil, badParam("Cannot bind parameter 'AutoReplyState': %q is not Enabled, Disabled or Scheduled.", state)
	}
	str := func(name string) (string, error) {
		v, ok := param(params, name)
		if !ok || v == nil {
			return "", nil
		}
		t, isStr := v.(string)
		if !isStr {
			return "", badParam("Cannot bind parameter '%s': expected a string, got %v.", name, v)
		}
		return t, nil
	}
	if a.InternalMessage, err = str("InternalMessage"); err != nil {
		return nil, nil, err
	}
	if a.ExternalMessage, err = str("ExternalMessage"); err != nil {
		return nil, nil, err
	}
	if a.ExternalAudience, err = str("ExternalAudience"); err != nil {
		return nil, nil, err
	}
	switch strings.ToLower(a.ExternalAudience) {
	case "", "none", "known", "all":
	default:
		return nil, nil, badParam("Cannot bind parameter 'ExternalAudience': %q is not None, Known or All.", a.ExternalAudience)
	}
	for name, into := range map[string]*time.Time{"StartTime": &a.StartTime, "EndTime": &a.EndTime} {
		t, err := str(name)
		if err != nil {
			return nil, nil, err
		}
		if t == "" {
			continue
		}
		if *into, err = time.Parse(time.RFC3339, t); err != nil {
			return nil, nil, badParam("Cannot bind parameter '%s': %q is not a date.", name, t)
		}
	}
	if _, err := boolParam(params, "Confirm", true); err != nil {
		return nil, nil, err
	}
	sx, err := s.settingsBackend()
	if err != nil {
		return nil, nil, err
	}
	if err := sx.SetAutoReply(ctx, id, a); err != nil {
		return nil, nil, err
	}
	return []any{}, []string{}, nil
}

func firstOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
