package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// ErrAmbiguous: more than one directory object answers to what was asked.
var ErrAmbiguous = errors.New("more than one object matches")

// groupFields are the group properties the bot reads ($select).
func groupFields() []string { return []string{"id", "displayName", "mail", "securityEnabled"} }

// memberFields are the member properties the bot reads ($select).
func memberFields() []string {
	return []string{"id", "displayName", "userPrincipalName", "mail", "accountEnabled"}
}

// odataString quotes s as an OData string literal, in single quotes with
// each single quote doubled:
//
//	o'brien@contoso.com -> 'o''brien@contoso.com'
//
// URL encoding is left to the request builder.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// GroupByMail finds the mail-enabled group whose mail is address with
// GET /groups?$filter=mail eq '<address>'&$select=id,displayName,mail,securityEnabled,
// the address quoted as an OData literal. An error satisfying
// errors.Is(err, mailbox.ErrNotFound) when no group has it, ErrAmbiguous
// when several do.
func (c *Client) GroupByMail(ctx context.Context, address string) (mailbox.Group, error) {
	filter := "mail eq " + odataString(address)
	op := "GET /groups?$filter=" + filter
	if address == "" {
		return mailbox.Group{}, fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	page, err := c.groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{Filter: &filter, Select: groupFields()},
	})
	var found []mailbox.Group
	for n := 0; ; n++ {
		if err != nil {
			return mailbox.Group{}, remoteError(op, err)
		}
		if page == nil {
			return mailbox.Group{}, fmt.Errorf("graph %s: empty answer", op)
		}
		for _, g := range page.GetValue() {
			if g == nil {
				continue
			}
			found = append(found, mailbox.Group{
				ID:              deref(g.GetId()),
				DisplayName:     deref(g.GetDisplayName()),
				Mail:            deref(g.GetMail()),
				SecurityEnabled: deref(g.GetSecurityEnabled()),
			})
		}
		next := deref(page.GetOdataNextLink())
		if next == "" {
			break
		}
		if n+1 >= maxPages {
			return mailbox.Group{}, fmt.Errorf("graph %s: more than %d pages", op, maxPages)
		}
		page, err = c.groups().WithUrl(next).Get(ctx, nil)
	}
	switch len(found) {
	case 0:
		return mailbox.Group{}, fmt.Errorf("graph %s: no group has the address %s: %w", op, address, mailbox.ErrNotFound)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, g := range found {
		ids[i] = g.ID
	}
	return mailbox.Group{}, fmt.Errorf("graph %s: %d groups have the address %s (%s): %w",
		op, len(found), address, strings.Join(ids, ", "), ErrAmbiguous)
}

// GroupMembers lists the direct members of a group that are users with
// GET /groups/{id}/members/microsoft.graph.user?$select=id,displayName,userPrincipalName,mail,accountEnabled,
// every page. Members of nested groups are not included. An error
// satisfying errors.Is(err, mailbox.ErrNotFound) when there is no such group.
func (c *Client) GroupMembers(ctx context.Context, groupID string) ([]mailbox.User, error) {
	members := c.groups().ByGroupId(groupID).Members().GraphUser()
	return listUsers(ctx, c, groupID, "members", memberFields(), func(raw string) (models.UserCollectionResponseable, error) {
		return members.WithUrl(raw).Get(ctx, nil)
	}, toUser)
}

// principalFields are the properties of a person who gains access ($select).
func principalFields() []string {
	return []string{"id", "displayName", "userPrincipalName", "mail", "proxyAddresses"}
}

// TransitiveMembers lists the users in a group directly or through nested
// groups with
// GET /groups/{id}/transitiveMembers/microsoft.graph.user?$select=id,displayName,userPrincipalName,mail,proxyAddresses,
// every page (GroupMember.Read.All), each user once. An error satisfying
// errors.Is(err, mailbox.ErrNotFound) when there is no such group.
func (c *Client) TransitiveMembers(ctx context.Context, groupID string) ([]mailbox.Principal, error) {
	members := c.groups().ByGroupId(groupID).TransitiveMembers().GraphUser()
	all, err := listUsers(ctx, c, groupID, "transitiveMembers", principalFields(), func(raw string) (models.UserCollectionResponseable, error) {
		return members.WithUrl(raw).Get(ctx, nil)
	}, toPrincipal)
	if err != nil {
		return nil, err
	}
	var out []mailbox.Principal
	for _, p := range all {
		if !slices.ContainsFunc(out, func(o mailbox.Principal) bool { return o.ID == p.ID }) {
			out = append(out, p)
		}
	}
	return out, nil
}

func toPrincipal(u models.Userable) mailbox.Principal {
	return mailbox.Principal{
		ID:                deref(u.GetId()),
		DisplayName:       deref(u.GetDisplayName()),
		UserPrincipalName: deref(u.GetUserPrincipalName()),
		Mail:              deref(u.GetMail()),
		ProxyAddresses:    slices.Clone(u.GetProxyAddresses()),
	}
}

// listUsers reads every page of a group's user list,
// GET /groups/{id}/{rel}/microsoft.graph.user?$select=fields, with get
// (the request builder of rel at a raw URL), following @odata.nextLink.
func listUsers[T any](ctx context.Context, c *Client, groupID, rel string, fields []string,
	get func(raw string) (models.UserCollectionResponseable, error), conv func(models.Userable) T) ([]T, error) {
	path := "/groups/" + url.PathEscape(groupID) + "/" + rel + "/microsoft.graph.user"
	op := "GET " + path
	if groupID == "" {
		return nil, fmt.Errorf("graph %s: no group id: %w", op, mailbox.ErrNotFound)
	}
	raw := c.base + path + "?%24select=" + strings.Join(fields, ",")
	out := []T{}
	for n := 0; ; n++ {
		page, err := get(raw)
		if err != nil {
			return nil, remoteError(op, err)
		}
		if page == nil {
			return nil, fmt.Errorf("graph %s: empty answer", op)
		}
		for _, u := range page.GetValue() {
			if u != nil {
				out = append(out, conv(u))
			}
		}
		raw = deref(page.GetOdataNextLink())
		if raw == "" {
			return out, nil
		}
		if n+1 >= maxPages {
			return nil, fmt.Errorf("graph %s: more than %d pages", op, maxPages)
		}
	}
}
