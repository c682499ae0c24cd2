package graph

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/graph/graphtest"
)

// capture is a transport recording the request bodies the client puts on
// the wire, before the fake sees (and redacts) them.
type capture struct {
	next http.RoundTripper

	mu     sync.Mutex
	bodies []string
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		raw, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		plain := raw
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return nil, err
			}
			if plain, err = io.ReadAll(zr); err != nil {
				return nil, err
			}
		}
		c.mu.Lock()
		c.bodies = append(c.bodies, string(plain))
		c.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(raw))
	}
	return c.next.RoundTrip(r)
}

func (c *capture) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.bodies...)
}

// wireClient is a second client for srv whose request bodies are captured.
func wireClient(t *testing.T, srv *graphtest.Server, cfg Config) (*Client, *capture) {
	t.Helper()
	cp := &capture{next: srv.Client().Transport}
	cfg.BaseURL, cfg.Token, cfg.HTTPClient = srv.URL(), testToken, &http.Client{Transport: cp}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, cp
}

func (d *directory) user(id string) mailbox.User {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.users[id]
}

func (d *directory) assigned(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.assigns[id]
}

func (d *directory) sku(id string) mailbox.Sku {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.skus {
		if s.ID == id {
			return s
		}
	}
	return mailbox.Sku{}
}

func TestAssignLicenses(t *testing.T) {
	_, srv, dir := setup(t, Config{})
	c, wire := wireClient(t, srv, Config{})

	for _, tc := range []struct {
		name        string
		user        string
		add, remove []string
		body        string
		want        []mailbox.License
	}{
		{"add", obrien.ID, []string{skuE3}, nil,
			`{"addLicenses":[{"disabledPlans":[],"skuId":"` + skuE3 + `"}],"removeLicenses":[]}`,
			[]mailbox.License{{SkuID: skuE3}}},
		{"remove", alice.ID, nil, []string{skuE3},
			`{"addLicenses":[],"removeLicenses":["` + skuE3 + `"]}`,
			[]mailbox.License{{SkuID: skuEOP2, AssignedByGroup: groupID}}},
		{"both", bob.ID, []string{skuAddon}, []string{skuE3},
			`{"addLicenses":[{"disabledPlans":[],"skuId":"` + skuAddon + `"}],"removeLicenses":["` + skuE3 + `"]}`,
			[]mailbox.License{{SkuID: skuAddon}}},
	} {
		before := len(srv.Calls())
		if err := c.AssignLicenses(ctx(t), tc.user, tc.add, tc.remove); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		calls := srv.Calls()[before:]
		if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/users/"+tc.user+"/assignLicense" ||
			calls[0].Status != 200 || calls[0].Body != tc.body {
			t.Errorf("%s: calls = %+v\nwant POST with %s -> 200", tc.name, calls, tc.body)
		}
		if got := wire.got(); got[len(got)-1] != tc.body {
			t.Errorf("%s: sent %s\nwant %s", tc.name, got[len(got)-1], tc.body)
		}
		if got := dir.user(tc.user).Licenses; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: licenses = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got := dir.sku(skuE3).Consumed; got != 15 {
		t.Errorf("E3 consumed = %d, want 15", got)
	}
}

func TestAssignLicensesRefused(t *testing.T) {
	c, srv, dir := setup(t, Config{})
	dir.mu.Lock()
	dir.noUsage[bob.ID] = true
	dir.mu.Unlock()

	err := c.AssignLicenses(ctx(t), obrien.ID, []string{skuEOP2}, nil)
	want := &mailbox.RemoteError{Service: "graph", Op: "POST /users/" + obrien.ID + "/assignLicense", Status: 400,
		Code: "Request_BadRequest", Message: "Subscription with SKU " + skuEOP2 + " does not have any available licenses."}
	if re := remote(t, err); !reflect.DeepEqual(re, want) || re.Temporary() {
		t.Errorf("no free units: %+v\nwant %+v", re, want)
	}

	err = c.AssignLicenses(ctx(t), bob.ID, []string{skuE3}, nil)
	if re := remote(t, err); re.Status != 400 || re.Message != "License assignment cannot be done for user with invalid usage location." {
		t.Errorf("usage location: %+v", re)
	}

	err = c.AssignLicenses(ctx(t), "nobody@contoso.com", []string{skuE3}, nil)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("unknown user: err = %v, want ErrNotFound", err)
	}

	n := len(srv.Calls())
	if err := c.AssignLicenses(ctx(t), alice.ID, []string{"E3"}, nil); err == nil || !strings.Contains(err.Error(), `"E3" is not a GUID`) {
		t.Errorf("bad SKU id: err = %v", err)
	}
	if len(srv.Calls()) != n {
		t.Error("a bad SKU id reached Graph")
	}
	if n := dir.assigned(obrien.ID) + dir.assigned(bob.ID); n != 0 {
		t.Errorf("%d refused assignments were made", n)
	}
}

