// The user routes: GET /users/{id}, GET /users/{id}/manager and
// PATCH /users/{id}, and a user rendered as Graph renders it.

package graphtest

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// lookup reads a user from the backend, answering the error itself.
func (s *Server) lookup(ctx context.Context, e errorWriter, idOrUPN string) (mailbox.User, bool) {
	u, err := s.backend.User(ctx, idOrUPN)
	if err != nil {
		e.backendError(err, idOrUPN)
		return mailbox.User{}, false
	}
	return u, true
}

func (s *Server) getUser(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string) {
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#users/$entity"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#users(" + strings.Join(sel, ",") + ")/$entity"
	}
	obj := renderUser(u, sel)
	obj["@odata.context"] = ctxURL
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) getManager(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string) {
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	m, err := s.backend.Manager(ctx, u.ID)
	if err != nil {
		e.backendError(err, "manager")
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#directoryObjects/$entity"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#directoryObjects(" + strings.Join(sel, ",") + ")/$entity"
	}
	obj := renderUser(m, sel)
	obj["@odata.context"] = ctxURL
	obj["@odata.type"] = "#microsoft.graph.user"
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) patchUser(ctx context.Context, w http.ResponseWriter, e errorWriter, id string, body []byte) {
	props, ok := jsonObject(e, body)
	if !ok {
		return
	}
	var (
		enabled  *bool
		password *passwordProfile
	)
	for k, v := range props {
		switch k {
		case "@odata.type":
			var t string
			if json.Unmarshal(v, &t) != nil || t != "#microsoft.graph.user" {
				e.write(http.StatusBadRequest, "BadRequest", "A type named '"+string(v)+"' could not be resolved by the model.", "")
				return
			}
		case "accountEnabled":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.", "")
				return
			}
			enabled = &b
		case "passwordProfile":
			p, ok := parsePasswordProfile(e, v)
			if !ok {
				return
			}
			password = &p
		default:
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is not supported by the fake Graph server (graphtest).", "")
			return
		}
	}
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	if enabled != nil {
		if err := s.backend.SetAccountEnabled(ctx, u.ID, *enabled); err != nil {
			e.backendError(err, id)
			return
		}
	}
	if password != nil {
		if err := s.backend.ResetPassword(ctx, u.ID, password.password, password.forceChange); err != nil {
			e.backendError(err, id)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

type passwordProfile struct {
	password    string
	forceChange bool
}

// parsePasswordProfile reads {"password":"..","forceChangePasswordNextSignIn":b}.
// Its errors never quote the password.
func parsePasswordProfile(e errorWriter, raw json.RawMessage) (passwordProfile, bool) {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil || props == nil {
		e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the value of property 'passwordProfile' to the expected type 'microsoft.graph.passwordProfile'.", "")
		return passwordProfile{}, false
	}
	var p passwordProfile
	for k, v := range props {
		switch k {
		case "password":
			if json.Unmarshal(v, &p.password) != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the value of property 'password' to the expected type 'Edm.String'.", "")
				return passwordProfile{}, false
			}
		case "forceChangePasswordNextSignIn", "forceChangePasswordNextSignInWithMfa":
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.", "")
				return passwordProfile{}, false
			}
			if k == "forceChangePasswordNextSignIn" {
				p.forceChange = b
			}
		case "@odata.type":
		default:
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is not supported by the fake Graph server (graphtest).", "")
			return passwordProfile{}, false
		}
	}
	if p.password == "" {
		e.write(http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User'.", "")
		return passwordProfile{}, false
	}
	return p, true
}

// lastUpdated is the fixed lastUpdatedDateTime of license states.
const lastUpdated = "2025-03-04T10:11:12Z"

// renderUser renders u as Graph does: the selected properties, or Graph's
// default set. Properties the fake does not model are null.
func renderUser(u mailbox.User, sel []string) map[string]any {
	var skus []string
	var assigned, states []map[string]any
	for _, l := range u.Licenses {
		var group any
		if l.AssignedByGroup != "" {
			group = l.AssignedByGroup
		}
		states = append(states, map[string]any{
			"assignedByGroup": group, "state": "Active", "error": "None", "skuId": l.SkuID,
			"disabledPlans": []string{}, "lastUpdatedDateTime": lastUpdated,
		})
		if !slices.Contains(skus, l.SkuID) {
			skus = append(skus, l.SkuID)
			assigned = append(assigned, map[string]any{"disabledPlans": []string{}, "skuId": l.SkuID})
		}
	}
	var synced any // Graph says null, not false, for a cloud-only user
	if u.OnPremisesSyncEnabled {
		synced = true
	}
	all := map[string]any{
		"id":                      u.ID,
		"displayName":             u.DisplayName,
		"userPrincipalName":       u.UserPrincipalName,
		"mail":                    nullable(u.Mail),
		"proxyAddresses":          orEmptyStrings(u.ProxyAddresses),
		"accountEnabled":          u.AccountEnabled,
		"onPremisesSyncEnabled":   synced,
		"assignedLicenses":        orEmpty(assigned),
		"licenseAssignmentStates": orEmpty(states),
		"businessPhones":          []string{},
	}
	if !u.SignInSessionsValidFrom.IsZero() {
		all["signInSessionsValidFromDateTime"] = u.SignInSessionsValidFrom.UTC().Format(time.RFC3339)
	}
	if sel == nil {
		sel = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
			"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	}
	out := make(map[string]any, len(sel)+2)
	for _, f := range sel {
		out[f] = all[f] // nil (JSON null) for what the fake does not model
	}
	return out
}

func orEmpty(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

// orEmptyStrings is l, or [] for none: Graph lists no addresses as [].
func orEmptyStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
