package graphtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// oneUser is a mailbox.Directory of one user; it does not list deleted
// users.
type oneUser struct {
	mu       sync.Mutex
	u        mailbox.User
	password string
}

func (o *oneUser) User(_ context.Context, id string) (mailbox.User, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if id == o.u.ID || id == o.u.UserPrincipalName {
		return o.u, nil
	}
	return mailbox.User{}, mailbox.ErrNotFound
}

func (o *oneUser) Manager(context.Context, string) (mailbox.User, error) {
	return mailbox.User{}, mailbox.ErrNotFound
}

func (o *oneUser) SetAccountEnabled(_ context.Context, id string, enabled bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.u.AccountEnabled = enabled
	return nil
}

func (o *oneUser) RevokeSignInSessions(context.Context, string) error { return nil }

func (o *oneUser) AssignLicenses(context.Context, string, []string, []string) error { return nil }

func (o *oneUser) SubscribedSkus(context.Context) ([]mailbox.Sku, error) { return nil, nil }

func (o *oneUser) GroupName(context.Context, string) (string, error) { return "", mailbox.ErrNotFound }

func (o *oneUser) ResetPassword(_ context.Context, _, password string, _ bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.password = password
	return nil
}

func (o *oneUser) CreateTemporaryAccessPass(_ context.Context, _ string, lifetime time.Duration) (mailbox.TemporaryAccessPass, error) {
	return mailbox.TemporaryAccessPass{Pass: "s3cret-TAP", ExpiresAt: time.Date(2026, 11, 21, 11, 0, 0, 0, time.UTC)}, nil
}

func (o *oneUser) DeletedUser(context.Context, string) (mailbox.DeletedUser, error) {
	return mailbox.DeletedUser{}, mailbox.ErrNotFound
}

func (o *oneUser) RestoreDeletedUser(context.Context, string) error { return mailbox.ErrNotFound }

// oneGroupID is the id of the one group: sales@contoso.com (or
// o'brien team@contoso.com), whose one member is the user.
const oneGroupID = "3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516"

func (o *oneUser) GroupByMail(_ context.Context, address string) (mailbox.Group, error) {
	if address != "sales@contoso.com" && address != "o'brien team@contoso.com" {
		return mailbox.Group{}, mailbox.ErrNotFound
	}
	return mailbox.Group{ID: oneGroupID, DisplayName: "Sales", Mail: address, SecurityEnabled: true}, nil
}

func (o *oneUser) GroupMembers(_ context.Context, groupID string) ([]mailbox.User, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if groupID != oneGroupID {
		return nil, mailbox.ErrNotFound
	}
	return []mailbox.User{o.u}, nil
}

func (o *oneUser) TransitiveMembers(ctx context.Context, groupID string) ([]mailbox.Principal, error) {
	users, err := o.GroupMembers(ctx, groupID)
	var out []mailbox.Principal
	for _, u := range users {
		out = append(out, mailbox.Principal{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, Mail: u.Mail,
			ProxyAddresses: []string{"SMTP:" + u.Mail, "smtp:a.andersen@contoso.com"}})
	}
	return out, err
}

const selectAll = "id,displayName,userPrincipalName,mail,accountEnabled,onPremisesSyncEnabled,assignedLicenses,licenseAssignmentStates"

