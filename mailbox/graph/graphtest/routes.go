package graphtest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TenantID is the fake tenant's id, found in subscribedSku ids.
const TenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// graphTime is Graph's timestamp format, with seven fractional digits.
const graphTime = "2006-01-02T15:04:05.0000000Z"

func (s *Server) revokeSessions(ctx context.Context, w http.ResponseWriter, e errorWriter, id string) {
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	if err := s.backend.RevokeSignInSessions(ctx, u.ID); err != nil {
		e.backendError(err, id)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": s.URL() + "/$metadata#Edm.Boolean",
		"value":          true,
	})
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// assignLicense reads {"addLicenses":[{"disabledPlans":[],"skuId":".."}],
// "removeLicenses":[".."]}: both lists are required (null is refused, as
// Graph does), SKU ids must be GUIDs.
func (s *Server) assignLicense(ctx context.Context, w http.ResponseWriter, e errorWriter, id string, body []byte) {
	props, ok := jsonObject(e, body)
	if !ok {
		return
	}
	invalid := func(prop string) {
		e.write(http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property '"+prop+"' of resource 'User'.", "")
	}
	for k := range props {
		if k != "addLicenses" && k != "removeLicenses" {
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' does not exist as a declared property or extension property.", "")
			return
		}
	}
	var adds []struct {
		DisabledPlans *[]string `json:"disabledPlans"`
		SkuID         string    `json:"skuId"`
	}
	var removes []string
	if raw, ok := props["addLicenses"]; !ok || json.Unmarshal(raw, &adds) != nil || adds == nil {
		invalid("addLicenses")
		return
	}
	if raw, ok := props["removeLicenses"]; !ok || json.Unmarshal(raw, &removes) != nil || removes == nil {
		invalid("removeLicenses")
		return
	}
	var add []string
	for _, a := range adds {
		if !guidRE.MatchString(a.SkuID) || a.DisabledPlans == nil {
			invalid("addLicenses")
			return
		}
		if len(*a.DisabledPlans) > 0 {
			e.write(http.StatusBadRequest, "Request_BadRequest", "Disabled plans are not supported by the fake Graph server (graphtest).", "")
			return
		}
		add = append(add, strings.ToLower(a.SkuID))
	}
	for _, r := range removes {
		if !guidRE.MatchString(r) {
			invalid("removeLicenses")
			return
		}
	}
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	if err := s.backend.AssignLicenses(ctx, u.ID, add, removes); err != nil {
		e.backendError(err, id)
		return
	}
	if after, err := s.backend.User(ctx, u.ID); err == nil {
		u = after
	}
	obj := renderUser(u, nil)
	obj["@odata.context"] = s.URL() + "/$metadata#users/$entity"
	writeJSON(w, http.StatusOK, obj)
}

// createTAP reads {"lifetimeInMinutes":n,"isUsableOnce":b} (both optional:
// Graph's default policy gives 60 minutes, reusable) and answers 201 with
// the new method, pass included.
func (s *Server) createTAP(ctx context.Context, w http.ResponseWriter, e errorWriter, id string, body []byte) {
	props, ok := jsonObject(e, body)
	if !ok {
		return
	}
	minutes, once := 60, false
	for k, v := range props {
		switch k {
		case "lifetimeInMinutes":
			if json.Unmarshal(v, &minutes) != nil || minutes < 10 || minutes > 43200 {
				e.write(http.StatusBadRequest, "badRequest", "The lifetimeInMinutes value must be between 10 and 43200.", "")
				return
			}
		case "isUsableOnce":
			if json.Unmarshal(v, &once) != nil {
				e.write(http.StatusBadRequest, "BadRequest", "Cannot convert the literal '"+string(v)+"' to the expected type 'Edm.Boolean'.", "")
				return
			}
		case "@odata.type":
		default:
			e.write(http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is not supported by the fake Graph server (graphtest).", "")
			return
		}
	}
	u, ok := s.lookup(ctx, e, id)
	if !ok {
		return
	}
	lifetime := time.Duration(minutes) * time.Minute
	tap, err := s.backend.CreateTemporaryAccessPass(ctx, u.ID, lifetime)
	if err != nil {
		e.backendError(err, id)
		return
	}
	start := tap.ExpiresAt.Add(-lifetime).UTC().Format(graphTime)
	writeJSON(w, http.StatusCreated, map[string]any{
		"@odata.context":        s.URL() + "/$metadata#users('" + u.ID + "')/authentication/temporaryAccessPassMethods/$entity",
		"id":                    newID(),
		"isUsable":              true,
		"methodUsabilityReason": "EnabledByPolicy",
		"temporaryAccessPass":   tap.Pass,
		"createdDateTime":       start,
		"startDateTime":         start,
		"lifetimeInMinutes":     minutes,
		"isUsableOnce":          once,
	})
}

func (s *Server) subscribedSkus(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request) {
	skus, err := s.backend.SubscribedSkus(ctx)
	if err != nil {
		e.backendError(err, "subscribedSkus")
		return
	}
	items := make([]any, 0, len(skus))
	for _, k := range skus {
		plans := make([]map[string]any, 0, len(k.ServicePlans))
		for _, p := range k.ServicePlans {
			plans = append(plans, map[string]any{
				"servicePlanId": nameGUID("plan:" + p), "servicePlanName": p,
				"provisioningStatus": "Success", "appliesTo": k.AppliesTo,
			})
		}
		items = append(items, map[string]any{
			"accountName":      "contoso",
			"accountId":        TenantID,
			"appliesTo":        k.AppliesTo,
			"capabilityStatus": k.CapabilityStatus,
			"consumedUnits":    k.Consumed,
			"id":               TenantID + "_" + k.ID,
			"skuId":            k.ID,
			"skuPartNumber":    k.PartNumber,
			"subscriptionIds":  []string{nameGUID("subscription:" + k.ID)},
			"prepaidUnits":     map[string]any{"enabled": k.Enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
			"servicePlans":     plans,
		})
	}
	s.writePage(w, e, r, s.URL()+"/$metadata#subscribedSkus", items)
}

func (s *Server) getGroup(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request, id string) {
	name, err := s.backend.GroupName(ctx, id)
	if err != nil {
		e.backendError(err, id)
		return
	}
	all := map[string]any{"id": id, "displayName": name}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#groups/$entity"
	if sel == nil {
		sel = []string{"id", "displayName"}
	} else {
		ctxURL = s.URL() + "/$metadata#groups(" + strings.Join(sel, ",") + ")/$entity"
	}
	obj := map[string]any{"@odata.context": ctxURL}
	for _, f := range sel {
		obj[f] = all[f]
	}
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) deletedUsers(ctx context.Context, w http.ResponseWriter, e errorWriter, r *http.Request) {
	lister, ok := s.backend.(DeletedUserLister)
	if !ok {
		e.write(http.StatusNotImplemented, "NotImplemented",
			fmt.Sprintf("The fake Graph server (graphtest) cannot list deleted users: its backend %T does not implement graphtest.DeletedUserLister.", s.backend), "")
		return
	}
	deleted, err := lister.DeletedUsers(ctx)
	if err != nil {
		e.backendError(err, "deletedItems")
		return
	}
	sel := selected(r)
	ctxURL := s.URL() + "/$metadata#directoryObjects/microsoft.graph.user"
	if sel != nil {
		ctxURL = s.URL() + "/$metadata#directoryObjects/microsoft.graph.user(" + strings.Join(sel, ",") + ")"
	}
	items := make([]any, 0, len(deleted))
	for _, d := range deleted {
		u := d.User
		prefix := u.ID
		if s.opts.CompactDeletedUPN {
			prefix = strings.ReplaceAll(prefix, "-", "")
		}
		u.UserPrincipalName = prefix + u.UserPrincipalName
		obj := renderUser(u, sel)
		if sel == nil || containsFold(sel, "deletedDateTime") {
			obj["deletedDateTime"] = d.DeletedAt.UTC().Format(time.RFC3339)
		}
		items = append(items, obj)
	}
	s.writePage(w, e, r, ctxURL, items)
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}

func (s *Server) restore(ctx context.Context, w http.ResponseWriter, e errorWriter, id string) {
	if err := s.backend.RestoreDeletedUser(ctx, id); err != nil {
		e.backendError(err, id)
		return
	}
	obj := map[string]any{"id": id}
	if u, err := s.backend.User(ctx, id); err == nil {
		obj = renderUser(u, nil)
	}
	obj["@odata.context"] = s.URL() + "/$metadata#directoryObjects/$entity"
	obj["@odata.type"] = "#microsoft.graph.user"
	writeJSON(w, http.StatusOK, obj)
}

// writePage answers {"@odata.context","value"} with the page of items that
// $skiptoken (an offset) points at, and @odata.nextLink to the next page
// when Options.PageSize cuts the list.
func (s *Server) writePage(w http.ResponseWriter, e errorWriter, r *http.Request, ctxURL string, items []any) {
	from := 0
	if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(items) {
			e.write(http.StatusBadRequest, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.", "")
			return
		}
		from = n
	}
	to := len(items)
	if s.opts.PageSize > 0 && from+s.opts.PageSize < to {
		to = from + s.opts.PageSize
	}
	out := map[string]any{"@odata.context": ctxURL, "value": items[from:to]}
	if to < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", strconv.Itoa(to))
		out["@odata.nextLink"] = s.srv.URL + r.URL.EscapedPath() + "?" + strings.NewReplacer("%24", "$", "%2C", ",").Replace(q.Encode())
	}
	writeJSON(w, http.StatusOK, out)
}

// nameGUID returns a stable GUID for a name.
func nameGUID(name string) string {
	b := sha1.Sum([]byte(name))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// secretKeys are the properties whose string values are never recorded.
var secretKeys = map[string]bool{"password": true, "temporaryaccesspass": true}

// redact returns body with the string value of every "password" (and
// "temporaryAccessPass") property replaced by Redacted, the rest byte for
// byte. A body it cannot parse that mentions a password is replaced whole.
func redact(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var spans [][2]int64 // [start, end) of secret values, quotes included
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct{ object, wantKey bool }
	var stack []frame
	secretNext := false
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if bytes.Contains(bytes.ToLower(body), []byte("password")) {
				return Redacted
			}
			return string(body)
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].wantKey
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].wantKey = true
				}
				stack = append(stack, frame{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:top]
			}
			secretNext = false
			continue
		case string:
			if isKey {
				secretNext = secretKeys[strings.ToLower(t)]
				stack[top].wantKey = false
				continue
			}
			if secretNext {
				end := dec.InputOffset()
				start := before + int64(bytes.IndexByte(body[before:end], '"'))
				spans = append(spans, [2]int64{start, end})
			}
		}
		secretNext = false
		if top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
	}
	if len(spans) == 0 {
		return string(body)
	}
	var b strings.Builder
	last := int64(0)
	for _, sp := range spans {
		b.Write(body[last:sp[0]])
		b.WriteString(strconv.Quote(Redacted))
		last = sp[1]
	}
	b.Write(body[last:])
	return b.String()
}
