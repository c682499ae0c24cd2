// Steps that change the leaver's mailbox settings: the automatic reply,
// forwarding to an internal recipient and hiding from the address lists.
// Each reads first, changes only what differs, and records in
// Outcome.Before what it changed, for a reverse step.

package mailbox

import (
	"slices"
	"strings"
)

// autoReply turns the automatic reply on with the text in Arg (on), or off.
func (x run) autoReply(on bool) (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	mbx := x.mbx()
	cur, err := sx.AutoReply(x.ctx, mbx)
	if x.unread(err) {
		cur, err = AutoReply{State: AutoReplyDisabled}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if on && cur.Says(x.s.Arg) {
		return Outcome{Status: Skipped, Detail: "the automatic reply was already on with this text"}, nil
	}
	if !on && strings.EqualFold(cur.State, AutoReplyDisabled) {
		return Outcome{Status: Skipped, Detail: "the automatic reply was already off"}, nil
	}
	want := AutoReply{State: AutoReplyDisabled}
	params := map[string]any{"Identity": mbx, "AutoReplyState": AutoReplyDisabled}
	done := "automatic reply turned off"
	if on {
		h := AutoReplyHTML(x.s.Arg)
		want = AutoReply{State: AutoReplyEnabled, InternalMessage: h, ExternalMessage: h, ExternalAudience: "All"}
		params = map[string]any{"Identity": mbx, "AutoReplyState": AutoReplyEnabled, "InternalMessage": h, "ExternalMessage": h, "ExternalAudience": "All"}
		done = "automatic reply turned on, for internal and external senders"
	}
	out, err := x.change(exo("Set-MailboxAutoReplyConfiguration", params), nil, done, func() error {
		return sx.SetAutoReply(x.ctx, mbx, want)
	})
	if err == nil && out.Status == Done {
		out.Before = &Settings{AutoReply: &cur}
	}
	return out, err
}

// forward makes the mailbox forward its mail to Arg, keeping a copy.
func (x run) forward() (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	mbx, who := x.mbx(), x.s.Arg
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
	if x.unread(err) {
		mb, err = Mailbox{}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if Names(who, x.s.Names...).Match(mb.ForwardingAddress) && mb.DeliverToMailboxAndForward && mb.ForwardingSMTPAddress == "" {
		return Outcome{Status: Skipped, Detail: "mail was already forwarded to " + who + ", a copy kept"}, nil
	}
	// ForwardingSmtpAddress would win over ForwardingAddress: cleared.
	params := map[string]any{"Identity": mbx, "ForwardingAddress": who, "ForwardingSmtpAddress": nil, "DeliverToMailboxAndForward": true}
	out, err := x.change(exo("Set-Mailbox", params), nil, "mail forwarded to "+who+", a copy kept", func() error {
		return sx.SetForwarding(x.ctx, mbx, who, true)
	})
	if err == nil && out.Status == Done {
		out.Before = &Settings{ForwardingAddress: mb.ForwardingAddress, ForwardingSMTPAddress: mb.ForwardingSMTPAddress,
			DeliverToMailboxAndForward: mb.DeliverToMailboxAndForward}
	}
	return out, err
}

// hide hides the mailbox from the address lists.
func (x run) hide() (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	mbx := x.mbx()
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
	if x.unread(err) {
		mb, err = Mailbox{}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if mb.HiddenFromAddressListsEnabled {
		return Outcome{Status: Skipped, Detail: "the mailbox was already hidden from the address lists"}, nil
	}
	params := map[string]any{"Identity": mbx, "HiddenFromAddressListsEnabled": true}
	out, err := x.change(exo("Set-Mailbox", params), nil, "hidden from the address lists", func() error {
		return sx.SetHidden(x.ctx, mbx, true)
	})
	if err == nil && out.Status == Done {
		out.Before = &Settings{Hidden: false}
	}
	return out, err
}

// sendersOf lists who may send as or on behalf of the mailbox: the
// explicit Send As trustees and GrantSendOnBehalfTo (rule 13).
func sendersOf(perms []Permission, mb Mailbox) []string {
	var out []string
	for _, p := range Explicit(perms) {
		if slices.Contains(p.AccessRights, RightSendAs) && !slices.Contains(out, p.User) {
			out = append(out, p.User)
		}
	}
	for _, w := range mb.GrantSendOnBehalfTo {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
