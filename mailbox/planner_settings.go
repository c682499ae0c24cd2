// Planning the leaver's mailbox settings of a conversion to shared:
// auto-reply, forward-to (internal recipients only, rule 18) and hide
// (with rule 13's warning).

package mailbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// settingSteps adds the steps and findings of op's auto-reply, forward-to
// and hide options; mb is the mailbox as read (zero for a deleted user's,
// which cannot be read yet).
func (p *Planner) settingSteps(ctx context.Context, d *draft, op Operation, mb Mailbox) error {
	o := op.Options
	if o.AutoReply == "" && o.ForwardTo == "" && !o.Hide {
		return nil
	}
	upn := firstOf(d.Target.UserPrincipalName, op.Mailbox)
	if o.AutoReply != "" {
		if err := CheckAutoReply(o.AutoReply); err != nil {
			d.add(Blocker, 0, fmt.Sprintf("The automatic reply cannot be used: %v.", err), fmt.Sprintf("Write it again in at most %d characters of plain text.", MaxAutoReply))
		}
		d.add(Info, 0, "The automatic reply goes to every sender, inside and outside the organisation, until it is turned off (`/shared-mailbox auto-reply "+upn+" off`).", "")
		d.step(StepSetAutoReply, o.AutoReply, "Turn on the automatic reply for internal and external senders (Set-MailboxAutoReplyConfiguration)")
	}
	if o.ForwardTo != "" {
		if err := p.forwardStep(ctx, d, o.ForwardTo, upn, mb); err != nil {
			return err
		}
	}
	if o.Hide {
		if err := p.hideStep(ctx, d, op, upn, mb); err != nil {
			return err
		}
	}
	return nil
}

// forwardStep resolves the forward target: a user with a mailbox, or a
// mail-enabled group, in an accepted domain of the tenant. Anything else is
// outside the organisation, and refused (rule 18).
func (p *Planner) forwardStep(ctx context.Context, d *draft, addr, upn string, mb Mailbox) error {
	d.Target.Forwarding = firstOf(mb.ForwardingAddress, mb.ForwardingSMTPAddress)
	domains, err := p.Exchange.AcceptedDomains(ctx)
	if err != nil {
		return fmt.Errorf("list accepted domains: %w", err)
	}
	_, domain, _ := strings.Cut(addr, "@")
	external := func(why string) {
		d.person(addr, Person{})
		d.add(Blocker, 18, fmt.Sprintf("%s %s: forwarding goes only to recipients inside the organisation. Exchange Online's outbound spam filter policy blocks automatic forwarding to outside addresses by default, and mail forwarded outside leaves the organisation's control.", addr, why),
			"Name a person or a mail-enabled group of the tenant, or leave `forward-to` out.")
	}
	if !slices.ContainsFunc(domains, func(s string) bool { return strings.EqualFold(s, domain) }) {
		external("is not in an accepted domain of the tenant, so it is an outside address")
		return nil
	}
	t, err := p.findTrustee(ctx, addr, true)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			return fmt.Errorf("look up %s: %w", addr, err)
		}
		external("is not a person or a mail-enabled group of the tenant")
		return nil
	}
	if t.user != nil {
		switch _, err := p.Exchange.GetMailbox(ctx, t.who); {
		case errors.Is(err, ErrNotFound):
			d.person(addr, Person{ID: t.id, Name: t.who})
			d.add(Blocker, 18, fmt.Sprintf("%s has no mailbox, so mail cannot be forwarded to it.", addr), "Name a person with a mailbox, or a mail-enabled group.")
			return nil
		case err != nil:
			return fmt.Errorf("look up mailbox %s: %w", addr, err)
		}
	}
	d.person(addr, Person{ID: t.id, Name: t.who, Group: t.group != nil})
	if d.Target.Forwarding != "" && !Names(t.who, t.names...).Match(d.Target.Forwarding) {
		d.add(Warning, 18, fmt.Sprintf("%s forwards its mail to %s now: that forwarding is replaced.", upn, d.Target.Forwarding), "")
	}
	d.add(Info, 18, fmt.Sprintf("%s receives every new message of %s; a copy stays in the mailbox.", t.who, upn), "")
	d.Steps = append(d.Steps, Step{Name: StepForward, Arg: t.who, Names: t.names,
		Title: fmt.Sprintf("Forward mail to %s, keeping a copy (Set-Mailbox -ForwardingAddress -DeliverToMailboxAndForward)", t.who)})
	return nil
}

// hideStep hides the mailbox from the address lists, warning (rule 13)
// when anyone has, or gets by this request, Send As or Send on Behalf.
func (p *Planner) hideStep(ctx context.Context, d *draft, op Operation, upn string, mb Mailbox) error {
	var senders []string
	if mb.Identity != "" || mb.UserPrincipalName != "" {
		perms, err := p.Exchange.RecipientPermissions(ctx, upn)
		if err != nil {
			return fmt.Errorf("read who may send as %s: %w", upn, err)
		}
		senders = sendersOf(perms, mb)
	}
	for _, a := range op.Options.SendAs {
		if !slices.ContainsFunc(senders, func(s string) bool { return strings.EqualFold(s, a) }) {
			senders = append(senders, a)
		}
	}
	if len(senders) > 0 {
		slices.Sort(senders)
		d.add(Warning, 13, fmt.Sprintf("%s will be hidden from the address lists, and %s can send as or on behalf of it: Send As and Send on Behalf do not work in classic Outlook for Windows while it is hidden. Outlook on the web and the new Outlook are not affected.", upn, strings.Join(senders, ", ")),
			"Leave `hide` out if they send from it in classic Outlook.")
	}
	d.step(StepHide, "", "Hide the mailbox from the address lists (Set-Mailbox -HiddenFromAddressListsEnabled $true)")
	return nil
}

// planAutoReplyOff plans turning a shared mailbox's automatic reply off.
func (p *Planner) planAutoReplyOff(ctx context.Context, op Operation) (Plan, error) {
	mb, err := p.Exchange.GetMailbox(ctx, op.Mailbox)
	if err != nil {
		return Plan{}, fmt.Errorf("look up mailbox %s: %w", op.Mailbox, err)
	}
	d := sharedDraft(op, mb)
	upn := d.Target.UserPrincipalName
	if mb.RecipientTypeDetails != RecipientSharedMailbox {
		d.blocker(FindingType, 0, fmt.Sprintf("%s is a %s, not a shared mailbox: /shared-mailbox does not change it.", op.Mailbox, mb.RecipientTypeDetails),
			"A person sets their own automatic reply in Outlook.")
		return d.Plan, nil
	}
	sx, err := settingsOf(p.Exchange)
	if err != nil {
		return Plan{}, err
	}
	cur, err := sx.AutoReply(ctx, upn)
	if err != nil {
		return Plan{}, fmt.Errorf("read the automatic reply of %s: %w", upn, err)
	}
	if strings.EqualFold(cur.State, AutoReplyDisabled) {
		d.add(Info, 0, fmt.Sprintf("The automatic reply of %s is already off: nothing to change.", upn), "")
		return d.Plan, nil
	}
	if text := AutoReplyText(cur.InternalMessage); text != "" {
		d.add(Info, 0, fmt.Sprintf("The automatic reply now says: “%s”", text), "")
	}
	d.step(StepAutoReplyOff, "", "Turn the automatic reply off (Set-MailboxAutoReplyConfiguration -AutoReplyState Disabled)")
	return d.Plan, nil
}
