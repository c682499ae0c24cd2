// Undoing the leaver's mailbox settings (issue 16): the automatic reply,
// the forwarding and the hiding from the address lists are put back as
// each step recorded them before its change (Step.Settings, from
// Outcome.Before). A setting someone changed since is not overwritten: it
// stops the undo, as any change made since does.

package mailbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

func init() {
	reversals[StepSetAutoReply] = reverseAutoReply(true)
	reversals[StepAutoReplyOff] = reverseAutoReply(false)
	reversals[StepForward] = reverseForward
	reversals[StepHide] = reverseHide
}

// sameSettings reports whether a and b record the same settings.
func sameSettings(a, b *Settings) bool {
	if a == nil || b == nil {
		return a == b
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// sameAutoReply reports whether a and b say the same thing to the same
// senders at the same times (the HTML compared as text).
func sameAutoReply(a, b AutoReply) bool {
	if strings.EqualFold(a.State, AutoReplyDisabled) || strings.EqualFold(b.State, AutoReplyDisabled) {
		return strings.EqualFold(a.State, b.State)
	}
	return strings.EqualFold(a.State, b.State) && strings.EqualFold(a.ExternalAudience, b.ExternalAudience) &&
		AutoReplyText(a.InternalMessage) == AutoReplyText(b.InternalMessage) &&
		AutoReplyText(a.ExternalMessage) == AutoReplyText(b.ExternalMessage) &&
		a.StartTime.Equal(b.StartTime) && a.EndTime.Equal(b.EndTime)
}

// describeAutoReply is an automatic reply for people: off, or on with its text.
func describeAutoReply(a AutoReply) string {
	if strings.EqualFold(a.State, AutoReplyDisabled) {
		return "off"
	}
	return fmt.Sprintf("%s, saying “%s”", strings.ToLower(a.State), AutoReplyText(a.InternalMessage))
}

// reverseAutoReply undoes turning the automatic reply on (set: with the
// text in Arg) or off: the reply as it was before is put back, when it is
// still as the request left it.
func reverseAutoReply(set bool) Reversal {
	return func(u *Undoing, done Step) error {
		was := AutoReply{State: AutoReplyDisabled}
		if done.Settings != nil && done.Settings.AutoReply != nil {
			was = *done.Settings.AutoReply
		} else {
			u.Say(Warning, 0, fmt.Sprintf("%s did not record the automatic reply it replaced: the undo turns it off.", u.of()), "")
		}
		sx, err := settingsOf(u.p.Exchange)
		if err != nil {
			return err
		}
		now, err := sx.AutoReply(u.ctx, u.mbx())
		if err != nil {
			return fmt.Errorf("read the automatic reply of %s: %w", u.mbx(), err)
		}
		left := strings.EqualFold(now.State, AutoReplyDisabled)
		if set {
			left = now.Says(done.Arg)
		}
		switch {
		case sameAutoReply(now, was):
			u.Say(Info, 0, fmt.Sprintf("The automatic reply is already as it was before %s (%s): nothing to change.", u.of(), describeAutoReply(was)), "")
			return nil
		case !left:
			u.Block("", 0, fmt.Sprintf("The automatic reply was changed since %s: it is now %s. The undo would overwrite it.", u.of(), describeAutoReply(now)),
				"Change it yourself in the Exchange admin center, or put it back as the request left it and ask for the undo again.")
			return nil
		}
		u.Say(Info, 0, fmt.Sprintf("The automatic reply is put back as it was before %s: %s.", u.of(), describeAutoReply(was)), "")
		u.Step(Step{Name: StepRestoreAutoReply, Settings: &Settings{AutoReply: &was},
			Title: fmt.Sprintf("Put the automatic reply back as before %s: %s (Set-MailboxAutoReplyConfiguration)", u.Undo.Of, describeAutoReply(was))})
		return nil
	}
}

// reverseForward undoes forwarding to Arg: the forwarding as it was before
// is put back, when the mailbox still forwards where the request set.
func reverseForward(u *Undoing, done Step) error {
	was := Settings{}
	if done.Settings != nil {
		was = *done.Settings
	} else {
		u.Say(Warning, 18, fmt.Sprintf("%s did not record the forwarding it replaced: the undo stops forwarding.", u.of()), "")
	}
	now := u.Mailbox
	before := firstOf(was.ForwardingAddress, "nowhere")
	switch {
	case strings.EqualFold(now.ForwardingAddress, was.ForwardingAddress) && now.ForwardingSMTPAddress == "" && was.ForwardingSMTPAddress == "":
		u.Say(Info, 18, fmt.Sprintf("The mail of %s already goes where it went before %s (%s): nothing to change.", u.d.Target.UserPrincipalName, u.of(), before), "")
		return nil
	case !Names(done.Arg, done.Names...).Match(now.ForwardingAddress) || now.ForwardingSMTPAddress != "":
		u.Block("", 18, fmt.Sprintf("The forwarding was changed since %s: mail now goes to %s, not %s. The undo would overwrite it.", u.of(),
			firstOf(now.ForwardingSMTPAddress, now.ForwardingAddress, "nowhere"), done.Arg),
			"Change it yourself in the Exchange admin center, or ask for the undo again once it forwards to "+done.Arg+".")
		return nil
	}
	if was.ForwardingSMTPAddress != "" {
		u.Say(Warning, 18, fmt.Sprintf("Before %s, mail was forwarded to %s (ForwardingSmtpAddress): I cannot put that back, since I never forward outside the organisation (rule 18).", u.of(), was.ForwardingSMTPAddress),
			"If it is still wanted, an Exchange administrator sets it again in the Exchange admin center.")
	}
	reader, err := u.forwardedTo(was.ForwardingAddress)
	if err != nil {
		return err
	}
	if reader == "" && was.ForwardingAddress != "" {
		u.Say(Warning, 18, fmt.Sprintf("Before %s, mail was forwarded to %s, which is not a person or a mail-enabled group in an accepted domain of the organisation now: I do not forward there again (rule 18), and forwarding stops.", u.of(), was.ForwardingAddress),
			"If it is still wanted, an Exchange administrator sets it again in the Exchange admin center.")
		was = Settings{}
	}
	title := fmt.Sprintf("Stop forwarding to %s, as before %s (Set-Mailbox -ForwardingAddress $null)", done.Arg, u.Undo.Of)
	if was.ForwardingAddress != "" {
		copyKept := map[bool]string{true: ", keeping a copy", false: ", keeping no copy"}[was.DeliverToMailboxAndForward]
		title = fmt.Sprintf("Forward mail to %s again%s, as before %s (Set-Mailbox -ForwardingAddress)", was.ForwardingAddress, copyKept, u.Undo.Of)
	}
	again := "it is no longer forwarded, as before"
	if was.ForwardingAddress != "" {
		again = "it goes to " + was.ForwardingAddress + " again"
	}
	u.Say(Info, 18, fmt.Sprintf("Mail of %s stops going to %s, which %s set: %s.", u.d.Target.UserPrincipalName, done.Arg, u.of(), again), "")
	u.Step(Step{Name: StepRestoreForwarding, Arg: reader, Settings: &Settings{ForwardingAddress: was.ForwardingAddress,
		DeliverToMailboxAndForward: was.DeliverToMailboxAndForward, ForwardingSMTPAddress: was.ForwardingSMTPAddress}, Title: title})
	return nil
}

// reverseHide shows the mailbox in the address lists again, unless
// someone did so since.
func reverseHide(u *Undoing, _ Step) error {
	if !u.Mailbox.HiddenFromAddressListsEnabled {
		u.Say(Info, 13, fmt.Sprintf("%s is already shown in the address lists again (%s hid it): nothing to change.", u.d.Target.UserPrincipalName, u.of()), "")
		return nil
	}
	u.Step(Step{Name: StepUnhide, Title: fmt.Sprintf("Show the mailbox in the address lists again, as before %s (Set-Mailbox -HiddenFromAddressListsEnabled $false)", u.Undo.Of)})
	return nil
}

// restoreAutoReply puts back the automatic reply in Settings.
func (x run) restoreAutoReply() (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	want := AutoReply{State: AutoReplyDisabled}
	if x.s.Settings != nil && x.s.Settings.AutoReply != nil {
		want = *x.s.Settings.AutoReply
	}
	mbx := x.mbx()
	cur, err := sx.AutoReply(x.ctx, mbx)
	if err != nil && !x.unread(err) {
		return Outcome{}, err
	}
	if err == nil && sameAutoReply(cur, want) {
		return Outcome{Status: Skipped, Detail: "the automatic reply was already " + describeAutoReply(want)}, nil
	}
	params := map[string]any{"Identity": mbx, "AutoReplyState": want.State}
	if !strings.EqualFold(want.State, AutoReplyDisabled) {
		params["InternalMessage"], params["ExternalMessage"], params["ExternalAudience"] = want.InternalMessage, want.ExternalMessage, want.ExternalAudience
		if !want.StartTime.IsZero() {
			params["StartTime"], params["EndTime"] = want.StartTime, want.EndTime
		}
	}
	return x.change(exo("Set-MailboxAutoReplyConfiguration", params), nil, "automatic reply put back: "+describeAutoReply(want), func() error {
		return sx.SetAutoReply(x.ctx, mbx, want)
	})
}

// restoreForwarding puts back the ForwardingAddress in Settings ("" stops
// forwarding).
func (x run) restoreForwarding() (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	var want Settings
	if x.s.Settings != nil {
		want = *x.s.Settings
	}
	mbx := x.mbx()
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
	if err != nil && !x.unread(err) {
		return Outcome{}, err
	}
	to, keep := want.ForwardingAddress, want.DeliverToMailboxAndForward && want.ForwardingAddress != ""
	if err == nil && mb.ForwardingSMTPAddress == "" && strings.EqualFold(mb.ForwardingAddress, to) && (to == "" || mb.DeliverToMailboxAndForward == keep) {
		return Outcome{Status: Skipped, Detail: "the forwarding was already " + firstOf(to, "off")}, nil
	}
	var addr any = to
	if to == "" {
		addr = nil
	}
	params := map[string]any{"Identity": mbx, "ForwardingAddress": addr, "ForwardingSmtpAddress": nil, "DeliverToMailboxAndForward": keep}
	return x.change(exo("Set-Mailbox", params), nil, "forwarding put back: "+firstOf(to, "off"), func() error {
		return sx.SetForwarding(x.ctx, mbx, to, keep)
	})
}

// unhide shows the mailbox in the address lists again.
func (x run) unhide() (Outcome, error) {
	sx, err := settingsOf(x.e.Exchange)
	if err != nil {
		return Outcome{}, err
	}
	mbx := x.mbx()
	mb, err := x.e.Exchange.GetMailbox(x.ctx, mbx)
	if err != nil && !x.unread(err) {
		return Outcome{}, err
	}
	if err == nil && !mb.HiddenFromAddressListsEnabled {
		return Outcome{Status: Skipped, Detail: "the mailbox was already shown in the address lists"}, nil
	}
	params := map[string]any{"Identity": mbx, "HiddenFromAddressListsEnabled": false}
	return x.change(exo("Set-Mailbox", params), nil, "shown in the address lists again", func() error {
		return sx.SetHidden(x.ctx, mbx, false)
	})
}

// forwardedTo resolves the recipient a mailbox forwarded to before, as
// forward-to does (rule 18): the user principal name of a person, or the
// address of a mail-enabled group, in an accepted domain. "" is no
// forwarding, or a recipient that is not (or no longer) one of those: who
// would read the mail must be known (rule 16) and inside the organisation.
func (u *Undoing) forwardedTo(addr string) (string, error) {
	if addr == "" {
		return "", nil
	}
	t, err := u.p.findTrustee(u.ctx, addr, true)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			return "", fmt.Errorf("look up %s: %w", addr, err)
		}
		return "", nil
	}
	domains, err := u.p.Exchange.AcceptedDomains(u.ctx)
	if err != nil {
		return "", fmt.Errorf("list accepted domains: %w", err)
	}
	_, domain, _ := strings.Cut(t.who, "@")
	if !slices.ContainsFunc(domains, func(s string) bool { return strings.EqualFold(s, domain) }) {
		return "", nil
	}
	return t.who, nil
}
