package exchangetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

const tenant = "9f6c2c1e-1111-4a5b-9c3d-0123456789ab"

type oneMailbox struct{ mb mailbox.Mailbox }

func (o *oneMailbox) GetMailbox(_ context.Context, id string) (mailbox.Mailbox, error) {
	if !strings.EqualFold(id, o.mb.UserPrincipalName) {
		return mailbox.Mailbox{}, mailbox.ErrNotFound
	}
	return o.mb, nil
}

func (o *oneMailbox) SetMailboxType(context.Context, string, mailbox.MailboxType) error { return nil }

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends one raw InvokeCommand request, the way the real client does.
func post(t *testing.T, s *Server, token, anchor, body string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/adminapi/beta/"+tenant+"/InvokeCommand", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if anchor != "" {
		req.Header.Set("X-AnchorMailbox", anchor)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

var anchor = fmt.Sprintf(AnchorMailboxFormat, tenant)

const getAlice = `{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"alice@contoso.com"}}}`

func newServer(t *testing.T) *Server {
	s := New(&oneMailbox{mailbox.Mailbox{Identity: "Alice", UserPrincipalName: "alice@contoso.com", RecipientTypeDetails: "UserMailbox"}},
		Options{TenantID: tenant, Token: "good"})
	t.Cleanup(s.Close)
	return s
}

func TestWireShape(t *testing.T) {
	s := newServer(t)
	r := post(t, s, "good", anchor, getAlice)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	for _, k := range []string{"@odata.context", "adminapi.warnings@odata.type", "@adminapi.warnings", "value"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("answer lacks %q: %s", k, r.raw)
		}
	}
	v := r.body["value"].([]any)[0].(map[string]any)
	if v["UserPrincipalName"] != "alice@contoso.com" || v["RecipientTypeDetails"] != "UserMailbox" || v["InPlaceHolds@odata.type"] != "#Collection(String)" {
		t.Errorf("value = %v", v)
	}
}

func TestRejections(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		name          string
		token, anchor string
		body          string
		status        int
	}{
		{"no bearer", "", anchor, getAlice, 401},
		{"wrong bearer", "bad", anchor, getAlice, 401},
		{"no anchor", "good", "", getAlice, 400},
		{"wrong anchor", "good", "APP:SystemMailbox{x}@other", getAlice, 400},
		{"unknown cmdlet", "good", anchor, `{"CmdletInput":{"CmdletName":"Remove-Mailbox","Parameters":{"Identity":"a"}}}`, 400},
		{"unsupported parameter", "good", anchor, `{"CmdletInput":{"CmdletName":"Set-Mailbox","Parameters":{"Identity":"alice@contoso.com","Type":"Shared","ForwardingAddress":"x"}}}`, 400},
		{"not found", "good", anchor, `{"CmdletInput":{"CmdletName":"Get-Mailbox","Parameters":{"Identity":"nobody@contoso.com"}}}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, tc.token, tc.anchor, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			e, ok := r.body["error"].(map[string]any)
			if !ok || e["code"] == "" {
				t.Errorf("no error body: %s", r.raw)
			}
			if tc.status == 404 {
				d := e["details"].([]any)[0].(map[string]any)["message"].(string)
				if !strings.Contains(d, "|The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found") {
					t.Errorf("detail = %q", d)
				}
			}
		})
	}
	if n := s.Count("get-mailbox"); n != 5 {
		t.Errorf("Count(get-mailbox) = %d, want 5", n)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	s.FailNext(1, 429, "7", "")
	r := post(t, s, "good", anchor, getAlice)
	if r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Errorf("FailNext: %d %q", r.status, r.header.Get("Retry-After"))
	}
	s.FailEvery(3, 503, "")
	var got []int
	for range 6 {
		got = append(got, post(t, s, "good", anchor, getAlice).status)
	}
	if fmt.Sprint(got) != "[200 200 503 200 200 503]" {
		t.Errorf("FailEvery(3): %v", got)
	}
	s.FailEvery(0, 0, "")
	if r := post(t, s, "good", anchor, getAlice); r.status != 200 {
		t.Errorf("after FailEvery(0): %d", r.status)
	}
}
