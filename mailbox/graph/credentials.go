package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// RevokeSignInSessions ends the user's sessions and refresh tokens with
// POST /users/{id}/revokeSignInSessions.
func (c *Client) RevokeSignInSessions(ctx context.Context, userID string) error {
	op := "POST /users/" + userID + "/revokeSignInSessions"
	if userID == "" {
		return fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	res, err := c.users().ByUserId(userID).RevokeSignInSessions().PostAsRevokeSignInSessionsPostResponse(ctx, nil)
	if err != nil {
		return remoteError(op, err)
	}
	if res != nil && res.GetValue() != nil && !*res.GetValue() {
		return fmt.Errorf("graph %s: Graph answered false", op)
	}
	c.log.DebugContext(ctx, "graph: sessions revoked", "user", userID)
	return nil
}

// ResetPassword sets the user's password with PATCH /users/{id}
// {"passwordProfile":{"forceChangePasswordNextSignIn":..,"password":".."}}.
// The password is sent to Graph and nowhere else: not to the log, not into
// an error.
func (c *Client) ResetPassword(ctx context.Context, userID, password string, forceChange bool) error {
	op := "PATCH /users/" + userID
	if userID == "" {
		return fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	if password == "" {
		return fmt.Errorf("graph %s: %w", op, errEmptyPassword)
	}
	profile := models.NewPasswordProfile()
	profile.SetForceChangePasswordNextSignIn(&forceChange)
	profile.SetPassword(&password)
	body := models.NewUser()
	body.SetOdataType(nil) // send only the property that changes
	body.SetPasswordProfile(profile)
	if _, err := c.users().ByUserId(userID).Patch(ctx, body, nil); err != nil {
		return remoteError(op, err)
	}
	c.log.DebugContext(ctx, "graph: password reset", "user", userID, "force_change", forceChange)
	return nil
}

var errEmptyPassword = errors.New("empty password")

// CreateTemporaryAccessPass creates a reusable Temporary Access Pass valid
// for lifetime (in whole minutes, rounded up) with
// POST /users/{id}/authentication/temporaryAccessPassMethods
// {"lifetimeInMinutes":n,"isUsableOnce":false}. It needs the permission
// UserAuthenticationMethod.ReadWrite.All, and the tenant's policy decides
// the lifetimes allowed (Graph answers 400 outside them). The pass is
// returned to the caller only: it is not logged.
func (c *Client) CreateTemporaryAccessPass(ctx context.Context, userID string, lifetime time.Duration) (mailbox.TemporaryAccessPass, error) {
	op := "POST /users/" + userID + "/authentication/temporaryAccessPassMethods"
	if userID == "" {
		return mailbox.TemporaryAccessPass{}, fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	minutes := int64((lifetime + time.Minute - 1) / time.Minute)
	if lifetime <= 0 || minutes > 1<<31-1 {
		return mailbox.TemporaryAccessPass{}, fmt.Errorf("graph %s: lifetime %v out of range", op, lifetime)
	}
	n := int32(minutes)
	once := false
	body := models.NewTemporaryAccessPassAuthenticationMethod()
	body.SetOdataType(nil)
	body.SetLifetimeInMinutes(&n)
	body.SetIsUsableOnce(&once)
	tap, err := c.users().ByUserId(userID).Authentication().TemporaryAccessPassMethods().Post(ctx, tapRequest{body}, nil)
	if err != nil {
		return mailbox.TemporaryAccessPass{}, remoteError(op, err)
	}
	if tap == nil || deref(tap.GetTemporaryAccessPass()) == "" {
		return mailbox.TemporaryAccessPass{}, fmt.Errorf("graph %s: the answer holds no pass", op)
	}
	start := tap.GetStartDateTime()
	if start == nil {
		start = tap.GetCreatedDateTime()
	}
	if start == nil {
		return mailbox.TemporaryAccessPass{}, fmt.Errorf("graph %s: the answer has no startDateTime", op)
	}
	if got := tap.GetLifetimeInMinutes(); got != nil && *got > 0 {
		n = *got // the lifetime Graph granted
	}
	out := mailbox.TemporaryAccessPass{
		Pass:      *tap.GetTemporaryAccessPass(),
		ExpiresAt: start.Add(time.Duration(n) * time.Minute),
	}
	c.log.DebugContext(ctx, "graph: temporary access pass created", "user", userID,
		"lifetime_minutes", n, "expires", out.ExpiresAt)
	return out, nil
}

// tapRequest writes the request body of a new Temporary Access Pass as
// Microsoft documents it, {"lifetimeInMinutes":n,"isUsableOnce":false},
// rather than every property the model holds.
type tapRequest struct {
	*models.TemporaryAccessPassAuthenticationMethod
}

func (t tapRequest) Serialize(w absser.SerializationWriter) error {
	if err := w.WriteInt32Value("lifetimeInMinutes", t.GetLifetimeInMinutes()); err != nil {
		return err
	}
	return w.WriteBoolValue("isUsableOnce", t.GetIsUsableOnce())
}
