// Steps on the account: sign-in, sign-in sessions, licenses, a restored
// user, its password and Temporary Access Pass.

package mailbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/internal/mrkdwn"
)

// revokeSessions revokes the user's sign-in sessions. Revoking leaves no
// state to read first, except signInSessionsValidFromDateTime, which the
// call sets to its own time: a re-run whose first attempt began before
// that time (less the clock skew) knows the revocation went through and
// does not make it again.
func (x run) revokeSessions() (Outcome, error) {
	call := "POST /users/" + x.t.UserID + "/revokeSignInSessions"
	if !x.dry && !x.s.Since.IsZero() {
		u, err := x.e.Directory.User(x.ctx, x.t.UserID)
		if err != nil {
			return Outcome{}, err
		}
		if v := u.SignInSessionsValidFrom; !v.IsZero() && !v.Before(x.s.Since.Add(-clockSkew)) {
			return Outcome{Status: Skipped, Detail: "sign-in sessions were already revoked at " + v.UTC().Format("2006-01-02 15:04:05 UTC")}, nil
		}
	}
	return x.change(call, nil, "sign-in sessions revoked", func() error {
		return x.e.Directory.RevokeSignInSessions(x.ctx, x.t.UserID)
	})
}

func (x run) signIn(enabled bool) (Outcome, error) {
	id := x.userID()
	u, err := x.e.Directory.User(x.ctx, id)
	if x.unread(err) {
		u, err = User{AccountEnabled: !enabled}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	word := map[bool]string{false: "blocked", true: "enabled"}[enabled]
	if u.AccountEnabled == enabled {
		return Outcome{Status: Skipped, Detail: "sign-in was already " + word}, nil
	}
	return x.change("PATCH /users/"+id, map[string]bool{"accountEnabled": enabled}, "sign-in "+word, func() error {
		return x.e.Directory.SetAccountEnabled(x.ctx, id, enabled)
	})
}

func licenseBody(add, remove []string) map[string]any {
	adds := []map[string]any{}
	for _, id := range add {
		adds = append(adds, map[string]any{"disabledPlans": []string{}, "skuId": id})
	}
	return map[string]any{"addLicenses": adds, "removeLicenses": append([]string{}, remove...)}
}

func (x run) assignLicense() (Outcome, error) {
	u, err := x.e.Directory.User(x.ctx, x.t.UserID)
	if x.unread(err) {
		err = nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if slices.ContainsFunc(u.Licenses, func(l License) bool { return l.SkuID == x.s.Arg }) {
		return Outcome{Status: Skipped, Detail: "the license was already assigned"}, nil
	}
	return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody([]string{x.s.Arg}, nil), "license assigned", func() error {
		return x.e.Directory.AssignLicenses(x.ctx, x.t.UserID, []string{x.s.Arg}, nil)
	})
}

// removeLicenses removes the step's direct licenses after the conversion,
// checking rules 2 and 3 again on the live mailbox: its size or a hold
// found now keeps them (a deleted user's mailbox could not be measured
// when the plan was made).
func (x run) removeLicenses() (Outcome, error) {
	mb, err := x.e.Exchange.GetMailbox(x.ctx, x.mbx())
	if x.unread(err) {
		ids := strings.Split(x.s.Arg, ",")
		return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody(nil, ids), "", nil)
	}
	if err != nil {
		return Outcome{}, err
	}
	stats, err := x.e.Exchange.MailboxStatistics(x.ctx, x.mbx())
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case mb.RecipientTypeDetails != RecipientSharedMailbox && !x.dry: // a dry run converted nothing
		// Rule 1: never unlicense a mailbox that is not (or no longer) shared:
		// it would be disconnected, and deleted after 30 days.
		return Outcome{}, fmt.Errorf("%s is a %s, not a shared mailbox: its licenses stay (rule 1)", x.t.UserPrincipalName, mb.RecipientTypeDetails)
	case stats.TotalItemSize >= UnlicensedSharedMax:
		return Outcome{Status: Skipped, Detail: fmt.Sprintf("licenses kept: the mailbox is %s, over the 50 GB of an unlicensed shared mailbox (rule 2)", mrkdwn.Size(stats.TotalItemSize))}, nil
	case mb.OnHold() || mb.HasArchive():
		return Outcome{Status: Skipped, Detail: "licenses kept: the mailbox has a hold or an archive (rule 3)"}, nil
	}
	u, err := x.e.Directory.User(x.ctx, x.t.UserID)
	if err != nil {
		return Outcome{}, err
	}
	var remove []string
	for _, id := range strings.Split(x.s.Arg, ",") {
		if slices.ContainsFunc(u.Licenses, func(l License) bool { return l.SkuID == id && l.AssignedByGroup == "" }) {
			remove = append(remove, id)
		}
	}
	if len(remove) == 0 {
		return Outcome{Status: Skipped, Detail: "no direct license left to remove"}, nil
	}
	return x.change("POST /users/"+x.t.UserID+"/assignLicense", licenseBody(nil, remove), fmt.Sprintf("%d license(s) removed", len(remove)), func() error {
		return x.e.Directory.AssignLicenses(x.ctx, x.t.UserID, nil, remove)
	})
}

