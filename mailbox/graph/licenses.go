package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// maxPages bounds the pages followed through @odata.nextLink, against a
// server that links back to itself.
const maxPages = 1000

// AssignLicenses adds the SKUs add (with no disabled plans) and removes the
// SKUs remove with POST /users/{id}/assignLicense
// {"addLicenses":[{"disabledPlans":[],"skuId":".."}],"removeLicenses":[".."]}.
// Both lists are always sent, empty rather than null, as Graph requires.
// Graph's refusals (no free units, no usage location, a group-assigned
// license) come back as *mailbox.RemoteError with Microsoft's text.
func (c *Client) AssignLicenses(ctx context.Context, userID string, add, remove []string) error {
	op := "POST /users/" + userID + "/assignLicense"
	if userID == "" {
		return fmt.Errorf("graph %s: %w", op, mailbox.ErrInvalidAddress)
	}
	body := users.NewItemAssignLicensePostRequestBody()
	adds := make([]models.AssignedLicenseable, 0, len(add))
	for _, id := range add {
		sku, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("graph %s: SKU id %q is not a GUID", op, id)
		}
		l := models.NewAssignedLicense()
		l.SetDisabledPlans([]uuid.UUID{})
		l.SetSkuId(&sku)
		adds = append(adds, l)
	}
	removes := make([]uuid.UUID, 0, len(remove))
	for _, id := range remove {
		sku, err := uuid.Parse(id)
		if err != nil {
			return fmt.Errorf("graph %s: SKU id %q is not a GUID", op, id)
		}
		removes = append(removes, sku)
	}
	body.SetAddLicenses(adds)
	body.SetRemoveLicenses(removes)
	if _, err := c.users().ByUserId(userID).AssignLicense().Post(ctx, body, nil); err != nil {
		return remoteError(op, err)
	}
	c.log.DebugContext(ctx, "graph: licenses assigned", "user", userID, "added", add, "removed", remove)
	return nil
}

// SubscribedSkus lists the tenant's subscriptions with GET /subscribedSkus,
// following @odata.nextLink.
func (c *Client) SubscribedSkus(ctx context.Context) ([]mailbox.Sku, error) {
	const op = "GET /subscribedSkus"
	page, err := c.skus().Get(ctx, nil)
	var out []mailbox.Sku
	for n := 0; ; n++ {
		if err != nil {
			return nil, remoteError(op, err)
		}
		if page == nil {
			return nil, fmt.Errorf("graph %s: empty answer", op)
		}
		for _, s := range page.GetValue() {
			if s != nil {
				out = append(out, toSku(s))
			}
		}
		next := deref(page.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
		if n+1 >= maxPages {
			return nil, fmt.Errorf("graph %s: more than %d pages", op, maxPages)
		}
		page, err = c.skus().WithUrl(next).Get(ctx, nil)
	}
}

func toSku(s models.SubscribedSkuable) mailbox.Sku {
	out := mailbox.Sku{
		PartNumber:       deref(s.GetSkuPartNumber()),
		AppliesTo:        deref(s.GetAppliesTo()),
		CapabilityStatus: deref(s.GetCapabilityStatus()),
		Consumed:         int(deref(s.GetConsumedUnits())),
	}
	if id := s.GetSkuId(); id != nil {
		out.ID = id.String()
	}
	if p := s.GetPrepaidUnits(); p != nil {
		out.Enabled = int(deref(p.GetEnabled()))
	}
	for _, p := range s.GetServicePlans() {
		if p != nil && p.GetServicePlanName() != nil {
			out.ServicePlans = append(out.ServicePlans, *p.GetServicePlanName())
		}
	}
	return out
}

// GroupName returns a group's display name with
// GET /groups/{id}?$select=displayName; an error satisfying
// errors.Is(err, mailbox.ErrNotFound) when there is no such group.
func (c *Client) GroupName(ctx context.Context, groupID string) (string, error) {
	op := "GET /groups/" + groupID
	if groupID == "" {
		return "", fmt.Errorf("graph %s: no group id: %w", op, mailbox.ErrNotFound)
	}
	g, err := c.groups().ByGroupId(groupID).Get(ctx, &groups.GroupItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupItemRequestBuilderGetQueryParameters{Select: []string{"displayName"}},
	})
	if err != nil {
		return "", remoteError(op, err)
	}
	if g == nil {
		return "", fmt.Errorf("graph %s: empty answer", op)
	}
	return deref(g.GetDisplayName()), nil
}
