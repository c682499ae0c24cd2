package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// deletedUsersPath is the documented path of deleted users. The SDK's
// template says deletedItems/graph.user, an alias Graph also accepts.
const deletedUsersPath = "/directory/deletedItems/microsoft.graph.user"

// DeletedUser finds the newest deleted user that had the user principal
// name upn. Graph renames a deleted user's UPN to its object id followed by
// the old UPN ("dddddddd-3333-...eAveryS@contoso.com", or the id without
// dashes), and keeps its mail, so it lists
// GET /directory/deletedItems/microsoft.graph.user (every page) and matches
// either. The User it returns carries the UPN the user had; an error
// satisfying errors.Is(err, mailbox.ErrNotFound) when there is none.
func (c *Client) DeletedUser(ctx context.Context, upn string) (mailbox.DeletedUser, error) {
	const op = "GET " + deletedUsersPath
	if upn == "" {
		return mailbox.DeletedUser{}, fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	fields := append(userFields(), "deletedDateTime")
	raw := c.base + deletedUsersPath + "?%24select=" + strings.Join(fields, ",")
	var (
		best  mailbox.DeletedUser
		found bool
	)
	for n := 0; ; n++ {
		page, err := c.directory().DeletedItems().GraphUser().WithUrl(raw).Get(ctx, nil)
		if err != nil {
			return mailbox.DeletedUser{}, remoteError(op, err)
		}
		if page == nil {
			return mailbox.DeletedUser{}, fmt.Errorf("graph %s: empty answer", op)
		}
		for _, u := range page.GetValue() {
			if u == nil {
				continue
			}
			d, ok := matchDeleted(u, upn)
			if ok && (!found || d.DeletedAt.After(best.DeletedAt)) {
				best, found = d, true
			}
		}
		raw = deref(page.GetOdataNextLink())
		if raw == "" {
			break
		}
		if n+1 >= maxPages {
			return mailbox.DeletedUser{}, fmt.Errorf("graph %s: more than %d pages", op, maxPages)
		}
	}
	if !found {
		return mailbox.DeletedUser{}, fmt.Errorf("graph %s: no deleted user had %s: %w", op, upn, mailbox.ErrNotFound)
	}
	return best, nil
}

// matchDeleted reports whether the deleted user u had the UPN upn: its mail
// is upn, or its UPN is its object id (with or without dashes) followed by
// upn. It returns u with the UPN it had before deletion.
func matchDeleted(u models.Userable, upn string) (mailbox.DeletedUser, bool) {
	d := mailbox.DeletedUser{User: toUser(u)}
	if t := u.GetDeletedDateTime(); t != nil {
		d.DeletedAt = *t
	}
	original, prefixed := stripIDPrefix(d.UserPrincipalName, d.ID)
	if prefixed {
		d.UserPrincipalName = original
	}
	ok := strings.EqualFold(d.Mail, upn) || (prefixed && strings.EqualFold(original, upn))
	return d, ok
}

// stripIDPrefix removes the object id, with or without dashes, from the
// front of a deleted user's UPN.
func stripIDPrefix(upn, id string) (string, bool) {
	if id == "" {
		return upn, false
	}
	for _, p := range []string{id, strings.ReplaceAll(id, "-", "")} {
		if len(upn) > len(p) && strings.EqualFold(upn[:len(p)], p) {
			return upn[len(p):], true
		}
	}
	return upn, false
}

// RestoreDeletedUser restores a deleted user by object id with
// POST /directory/deletedItems/{id}/restore.
func (c *Client) RestoreDeletedUser(ctx context.Context, id string) error {
	op := "POST /directory/deletedItems/" + id + "/restore"
	if id == "" {
		return fmt.Errorf("graph %s: no object id: %w", op, mailbox.ErrNotFound)
	}
	if _, err := c.directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(ctx, nil); err != nil {
		return remoteError(op, err)
	}
	c.log.DebugContext(ctx, "graph: deleted user restored", "user", id)
	return nil
}
