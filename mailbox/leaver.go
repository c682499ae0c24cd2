// A leaver's conversion to shared: the owner's rights on other mailboxes
// taken away (remove-access, rule 18) and the owner's manager given access
// (manager-access).

package mailbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// AccessFinder finds the rights a person holds on other mailboxes (rule
// 18). The Exchange Online client and the sandbox implement it besides
// Exchange; the planner uses it when its Exchange does.
type AccessFinder interface {
	// SendAsOn runs Get-RecipientPermission -Trustee trustee -ResultSize
	// Unlimited (every page) and returns the identities of the recipients
	// on which trustee holds Send As explicitly (allowed, not inherited).
	SendAsOn(ctx context.Context, trustee string) ([]string, error)
	// SendOnBehalfOn runs Get-Mailbox -Filter "GrantSendOnBehalfTo -eq
	// '<dn>'" -ResultSize Unlimited (every page): the mailboxes whose
	// GrantSendOnBehalfTo holds the recipient with distinguished name dn.
	// The filter takes only a distinguished name, never a friendly name.
	SendOnBehalfOn(ctx context.Context, dn string) ([]Mailbox, error)
	// SharedMailboxes runs Get-Mailbox -RecipientTypeDetails SharedMailbox
	// -ResultSize Unlimited (every page).
	SharedMailboxes(ctx context.Context) ([]Mailbox, error)
}

// Progress is told, while a plan is made, how far a long read went: done
// of total mailboxes read.
type Progress func(done, total int)

type progressKey struct{}

// WithProgress returns a context whose plans report their long reads to
// f (the permissions of every shared mailbox, for remove-access). f is
// called from the planning goroutine, after each mailbox.
func WithProgress(ctx context.Context, f Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

func progressOf(ctx context.Context) Progress {
	if f, ok := ctx.Value(progressKey{}).(Progress); ok && f != nil {
		return f
	}
	return func(int, int) {}
}

// held is one right of the owner on another mailbox.
type held struct {
	on    string // the other mailbox: its primary address, or its identity
	right Right
}

// ownerNames are the names Exchange may list the owner by in a
// permission or in GrantSendOnBehalfTo.
func ownerNames(u User, mb Mailbox) []string {
	var n []string
	for _, s := range []string{u.Mail, u.DisplayName, mb.Identity, mb.DisplayName, mb.PrimarySMTPAddress, mb.UserPrincipalName} {
		if s != "" && !strings.EqualFold(s, u.UserPrincipalName) && !containsFold(n, s) {
			n = append(n, s)
		}
	}
	return n
}

// self reports whether m is the owner's own mailbox.
func self(m Mailbox, own Mailbox) bool {
	return (m.ExchangeGUID != "" && strings.EqualFold(m.ExchangeGUID, own.ExchangeGUID)) ||
		(m.PrimarySMTPAddress != "" && strings.EqualFold(m.PrimarySMTPAddress, own.PrimarySMTPAddress))
}

// accessElsewhere finds the owner's Full Access, Send As and Send on
// Behalf on other mailboxes (rule 18) and returns one removal step each,
// in a stable order. Send As comes from Get-RecipientPermission -Trustee,
// Send on Behalf from a filter on GrantSendOnBehalfTo, and Full Access
// from the permissions of every shared mailbox and of every mailbox found
// by the other two: a user mailbox a leaver holds Full Access on alone is
// not looked for (reading every mailbox of a tenant is too slow for a
// plan). A mailbox that disappears while it is read is passed over.
func (p *Planner) accessElsewhere(ctx context.Context, d *draft, u User, own Mailbox) ([]Step, error) {
	upn := u.UserPrincipalName
	af, ok := p.Exchange.(AccessFinder)
	if !ok {
		d.add(Warning, 18, fmt.Sprintf("I cannot look for %s's rights on other mailboxes here, so none is taken away.", upn), "")
		return nil, nil
	}
	names := ownerNames(u, own)
	var found []held
	add := func(on string, r Right) {
		h := held{on: strings.ToLower(on), right: r}
		if !slices.Contains(found, h) {
			found = append(found, h)
		}
	}
	var candidates []Mailbox // mailboxes whose Full Access is read

	ids, err := af.SendAsOn(ctx, upn)
	if err != nil {
		return nil, fmt.Errorf("find %s's Send As on other mailboxes: %w", upn, err)
	}
	for _, id := range ids {
		m, err := p.Exchange.GetMailbox(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound): // a group, a contact: not a mailbox
			add(id, SendAs)
			continue
		case err != nil:
			return nil, fmt.Errorf("look up %s, on which %s has Send As: %w", id, upn, err)
		case self(m, own):
			continue
		}
		add(firstOf(m.PrimarySMTPAddress, id), SendAs)
		candidates = append(candidates, m)
	}

	if own.DistinguishedName == "" {
		d.add(Warning, 18, fmt.Sprintf("Exchange did not give %s's distinguished name, so its Send on Behalf on other mailboxes could not be looked for.", upn), "")
	} else {
		mbs, err := af.SendOnBehalfOn(ctx, own.DistinguishedName)
		if err != nil {
			return nil, fmt.Errorf("find %s's Send on Behalf on other mailboxes: %w", upn, err)
		}
		for _, m := range mbs {
			if !self(m, own) {
				add(firstOf(m.PrimarySMTPAddress, m.Identity), SendOnBehalf)
				candidates = append(candidates, m)
			}
		}
	}

	shared, err := af.SharedMailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the shared mailboxes: %w", err)
	}
	var read []string // each mailbox once, by address
	for _, m := range slices.Concat(shared, candidates) {
		key := strings.ToLower(firstOf(m.PrimarySMTPAddress, m.Identity))
		if !slices.Contains(read, key) && !self(m, own) {
			read = append(read, key)
		}
	}
	withFull, err := p.fullAccessOn(ctx, read, upn, names)
	if err != nil {
		return nil, err
	}
	for _, key := range withFull {
		add(key, FullAccess)
	}

	slices.SortFunc(found, func(a, b held) int {
		return cmp.Or(strings.Compare(a.on, b.on), strings.Compare(string(a.right), string(b.right)))
	})
	steps := make([]Step, 0, len(found))
	for _, h := range found {
		steps = append(steps, Step{Name: removal[h.right], Arg: upn, Names: names, On: h.on,
			Title: fmt.Sprintf("Take away %s's %s on %s (rule 18)", upn, h.right.Title(), h.on)})
	}
	if len(steps) == 0 {
		d.add(Info, 18, fmt.Sprintf("%s holds no Full Access, Send As or Send on Behalf on other mailboxes (Full Access was looked for on the %d shared mailboxes).", upn, len(shared)), "")
	} else {
		d.add(Info, 18, fmt.Sprintf("%s holds %d rights on other mailboxes: they are taken away once the conversion is verified.", upn, len(steps)), "")
	}
	return steps, nil
}

