package graphtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// parseMailFilter reads the $filter mail eq '<address>', the address an
// OData string literal (a quote doubled). ok is false for any other filter;
// msg then says why, as Graph would.
func parseMailFilter(filter string) (address string, ok bool, msg string) {
	f := strings.TrimSpace(filter)
	lit, found := strings.CutPrefix(f, "mail eq ")
	if !found {
		return "", false, "Unsupported or invalid query filter clause specified for property 'mail' of resource 'Group'. The fake Graph server (graphtest) takes only $filter=mail eq '<address>'."
	}
	lit = strings.TrimSpace(lit)
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false, fmt.Sprintf("Syntax error at position %d in '%s'.", len(f), f)
	}
	inner := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] != '\'' {
			b.WriteByte(inner[i])
			continue
		}
		if i+1 < len(inner) && inner[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return "", false, fmt.Sprintf("Syntax error: character ''' is not valid at position %d in '%s'.", len(f)-len(lit)+1+i, f)
	}
	return b.String(), true, ""
}

// groupsByMail asks the backend for the groups with address.
func (s *Server) groupsByMail(ctx context.Context, address string) ([]mailbox.Group, error) {
	if l, ok := s.backend.(GroupsByMailLister); ok {
		return l.GroupsByMail(ctx, address)
	}
	g, err := s.backend.GroupByMail(ctx, address)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil, nil // a filter that matches nothing is an empty list
	}
	if err != nil {
		return nil, err
	}
	return []mailbox.Group{g}, nil
}

func (s *Server) listGroups(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := q["$filter"]; !ok {
		e.write(http.StatusBadRequest, "Request_UnsupportedQuery",
			"The fake Graph server (graphtest) lists groups only with $filter=mail eq '<address>'.", "")
		return
	}
	address, ok, msg := parseMailFilter(q.Get("$filter"))
	if !ok {
		e.write(http.StatusBadRequest, "BadRequest", msg, "")
		return
	}
	found, err := s.groupsByMail(ctx, address)
	if err != nil {
		e.backendError(err, "groups")
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#groups"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#groups(" + strings.Join(sel, ",") + ")"
	}
	items := make([]any, 0, len(found))
	for _, g := range found {
		items = append(items, renderGroup(g, sel))
	}
	s.writePage(w, e, r, ctxURL, items)
}

// renderGroup renders g with the selected properties, or id, displayName,
// mail, mailEnabled and securityEnabled. Properties the fake does not model
// are null.
func renderGroup(g mailbox.Group, sel []string) map[string]any {
	all := map[string]any{
		"id":              g.ID,
		"displayName":     g.DisplayName,
		"mail":            nullable(g.Mail),
		"mailEnabled":     g.Mail != "",
		"securityEnabled": g.SecurityEnabled,
	}
	if sel == nil {
		sel = []string{"id", "displayName", "mail", "mailEnabled", "securityEnabled"}
	}
	out := make(map[string]any, len(sel))
	for _, f := range sel {
		out[f] = all[f]
	}
	return out
}

// groupMembers lists a group's users: its direct members (the backend's
// GroupMembers), or with transitive those of nested groups too (its
// TransitiveMembers, rendered with proxyAddresses).
func (s *Server) groupMembers(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string, transitive bool) {
	for _, opt := range []string{"$filter", "$search", "$orderby", "$expand"} {
		if r.URL.Query().Has(opt) {
			e.write(http.StatusBadRequest, "Request_UnsupportedQuery",
				"The fake Graph server (graphtest) does not take "+opt+" on group members.", "")
			return
		}
	}
	var items []any
	sel := selected(r)
	if transitive {
		members, err := s.backend.TransitiveMembers(ctx, id)
		if err != nil {
			e.backendError(err, id)
			return
		}
		for _, p := range members {
			obj := renderUser(mailbox.User{ID: p.ID, DisplayName: p.DisplayName, UserPrincipalName: p.UserPrincipalName, Mail: p.Mail}, sel)
			if sel == nil || slices.Contains(sel, "proxyAddresses") {
				obj["proxyAddresses"] = append([]string{}, p.ProxyAddresses...)
			}
			items = append(items, obj)
		}
	} else {
		members, err := s.backend.GroupMembers(ctx, id)
		if err != nil {
			e.backendError(err, id)
			return
		}
		for _, u := range members {
			items = append(items, renderUser(u, sel))
		}
	}
	for _, obj := range items {
		obj.(map[string]any)["@odata.type"] = "#microsoft.graph.user"
	}
	ctxURL := s.URL() + "/$metadata#users"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#users(" + strings.Join(sel, ",") + ")"
	}
	s.writePage(w, e, r, ctxURL, append([]any{}, items...))
}
