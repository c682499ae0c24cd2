package mailbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Executor runs steps. Each step reads the current state first and changes
// only what differs, so running it again after a crash does no harm. In a
// dry run it reads, and describes the call it would make instead of making it.
type Executor struct {
	Directory Directory
	Exchange  Exchange
	// CredentialTTL is a Temporary Access Pass's lifetime (8 h).
	CredentialTTL time.Duration
	// NewPassword makes a password; nil uses a random 20-character one.
	NewPassword func() (string, error)
	// Now is the clock; nil: time.Now. The create step compares a found
	// mailbox's WhenCreatedUTC with it.
	Now func() time.Time
}

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Run runs one step of a plan against its target.
func (e *Executor) Run(ctx context.Context, t Target, s Step, dryRun bool) (Outcome, error) {
	x := run{e: e, ctx: ctx, t: t, s: s, dry: dryRun}
	switch s.Name {
	case StepRevokeSessions:
		return x.revokeSessions()
	case StepBlockSignIn:
		return x.signIn(false)
	case StepEnableSignIn:
		return x.signIn(true)
	case StepAssignLicense:
		return x.assignLicense()
	case StepRemoveLicenses:
		return x.removeLicenses()
	case StepGrantFullAccess:
		return x.grant(RightFullAccess)
	case StepGrantSendAs:
		return x.grant(RightSendAs)
	case StepConvertToShared:
		return x.convert(TypeShared, RecipientSharedMailbox)
	case StepConvertToRegular:
		return x.convert(TypeRegular, RecipientUserMailbox)
	case StepVerifyShared:
		return x.verify(RecipientSharedMailbox)
	case StepVerifyRegular:
		return x.verify(RecipientUserMailbox)
	case StepIssueCredential:
		return x.credential()
	case StepRestoreUser:
		return x.restore()
	case StepResetPassword:
		return x.resetPassword()
	case StepWaitMailbox:
		return x.waitMailbox()
	case StepCreateShared:
		return x.createShared()
	case StepGrantSendOnBehalf:
		return x.sendOnBehalf(true)
	case StepRevokeSendOnBehalf:
		return x.sendOnBehalf(false)
	case StepRevokeFullAccess:
		return x.revoke(RightFullAccess)
	case StepRevokeSendAs:
		return x.revoke(RightSendAs)
	case StepSetAutoReply:
		return x.autoReply(true)
	case StepAutoReplyOff:
		return x.autoReply(false)
	case StepForward:
		return x.forward()
	case StepHide:
		return x.hide()
	case StepRestoreAutoReply:
		return x.restoreAutoReply()
	case StepRestoreForwarding:
		return x.restoreForwarding()
	case StepUnhide:
		return x.unhide()
	}
	return Outcome{}, fmt.Errorf("run step: unknown step %q", s.Name)
}

// run is one step being run.
type run struct {
	e   *Executor
	ctx context.Context
	t   Target
	s   Step
	dry bool
}

// unread reports a read that found nothing in a dry run: the account or
// mailbox is not there because nothing before was really done (a deleted
// user is not restored in a dry run). The step is described all the same.
func (x run) unread(err error) bool { return x.dry && errors.Is(err, ErrNotFound) }

// change makes one change, or in a dry run describes the call: what it
// would send and to where.
func (x run) change(call string, body any, done string, do func() error) (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + describe(call, body)}, nil
	}
	if err := do(); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: done}, nil
}

// clockSkew is how far Microsoft's clock may be behind ours when a re-run
// compares signInSessionsValidFromDateTime (whole seconds) with when its
// first attempt began. It is also the window in which someone else's
// revocation just before our first attempt passes for ours, so it is
// small: a larger real skew only makes the re-run revoke again, which is
// harmless.
const clockSkew = 5 * time.Second

func describe(call string, body any) string {
	if body == nil {
		return call
	}
	b, _ := json.Marshal(body)
	return call + " " + string(b)
}

func exo(cmdlet string, params map[string]any) string {
	params["Confirm"] = false
	b, _ := json.Marshal(params)
	return "Exchange " + cmdlet + " " + string(b)
}

// userID is the target's Entra object id. A new shared mailbox is known by
// its address until it exists; Graph wants an object id (or the UPN, which
// Exchange picks itself), so it is read from the mailbox.
func (x run) userID() string {
	if x.t.Created.ObjectID != "" {
		return x.t.Created.ObjectID // the account of the mailbox this request created
	}
	if !strings.Contains(x.t.UserID, "@") {
		return x.t.UserID
	}
	if mb, err := x.e.Exchange.GetMailbox(x.ctx, x.t.UserPrincipalName); err == nil && mb.ExternalDirectoryObjectID != "" {
		return mb.ExternalDirectoryObjectID
	}
	return x.t.UserID
}

func (x run) convert(to MailboxType, want string) (Outcome, error) {
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if x.unread(err) {
		err = nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if mb.RecipientTypeDetails == want {
		return Outcome{Status: Skipped, Detail: "Exchange already reports " + want}, nil
	}
	return x.change(exo("Set-Mailbox", map[string]any{"Identity": x.mbx(), "Type": string(to)}), nil,
		"Set-Mailbox -Type "+string(to)+" accepted", func() error {
			return x.e.Exchange.SetMailboxType(x.ctx, x.mbx(), to)
		})
}

func (x run) verify(want string) (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would wait until Get-Mailbox reports " + want}, nil
	}
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if err != nil {
		return Outcome{}, err
	}
	if mb.RecipientTypeDetails == want {
		return Outcome{Status: Done, Detail: "Exchange reports " + want}, nil
	}
	return Outcome{Status: Pending, Detail: "Exchange still reports " + mb.RecipientTypeDetails}, nil
}

// mbx is how the step names the mailbox to Exchange: the other mailbox
// the step acts on (Step.On), else the ExchangeGuid of the mailbox this
// request created, else the request's address.
func (x run) mbx() string {
	return firstOf(x.s.On, x.t.Created.ExchangeGUID, x.t.UserPrincipalName)
}