// accessReaders is how many mailboxes' permissions are read at once: a
// few, well under Exchange's limit of concurrent requests per tenant (an
// answer over it is throttling, which the client waits out).
const accessReaders = 4

// fullAccessOn reads the permissions of the mailboxes keys, accessReaders
// at a time, and returns those on which upn (by any of names) holds Full
// Access, in no order. A mailbox gone meanwhile is passed over; any other
// error stops the reading. Progress is reported after each mailbox, in
// order.
func (p *Planner) fullAccessOn(ctx context.Context, keys []string, upn string, names []string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	report := progressOf(ctx)
	var (
		mu    sync.Mutex
		done  int
		found []string
		first error
		wg    sync.WaitGroup
	)
	next := make(chan string)
	for range min(accessReaders, len(keys)) {
		wg.Go(func() {
			for key := range next {
				perms, err := p.Exchange.MailboxPermissions(ctx, key)
				mu.Lock()
				switch {
				case errors.Is(err, ErrNotFound):
				case err != nil:
					if first == nil {
						first = fmt.Errorf("read the permissions of %s: %w", key, err)
						cancel()
					}
				case HasRight(perms, upn, RightFullAccess, names...):
					found = append(found, key)
				}
				done++
				report(done, len(keys))
				mu.Unlock()
			}
		})
	}
feed:
	for _, k := range keys {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return found, first
}

// removal is the step that takes each right away.
var removal = map[Right]StepName{
	FullAccess:   StepRevokeFullAccess,
	SendAs:       StepRevokeSendAs,
	SendOnBehalf: StepRevokeSendOnBehalf,
}

// managerAccess plans the owner's manager getting Full Access (with
// automapping) and Send As, and says that the approvers decide: the
// manager gains access, so the manager cannot approve it (rule 16).
func (d *draft) managerAccess(op Operation) []Step {
	m := d.manager
	upn := d.Target.UserPrincipalName
	if m == nil {
		d.add(Warning, 16, fmt.Sprintf("%s has no manager in Microsoft Entra ID, so no manager is given access (manager-access).", upn), "")
		return nil
	}
	d.person(m.UserPrincipalName, Person{ID: m.ID, Name: m.UserPrincipalName})
	d.add(Info, 16, fmt.Sprintf("The owner's manager, %s, gets Full Access (automapping on) and Send As: the manager gains access, so the approvers decide, not the manager.", m.UserPrincipalName), "")
	var steps []Step
	if !containsFold(op.Options.FullAccess, m.UserPrincipalName) && !containsFold(op.Options.FullAccess, m.Mail) {
		steps = append(steps, Step{Name: StepGrantFullAccess, Arg: m.UserPrincipalName,
			Title: fmt.Sprintf("Give the manager, %s, Full Access, with automapping", m.UserPrincipalName)})
	}
	if !containsFold(op.Options.SendAs, m.UserPrincipalName) && !containsFold(op.Options.SendAs, m.Mail) {
		steps = append(steps, Step{Name: StepGrantSendAs, Arg: m.UserPrincipalName,
			Title: fmt.Sprintf("Give the manager, %s, Send As", m.UserPrincipalName)})
	}
	return steps
}