func newServer(t *testing.T) (*Server, *oneUser) {
	backend := &oneUser{u: mailbox.User{
		ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", DisplayName: "Alice Andersen",
		UserPrincipalName: "alice@contoso.com", Mail: "alice@contoso.com", AccountEnabled: true,
		Licenses: []mailbox.License{
			{SkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900"},
			{SkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900", AssignedByGroup: "3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516"},
		},
	}}
	s := New(backend, Options{Token: "tok"})
	t.Cleanup(s.Close)
	return s, backend
}

func do(t *testing.T, s *Server, method, path, token string, body []byte, gz bool) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			body = buf.Bytes()
		}
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("client-request-id", "c0ffee00-0000-4000-8000-000000000001")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func TestUserShape(t *testing.T) {
	s, _ := newServer(t)
	status, hdr, got := do(t, s, "GET", "/users/alice@contoso.com?$select="+selectAll, "tok", nil, false)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, Content-Type %q", status, hdr.Get("Content-Type"))
	}
	var want map[string]any
	json.Unmarshal([]byte(`{
	  "@odata.context": "`+s.URL()+`/$metadata#users(`+selectAll+`)/$entity",
	  "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
	  "displayName": "Alice Andersen",
	  "userPrincipalName": "alice@contoso.com",
	  "mail": "alice@contoso.com",
	  "accountEnabled": true,
	  "onPremisesSyncEnabled": null,
	  "assignedLicenses": [{"disabledPlans": [], "skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900"}],
	  "licenseAssignmentStates": [
	    {"assignedByGroup": null, "state": "Active", "error": "None", "skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900",
	     "disabledPlans": [], "lastUpdatedDateTime": "2025-03-04T10:11:12Z"},
	    {"assignedByGroup": "3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516", "state": "Active", "error": "None", "skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900",
	     "disabledPlans": [], "lastUpdatedDateTime": "2025-03-04T10:11:12Z"}
	  ]
	}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	// Without $select, Graph's default properties: no accountEnabled.
	_, _, got = do(t, s, "GET", "/users/alice@contoso.com", "tok", nil, false)
	if _, ok := got["accountEnabled"]; ok || got["displayName"] != "Alice Andersen" || got["@odata.context"] != s.URL()+"/$metadata#users/$entity" {
		t.Errorf("default properties: %v", got)
	}
}

func graphError(t *testing.T, body map[string]any) (code, message string) {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	inner, _ := e["innerError"].(map[string]any)
	if inner["request-id"] == nil || inner["client-request-id"] != "c0ffee00-0000-4000-8000-000000000001" || inner["date"] == nil {
		t.Errorf("innerError = %v", inner)
	}
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

func TestErrors(t *testing.T) {
	s, _ := newServer(t)
	for _, tc := range []struct {
		method, path, token string
		body                string
		status              int
		code, message       string
	}{
		{"GET", "/users/nobody@contoso.com", "tok", "", 404, "Request_ResourceNotFound",
			"Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."},
		{"GET", "/users/alice@contoso.com/manager", "tok", "", 404, "Request_ResourceNotFound",
			"Resource 'manager' does not exist or one of its queried reference-property objects are not present."},
		{"GET", "/users/alice@contoso.com", "", "", 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"GET", "/users/alice@contoso.com", "other", "", 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"PATCH", "/users/alice@contoso.com", "tok", `{"jobTitle":"Boss"}`, 400, "Request_BadRequest",
			"Property 'jobTitle' is not supported by the fake Graph server (graphtest)."},
		{"PATCH", "/users/alice@contoso.com", "tok", `{"passwordProfile":{}}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'passwordProfile' of resource 'User'."},
		{"POST", "/users/alice@contoso.com/assignLicense", "tok", `{"addLicenses":[]}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'removeLicenses' of resource 'User'."},
		{"POST", "/users/alice@contoso.com/assignLicense", "tok", `{"addLicenses":null,"removeLicenses":[]}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'addLicenses' of resource 'User'."},
		{"POST", "/users/alice@contoso.com/assignLicense", "tok", `{"addLicenses":[{"skuId":"E3","disabledPlans":[]}],"removeLicenses":[]}`, 400, "Request_BadRequest",
			"Invalid value specified for property 'addLicenses' of resource 'User'."},
		{"POST", "/users/nobody@contoso.com/revokeSignInSessions", "tok", "", 404, "Request_ResourceNotFound",
			"Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."},
		{"GET", "/users/alice@contoso.com/revokeSignInSessions", "tok", "", 405, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request target."},
		{"GET", "/groups/3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516", "tok", "", 404, "Request_ResourceNotFound",
			"Resource '3f1d2e4c-5b6a-4788-9a0b-c1d2e3f40516' does not exist or one of its queried reference-property objects are not present."},
		{"POST", "/directory/deletedItems/87d349ed-44d7-43e1-9a83-5f2406dee5bd/restore", "tok", "", 404, "Request_ResourceNotFound",
			"Resource '87d349ed-44d7-43e1-9a83-5f2406dee5bd' does not exist or one of its queried reference-property objects are not present."},
		{"GET", "/directory/deletedItems/microsoft.graph.user", "tok", "", 501, "NotImplemented",
			"The fake Graph server (graphtest) cannot list deleted users: its backend *graphtest.oneUser does not implement graphtest.DeletedUserLister."},
		{"PATCH", "/users/alice@contoso.com", "tok", `{"accountEnabled":"no"}`, 400, "BadRequest",
			"Cannot convert the literal '\"no\"' to the expected type 'Edm.Boolean'."},
		{"DELETE", "/users/alice@contoso.com", "tok", "", 405, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request target."},
		{"GET", "/users/alice@contoso.com/mailboxSettings", "tok", "", 400, "BadRequest",
			"Resource not found for the segment 'mailboxSettings'."},
	} {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		status, _, got := do(t, s, tc.method, tc.path, tc.token, body, false)
		code, msg := graphError(t, got)
		if status != tc.status || code != tc.code || msg != tc.message {
			t.Errorf("%s %s: %d %s %q\nwant %d %s %q", tc.method, tc.path, status, code, msg, tc.status, tc.code, tc.message)
		}
	}
}

func TestPatch(t *testing.T) {
	s, backend := newServer(t)
	status, _, _ := do(t, s, "PATCH", "/users/alice@contoso.com", "tok", []byte(`{"accountEnabled":false}`), true)
	if status != 204 {
		t.Fatalf("status %d", status)
	}
	if u, _ := backend.User(context.Background(), "alice@contoso.com"); u.AccountEnabled {
		t.Error("account still enabled")
	}
	calls := s.Calls()
	if len(calls) != 1 || calls[0].Body != `{"accountEnabled":false}` || calls[0].Status != 204 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestFailures(t *testing.T) {
	s, _ := newServer(t)
	s.FailNext(2, 429, "7")
	for range 2 {
		status, hdr, body := do(t, s, "GET", "/users/alice@contoso.com", "tok", nil, false)
		code, msg := graphError(t, body)
		inner := body["error"].(map[string]any)["innerError"].(map[string]any)
		if status != 429 || hdr.Get("Retry-After") != "7" || code != "TooManyRequests" || msg != "Too many requests." || inner["code"] != "ApplicationThrottled" {
			t.Errorf("got %d Retry-After %q %s %q %v", status, hdr.Get("Retry-After"), code, msg, inner)
		}
	}
	if status, _, _ := do(t, s, "GET", "/users/alice@contoso.com", "tok", nil, false); status != 200 {
		t.Errorf("after FailNext: %d", status)
	}

	s.FailEvery(3, 503, "")
	var statuses []int
	for range 6 {
		status, hdr, _ := do(t, s, "GET", "/users/alice@contoso.com", "tok", nil, false)
		if hdr.Get("Retry-After") != "" {
			t.Error("Retry-After sent when none was asked for")
		}
		statuses = append(statuses, status)
	}
	if want := []int{200, 200, 503, 200, 200, 503}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("FailEvery(3): %v, want %v", statuses, want)
	}
	if n := s.Count("GET", "/users/alice"); n != 9 {
		t.Errorf("Count = %d, want 9", n)
	}
	if n := s.Count("PATCH", "/"); n != 0 {
		t.Errorf("PATCH count = %d", n)
	}
}

func TestConcurrent(t *testing.T) {
	s, _ := newServer(t)
	s.FailEvery(2, 429, "0")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				req, _ := http.NewRequest("GET", s.URL()+"/users/alice@contoso.com", nil)
				req.Header.Set("Authorization", "Bearer tok")
				resp, err := s.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				_ = s.Calls()
			}
		})
	}
	wg.Wait()
	throttled := 0
	for _, c := range s.Calls() {
		if c.Status == 429 {
			throttled++
		}
	}
	if s.Count("", "/") != 40 || throttled != 20 {
		t.Errorf("calls %d, throttled %d; want 40 and 20", s.Count("", "/"), throttled)
	}
}