func TestAssignLicensesThrottledOnce(t *testing.T) {
	rec := &recorder{}
	c, srv, dir := setup(t, Config{Sleep: rec.sleep})
	srv.FailNext(1, 429, "4")
	if err := c.AssignLicenses(ctx(t), obrien.ID, []string{skuE3}, nil); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); !reflect.DeepEqual(got, []time.Duration{4 * time.Second}) {
		t.Errorf("waited %v, want the Retry-After of 4s", got)
	}
	calls := srv.Calls()
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 || calls[0].Body != calls[1].Body || calls[1].Body == "" {
		t.Errorf("calls = %+v, want the same body throttled then assigned", calls)
	}
	if dir.assigned(obrien.ID) != 1 || len(dir.user(obrien.ID).Licenses) != 1 || dir.sku(skuE3).Consumed != 15 {
		t.Errorf("assigned %d times, licenses %+v", dir.assigned(obrien.ID), dir.user(obrien.ID).Licenses)
	}
}

func TestSubscribedSkus(t *testing.T) {
	for _, pageSize := range []int{0, 2, 1} {
		c, srv, _ := setupWith(t, Config{}, graphtest.Options{PageSize: pageSize})
		got, err := c.SubscribedSkus(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tenantSkus) {
			t.Errorf("page size %d: SubscribedSkus = %+v\nwant %+v", pageSize, got, tenantSkus)
		}
		pages := map[int]int{0: 1, 2: 2, 1: 3}[pageSize]
		calls := srv.Calls()
		if len(calls) != pages {
			t.Fatalf("page size %d: %d calls, want %d", pageSize, len(calls), pages)
		}
		for i, call := range calls {
			if call.Method != "GET" || call.Path != "/subscribedSkus" || call.Status != 200 {
				t.Errorf("call %d = %+v", i, call)
			}
			if tok := call.Query.Get("$skiptoken"); (i == 0) != (tok == "") {
				t.Errorf("call %d: $skiptoken %q", i, tok)
			}
		}
	}
	// The mapping in words: free units, Exchange.
	if e3 := tenantSkus[0]; e3.Free() != 11 || !e3.HasExchange() {
		t.Errorf("E3: free %d, exchange %v", e3.Free(), e3.HasExchange())
	}
}

func TestGroupName(t *testing.T) {
	c, srv, _ := setup(t, Config{})
	name, err := c.GroupName(ctx(t), groupID)
	if err != nil || name != "Licensing - Exchange Plan 2" {
		t.Fatalf("GroupName = %q, %v", name, err)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != "/groups/"+groupID || calls[0].Query.Get("$select") != "displayName" {
		t.Errorf("calls = %+v", calls)
	}

	const unknown = "00000000-1111-2222-3333-444444444444"
	_, err = c.GroupName(ctx(t), unknown)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Fatalf("unknown group: err = %v, want ErrNotFound", err)
	}
	if re := remote(t, err); re.Status != 404 || re.Code != "Request_ResourceNotFound" || re.Op != "GET /groups/"+unknown {
		t.Errorf("unknown group: %+v", re)
	}
}