func (x run) credential() (Outcome, error) {
	ttl := x.e.CredentialTTL
	if ttl <= 0 {
		ttl = DefaultCredentialTTL
	}
	if x.s.Arg == "password" {
		if x.dry {
			return Outcome{Status: Skipped, Detail: `would send PATCH /users/` + x.t.UserID + ` {"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"(random)"}} and send you the password privately`}, nil
		}
		pw, err := x.e.password()
		if err != nil {
			return Outcome{}, err
		}
		if err := x.e.Directory.ResetPassword(x.ctx, x.t.UserID, pw, true); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: Done, Detail: "password reset (change required at next sign-in); sent to the requester privately", Secret: pw}, nil
	}
	body := map[string]any{"lifetimeInMinutes": int(ttl / time.Minute), "isUsableOnce": false}
	if x.dry {
		return Outcome{Status: Skipped, Detail: "would send " + describe("POST /users/"+x.t.UserID+"/authentication/temporaryAccessPassMethods", body) + " and send you the pass privately"}, nil
	}
	tap, err := x.e.Directory.CreateTemporaryAccessPass(x.ctx, x.t.UserID, ttl)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: fmt.Sprintf("Temporary Access Pass created, valid until %s; sent to the requester privately", tap.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")), Secret: tap.Pass}, nil
}

func (x run) restore() (Outcome, error) {
	if _, err := x.e.Directory.User(x.ctx, x.t.UserID); err == nil {
		return Outcome{Status: Skipped, Detail: "the account was already restored"}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Outcome{}, err
	}
	return x.change("POST /directory/deletedItems/"+x.s.Arg+"/restore", nil, "account restored", func() error {
		err := x.e.Directory.RestoreDeletedUser(x.ctx, x.s.Arg)
		if errors.Is(err, ErrNotFound) {
			// Not in the deleted items: an earlier run may have restored it
			// and the read before lagged. Restored is what we want.
			if _, uerr := x.e.Directory.User(x.ctx, x.t.UserID); uerr == nil {
				return nil
			}
		}
		return err
	})
}

// resetPassword sets a random password that nobody is shown: the account
// of a recovered mailbox only anchors it, and its sign-in is blocked next.
func (x run) resetPassword() (Outcome, error) {
	if x.dry {
		return Outcome{Status: Skipped, Detail: `would send PATCH /users/` + x.t.UserID + ` {"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"(random, shown to no one)"}}`}, nil
	}
	pw, err := x.e.password()
	if err != nil {
		return Outcome{}, err
	}
	if err := x.e.Directory.ResetPassword(x.ctx, x.t.UserID, pw, true); err != nil {
		return Outcome{}, err
	}
	return Outcome{Status: Done, Detail: "password reset to a random value shown to no one"}, nil
}

func (e *Executor) password() (string, error) {
	if e.NewPassword != nil {
		return e.NewPassword()
	}
	return RandomPassword()
}

// RandomPassword returns a 20-character password with upper and lower
// case letters, digits and symbols, from crypto/rand.
func RandomPassword() (string, error) {
	sets := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!@#$%*-_=+?"}
	all := strings.Join(sets, "")
	pick := func(s string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(s))))
		if err != nil {
			return 0, err
		}
		return s[n.Int64()], nil
	}
	b := make([]byte, 0, 20)
	for _, s := range sets { // one of each kind
		c, err := pick(s)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for len(b) < 20 {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for i := len(b) - 1; i > 0; i-- { // shuffle
		n, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		j := n.Int64()
		b[i], b[j] = b[j], b[i]
	}
	return string(b), nil
}