func TestRevokeShape(t *testing.T) {
	s, _ := newServer(t)
	status, _, got := do(t, s, "POST", "/users/alice@contoso.com/revokeSignInSessions", "tok", nil, false)
	want := map[string]any{"@odata.context": s.URL() + "/$metadata#Edm.Boolean", "value": true}
	if status != 200 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d %v, want 200 %v", status, got, want)
	}
}

func TestPasswordAndPassNotRecorded(t *testing.T) {
	s, backend := newServer(t)
	status, _, _ := do(t, s, "PATCH", "/users/alice@contoso.com", "tok",
		[]byte(`{"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"p\"w<d"}}`), true)
	if status != 204 {
		t.Fatalf("status %d", status)
	}
	backend.mu.Lock()
	pw := backend.password
	backend.mu.Unlock()
	if pw != `p"w<d` {
		t.Errorf("backend got password %q", pw)
	}

	status, _, got := do(t, s, "POST", "/users/alice@contoso.com/authentication/temporaryAccessPassMethods", "tok",
		[]byte(`{"lifetimeInMinutes":60,"isUsableOnce":false}`), false)
	if status != 201 {
		t.Fatalf("status %d", status)
	}
	id, _ := got["id"].(string)
	want := map[string]any{
		"@odata.context":        s.URL() + "/$metadata#users('87d349ed-44d7-43e1-9a83-5f2406dee5bd')/authentication/temporaryAccessPassMethods/$entity",
		"id":                    id,
		"isUsable":              true,
		"methodUsabilityReason": "EnabledByPolicy",
		"temporaryAccessPass":   "s3cret-TAP",
		"createdDateTime":       "2026-11-21T10:00:00.0000000Z",
		"startDateTime":         "2026-11-21T10:00:00.0000000Z",
		"lifetimeInMinutes":     float64(60),
		"isUsableOnce":          false,
	}
	if id == "" || !reflect.DeepEqual(got, want) {
		t.Errorf("TAP answer %v\nwant %v", got, want)
	}

	calls := s.Calls()
	if len(calls) != 2 || calls[0].Body != `{"passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"[REDACTED]"}}` ||
		calls[1].Body != `{"lifetimeInMinutes":60,"isUsableOnce":false}` {
		t.Errorf("calls = %+v", calls)
	}
	for _, c := range calls {
		if strings.Contains(c.Body, "w<d") || strings.Contains(c.Body, "s3cret-TAP") {
			t.Errorf("recorded a secret: %+v", c)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`{"accountEnabled":false}`: `{"accountEnabled":false}`,
		`{"passwordProfile":{"password":"a\"b","forceChangePasswordNextSignIn":true}}`:           `{"passwordProfile":{"password":"[REDACTED]","forceChangePasswordNextSignIn":true}}`,
		`{ "passwordProfile" : { "forceChangePasswordNextSignIn" : false , "Password" : "x" } }`: `{ "passwordProfile" : { "forceChangePasswordNextSignIn" : false , "Password" : "[REDACTED]" } }`,
		`{"list":["password","x"],"password":null,"n":{"temporaryAccessPass":"t"}}`:              `{"list":["password","x"],"password":null,"n":{"temporaryAccessPass":"[REDACTED]"}}`,
		`{"passwordProfile":{"password":"unterminated`:                                           Redacted,
		``: ``,
	} {
		if got := redact([]byte(in)); got != want {
			t.Errorf("redact(%s) = %s\nwant %s", in, got, want)
		}
	}
}

// withDeleted is a backend that also lists deleted users.
type withDeleted struct {
	*oneUser
	deleted []mailbox.DeletedUser
}

func (w withDeleted) DeletedUsers(context.Context) ([]mailbox.DeletedUser, error) {
	return w.deleted, nil
}

func TestDeletedUsersShape(t *testing.T) {
	backend := withDeleted{oneUser: &oneUser{}, deleted: []mailbox.DeletedUser{
		{User: mailbox.User{ID: "dddddddd-3333-4444-5555-eeeeeeeeeeee", DisplayName: "Avery", UserPrincipalName: "AveryS@contoso.com"},
			DeletedAt: time.Date(2026, 11, 14, 16, 30, 0, 0, time.UTC)},
		{User: mailbox.User{ID: "cccccccc-2222-4333-8444-dddddddddddd", UserPrincipalName: "carol@contoso.com", Mail: "carol.c@contoso.com"}},
	}}
	for _, compact := range []bool{false, true} {
		s := New(backend, Options{Token: "tok", PageSize: 1, CompactDeletedUPN: compact})
		t.Cleanup(s.Close)
		status, _, got := do(t, s, "GET", "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,mail,deletedDateTime", "tok", nil, false)
		upn := "dddddddd-3333-4444-5555-eeeeeeeeeeeeAveryS@contoso.com"
		if compact {
			upn = "dddddddd333344445555eeeeeeeeeeeeAveryS@contoso.com"
		}
		want := map[string]any{
			"@odata.context":  s.URL() + "/$metadata#directoryObjects/microsoft.graph.user(id,userPrincipalName,mail,deletedDateTime)",
			"@odata.nextLink": s.URL() + "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,mail,deletedDateTime&$skiptoken=1",
			"value": []any{map[string]any{"id": "dddddddd-3333-4444-5555-eeeeeeeeeeee", "userPrincipalName": upn,
				"mail": nil, "deletedDateTime": "2026-11-14T16:30:00Z"}},
		}
		if status != 200 || !reflect.DeepEqual(got, want) {
			t.Errorf("compact %v: %d %v\nwant %v", compact, status, got, want)
		}
		next := strings.TrimPrefix(got["@odata.nextLink"].(string), s.URL())
		_, _, got = do(t, s, "GET", next, "tok", nil, false)
		if v := got["value"].([]any); len(v) != 1 || v[0].(map[string]any)["mail"] != "carol.c@contoso.com" || got["@odata.nextLink"] != nil {
			t.Errorf("compact %v: second page %v", compact, got)
		}
	}
}
