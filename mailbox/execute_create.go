// Steps that create a shared mailbox (New-Mailbox -Shared) and wait for
// Exchange to show it, adopting a mailbox found at the address only when
// this request made it.

package mailbox

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotOurMailbox: the address of a mailbox to create is used by a mailbox
// this request did not create.
var ErrNotOurMailbox = errors.New("the address is used by a mailbox this request did not create")

// waitMailbox waits until Exchange finds the mailbox and Entra ID its
// account: a restored user's (rule 10) or a new shared mailbox's (Arg
// "new"), which Exchange may not find for a while after creating it.
func (x run) waitMailbox() (Outcome, error) {
	fresh := x.s.Arg == "new"
	if x.dry {
		if fresh {
			return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox and GET /users find the new mailbox and its account"}, nil
		}
		return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox finds the mailbox again (typically 20-30 minutes)"}, nil
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.t.UserPrincipalName)
	if errors.Is(err, ErrNotFound) {
		if fresh {
			return Outcome{Status: Pending, Detail: "Exchange does not find the new mailbox yet"}, nil
		}
		return Outcome{Status: Pending, Detail: "the mailbox is not back yet"}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if fresh && (mb.RecipientTypeDetails != RecipientSharedMailbox || !strings.EqualFold(mb.DisplayName, x.t.DisplayName)) {
		return Outcome{}, fmt.Errorf("the address %s belongs to %q (%s), not to the new shared mailbox %q: someone else took it (%w)", x.t.UserPrincipalName, mb.DisplayName, mb.RecipientTypeDetails, x.t.DisplayName, ErrNotOurMailbox)
	}
	if fresh {
		if err := x.ours(mb, x.t.CreateStarted); err != nil {
			return Outcome{}, err
		}
	}
	if _, err := x.e.Directory.User(x.ctx, firstOf(mb.ExternalDirectoryObjectID, x.t.UserID)); errors.Is(err, ErrNotFound) {
		return Outcome{Status: Pending, Detail: "Microsoft Entra ID does not find the mailbox's account yet"}, nil
	} else if err != nil {
		return Outcome{}, err
	}
	if fresh {
		return Outcome{Status: Done, Detail: "Exchange and Entra ID find the new mailbox", Created: idsOf(mb)}, nil
	}
	return Outcome{Status: Done, Detail: "the mailbox is back (" + mb.RecipientTypeDetails + ")"}, nil
}

// createShared creates the mailbox once and reports its immutable ids in
// Outcome.Created. New-Mailbox is not idempotent: the step reads first.
// A mailbox already at the address is adopted only when it is the one this
// request created: its ids are those recorded in Target.Created, or, with
// none recorded (a crash between New-Mailbox and recording), Exchange
// created it no earlier than the step's first attempt (Target.CreateStarted,
// else Step.Since). Otherwise, and always on a first attempt, the step fails
// with ErrNotOurMailbox. If New-Mailbox is refused because the address now
// exists and Exchange does not show the mailbox yet, the step counts as
// done and the wait that follows checks it is this request's.
func (x run) createShared() (Outcome, error) {
	addr, name := x.t.UserPrincipalName, x.t.DisplayName
	attempt := x.e.now()
	began := x.t.CreateStarted
	if began.IsZero() {
		began = x.s.Since
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, addr)
	switch {
	case err == nil && x.t.Created.IsZero() && began.IsZero():
		return Outcome{}, x.notOurs(mb, "this request had not tried to create it yet")
	case err == nil:
		if err := x.ours(mb, began); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Skipped, Detail: "the mailbox this request created already exists", Created: idsOf(mb)}, nil
	case !errors.Is(err, ErrNotFound):
		return Outcome{}, err
	case !x.t.Created.IsZero():
		return Outcome{Status: Skipped, Detail: "this request created the mailbox already; Exchange does not show it yet"}, nil
	}
	// Exchange's Name must be unique in the tenant, a display name need not
	// be: the Name is the address's local part, which is free with it.
	local, _, _ := strings.Cut(addr, "@")
	params := map[string]any{"Shared": true, "Name": local, "DisplayName": name, "PrimarySmtpAddress": addr}
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + exo("New-Mailbox", params)}, nil
	}
	if began.IsZero() {
		began = attempt
	}
	made, err := x.e.Exchange.NewSharedMailbox(x.ctx, local, name, addr)
	if err != nil {
		if taken, terr := x.e.Exchange.RecipientExists(x.ctx, addr); terr != nil || !taken {
			return Outcome{}, err
		}
		// Taken now: this request's New-Mailbox that went through (its
		// answer lost), or someone else's.
		found, gerr := x.e.Exchange.GetMailbox(x.ctx, addr)
		if gerr != nil {
			return Outcome{Status: Skipped, Detail: "the address exists now (an earlier try went through); checked next"}, nil
		}
		if err := x.ours(found, began); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Skipped, Detail: "an earlier try went through", Created: idsOf(found)}, nil
	}
	return Outcome{Status: Done, Detail: "New-Mailbox -Shared accepted", Created: idsOf(made)}, nil
}

// ours checks that mb, found at the address of a mailbox to create, is the
// one this request created: the ids recorded in Target.Created, or, with
// none recorded, made no earlier than began (less the clock skew). With
// neither known there is nothing to check it by, and it passes.
func (x run) ours(mb Mailbox, began time.Time) error {
	switch {
	case !x.t.Created.IsZero():
		if x.t.Created.Is(mb) {
			return nil
		}
		return x.notOurs(mb, fmt.Sprintf("this request created the mailbox %s", firstOf(x.t.Created.ExchangeGUID, x.t.Created.ObjectID)))
	case began.IsZero():
		return nil
	case mb.WhenCreatedUTC.IsZero():
		return x.notOurs(mb, "Exchange does not say when it was created")
	case mb.WhenCreatedUTC.Before(began.Add(-clockSkew)):
		return x.notOurs(mb, "this request began creating its mailbox at "+began.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return nil
}

func (x run) notOurs(mb Mailbox, why string) error {
	created := "at an unknown time"
	if !mb.WhenCreatedUTC.IsZero() {
		created = "at " + mb.WhenCreatedUTC.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Errorf("%s: %w: it belongs to %q (%s, ExchangeGuid %s), created %s; %s",
		x.t.UserPrincipalName, ErrNotOurMailbox, mb.DisplayName, mb.RecipientTypeDetails, firstOf(mb.ExchangeGUID, "unknown"), created, why)
}
