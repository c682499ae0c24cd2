package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

// shot is one Slack request: a path on the bot and its unsigned body. It
// is signed when it is sent, as Slack signs at delivery.
type shot struct {
	Path string `json:"path"`
	Body []byte `json:"body"`
}

func commandShot(s *slacktest.Server, user, text string) shot {
	return shot{"/slack/commands", s.CommandBody(user, "/convert-mailbox", text)}
}

func clickShot(s *slacktest.Server, user string, m slacktest.Entry, action string) (shot, error) {
	body, err := s.ClickBody(user, m, action)
	return shot{"/slack/interactions", body}, err
}

// newClient is an HTTP client that keeps enough idle connections for the
// rate, as Slack's delivery keeps connections open.
func newClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// send signs sh at this moment with secret and POSTs it to base.
func send(ctx context.Context, hc *http.Client, base, secret string, sh shot) (int, []byte, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+sh.Path, bytes.NewReader(sh.Body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", handlers.Sign(secret, ts, sh.Body))
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

// result is one fixed-rate run.
type result struct {
	latencies []time.Duration // of the answered requests, sorted
	failed    int             // no answer, or not 200
	achieved  float64         // answered requests a second
}

// fire sends shots at rate a second, open loop: request i is due at
// start + i/rate whether or not earlier ones were answered, and its
// latency counts from when it was due, so a stalled server is not hidden
// by a stalled generator.
func fire(ctx context.Context, hc *http.Client, bases []string, secret string, shots []shot, rate float64) result {
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	lastDone := time.Time{}
	start := time.Now()
	for i, sh := range shots {
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := send(ctx, hc, bases[i%len(bases)], secret, sh)
			done := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil || status != http.StatusOK {
				res.failed++
				return
			}
			res.latencies = append(res.latencies, done.Sub(due))
			if done.After(lastDone) {
				lastDone = done
			}
		}()
	}
	wg.Wait()
	slices.Sort(res.latencies)
	if n := len(res.latencies); n > 0 {
		res.achieved = float64(n) / lastDone.Sub(start).Seconds()
	}
	return res
}

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func (r result) max() time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[len(r.latencies)-1]
}

func (r result) String() string {
	return fmt.Sprintf("p50 %7s  p99 %7s  max %7s  rate %6.1f/s  failed %d",
		ms(r.pct(0.50)), ms(r.pct(0.99)), ms(r.max()), r.achieved, r.failed)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// approvals waits until who has n approval messages (with an Approve
// button) in its direct messages, and returns them by request id. It gives
// up when none came for two minutes.
func approvals(ctx context.Context, s *slacktest.Server, who string, n int) (map[string]slacktest.Entry, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	seen, progress := 0, time.Now()
	for {
		found := map[string]slacktest.Entry{}
		for _, e := range s.Transcript() {
			if e.Kind != slacktest.KindMessage || e.Channel != "D"+who {
				continue
			}
			// The button carries the request id and the plan's fingerprint.
			if v := buttonValue(e, "approve"); v != "" {
				id, _ := bot.ParseButtonValue(v)
				found[id] = e
			}
		}
		if len(found) >= n {
			return found, nil
		}
		if len(found) > seen {
			seen, progress = len(found), time.Now()
		} else if time.Since(progress) > 2*time.Minute {
			cancel(fmt.Errorf("none came for two minutes; see the replicas' logs"))
		}
		select {
		case <-ctx.Done():
			return found, fmt.Errorf("%d of %d approval messages to %s arrived: %w", len(found), n, who, context.Cause(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// buttonValue is the value of the button with actionID on e, or "".
func buttonValue(e slacktest.Entry, actionID string) string {
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if json.Unmarshal(e.Blocks, &blocks) != nil {
		return ""
	}
	for _, b := range blocks {
		for _, el := range b.Elements {
			if b.Type == "actions" && el.ActionID == actionID {
				return el.Value
			}
		}
	}
	return ""
}

// sendAll sends the shots conc at a time (all at once when conc <= 0),
// shot i to replica i mod n, and returns one error per shot that was not
// answered 200 or that check refused (check may be nil).
func sendAll(ctx context.Context, c *cluster, shots []shot, conc int, check func(i int, body []byte) error) []error {
	if conc <= 0 {
		conc = len(shots)
	}
	hc := newClient()
	sem := make(chan struct{}, conc)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for i, sh := range shots {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			status, body, err := send(ctx, hc, c.replicas[i%len(c.replicas)].url(), secret, sh)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("answered %d %s", status, body)
			}
			if err == nil && check != nil {
				err = check(i, body)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// ask sends a /convert-mailbox command for each address, at most conc at a
// time, spread over the replicas.
func ask(ctx context.Context, c *cluster, addrs []string, conc int) error {
	shots := make([]shot, len(addrs))
	for i, a := range addrs {
		shots[i] = commandShot(c.world.Slack, requester, a)
	}
	errs := sendAll(ctx, c, shots, conc, func(i int, body []byte) error {
		if !strings.Contains(string(body), "Checking") {
			return fmt.Errorf("command for %s answered %s", addrs[i], body)
		}
		return nil
	})
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
