package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
)

// clicksBench: requests pending with two approvers each, then clicks
// Approve clicks at once, alternating the two approvers, spread over the
// replicas. Exactly one click per request decides; every other is told who
// decided.
func clicksBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("clicks", flag.ContinueOnError)
	n := fs.Int("requests", 100, "pending requests")
	clicks := fs.Int("clicks", 1000, "concurrent Approve clicks")
	replicas := fs.Int("replicas", 3, "mailboxbot serve processes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	fmt.Printf("clicks: %d concurrent Approve clicks by 2 approvers on %d pending requests over %d replicas\n", *clicks, *n, *replicas)
	c, err := newCluster(ctx, clusterConfig{Users: *n, Replicas: *replicas,
		Env: map[string]string{"MAILBOXBOT_APPROVERS": approver + "," + approver2, "MAILBOXBOT_VERIFY_DELAY": "1s", "LOG_LEVEL": "warn"}})
	if err != nil {
		return err
	}
	defer c.close()
	addrs := make([]string, *n)
	for i := range addrs {
		addrs[i] = userUPN(i)
	}
	if err := ask(ctx, c, addrs, 16); err != nil {
		return err
	}
	asks := map[string]map[string]slacktest.Entry{}
	for _, who := range []string{approver, approver2} {
		if asks[who], err = approvals(ctx, c.world.Slack, who, *n); err != nil {
			return err
		}
	}
	ids := slices.Sorted(maps.Keys(asks[approver]))
	if err := c.settle(ctx); err != nil {
		return err
	}

	// Every click is built before the first is sent, then all go at once.
	shots := make([]shot, *clicks)
	for i := range shots {
		who := []string{approver, approver2}[i%2]
		if shots[i], err = clickShot(c.world.Slack, who, asks[who][ids[i/2%len(ids)]], "approve"); err != nil {
			return err
		}
	}
	start := time.Now()
	bad := len(sendAll(ctx, c, shots, 0, nil))
	fmt.Printf("%d clicks answered in %s, %d not 200\n", *clicks, time.Since(start).Round(time.Millisecond), bad)

	counts, _, err := c.waitDone(ctx, ids, start)
	if err != nil {
		return err
	}
	// Every losing click gets its answer through its response_url.
	told := func() int {
		k := 0
		for _, e := range c.world.Slack.Transcript() {
			if e.Kind == slacktest.KindEphemeral && strings.Contains(e.Text, "was already approved by") {
				k++
			}
		}
		return k
	}
	want := *clicks - len(ids)
	deadline := time.Now().Add(time.Minute)
	for told() < want && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // and no more than that
	setMailbox := c.world.Exchange.Count("Set-Mailbox")
	once, twice := c.changedOnce(addrs)
	fmt.Printf("requests: %v\nSet-Mailbox calls: %d; mailboxes changed exactly once in each way: %d of %d; more than once: %v\n",
		counts, setMailbox, once, len(addrs), twice)
	fmt.Printf("clicks told who decided: %d (want %d)\n", told(), want)
	health := c.dead()
	fmt.Println("replicas at the end:", health)
	if counts[bot.StateSucceeded] != len(ids) || setMailbox != len(ids) || once != len(addrs) || told() != want || bad > 0 || health != "every replica runs" {
		return fmt.Errorf("the clicks did not come out as exactly one execution per request")
	}
	return nil
}
