package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/bot/storetest"
	"github.com/mailboxbot/mailboxbot/internal/redistest"
)

// auditEnv is the environment audit export reads: Redis alone.
func auditEnv(rdb *redis.Client, prefix string) func(string) string {
	o := rdb.Options()
	vars := map[string]string{
		"REDIS_URL":               fmt.Sprintf("redis://%s/%d", o.Addr, o.DB),
		"MAILBOXBOT_REDIS_PREFIX": prefix,
	}
	return func(k string) string { return vars[k] }
}

// exportLines runs `mailboxbot audit export args...` and decodes its lines.
func exportLines(t *testing.T, getenv func(string) string, args ...string) []auditLine {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"audit", "export"}, args...), getenv, &out, &errb); err != nil {
		t.Fatalf("audit export %v: %v\n%s", args, err, errb.String())
	}
	var lines []auditLine
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if want := fmt.Sprintf("%d audit entries written", len(lines)); !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	return lines
}

func TestAuditExport(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	getenv := auditEnv(rdb, prefix)
	s := redisstore.NewStore(rdb, prefix)

	// 1200 entries written over three days of January (more than two
	// pages): --since and --until pick by when they were written. (A stream
	// takes its entries in order: these first.)
	jan1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 1200 {
			at := jan1.Add(time.Duration(i) * 216 * time.Second) // 400 a day
			p.XAdd(ctx, &redis.XAddArgs{Stream: prefix + "audit", ID: fmt.Sprintf("%d-0", at.UnixMilli()),
				Values: []any{"request", fmt.Sprintf("old%d", i), "type", "created", "at", at.Format(time.RFC3339Nano)}})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// What the bot writes: a request created and approved, now.
	if err := s.Create(ctx, storetest.NewRequest("r1", "alice@contoso.com")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, "r1", storetest.Transition(bot.StatePending, bot.StateApproved, "U222", storetest.T0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	lines := exportLines(t, getenv)
	if len(lines) != 1202 {
		t.Fatalf("export of everything: %d lines, want 1202", len(lines))
	}
	lines = lines[1200:]
	want := auditLine{ID: lines[1].ID, At: storetest.T0.Add(time.Minute), Request: "r1", Mailbox: "alice@contoso.com", Op: "convert_to_shared",
		Type: "approved", Actor: "U222", From: "pending_approval", To: "approved"}
	if lines[1] != want || lines[0].Type != "created" {
		t.Errorf("lines:\n%+v\n%+v\nwant the second\n%+v", lines[0], lines[1], want)
	}

	day2 := exportLines(t, getenv, "--since", "2026-01-02", "--until", "2026-01-02")
	if len(day2) != 400 || day2[0].Request != "old400" || day2[399].Request != "old799" {
		t.Errorf("--since 2026-01-02 --until 2026-01-02: %d lines, %s to %s; want the 400 of that day", len(day2), day2[0].Request, day2[len(day2)-1].Request)
	}
	rfc := exportLines(t, getenv, "--since", "2026-01-01T00:00:00Z", "--until", "2026-01-01T00:36:00Z")
	if len(rfc) != 10 || rfc[9].Request != "old9" {
		t.Errorf("the first 36 minutes: %d lines", len(rfc))
	}
	if all := exportLines(t, getenv, "--since", "2025-12-31"); len(all) != 1202 {
		t.Errorf("--since 2025-12-31: %d lines, want 1202", len(all))
	}

	for _, args := range [][]string{
		{"--since", "yesterday"},
		{"--since", "2026-01-03", "--until", "2026-01-02"},
		{"--from", "2026-01-01"},
		{"extra"},
	} {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"audit", "export"}, args...), getenv, &out, &errb)
		if !errors.Is(err, errUsage) {
			t.Errorf("audit export %v: %v, want a usage error", args, err)
		}
	}
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"audit"}, getenv, &out, &errb); !errors.Is(err, errUsage) || !strings.Contains(errb.String(), "--since") {
		t.Errorf("audit alone: %v, %q", err, errb.String())
	}
	// Without Redis settings it says which to set.
	err := run(ctx, []string{"audit", "export"}, func(string) string { return "" }, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL is not set") || strings.Contains(err.Error(), "SLACK") {
		t.Errorf("without REDIS_URL: %v", err)
	}
}
