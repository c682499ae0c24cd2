package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
)

const auditUsage = `Usage:
  mailboxbot audit export [--since TIME] [--until TIME]

Writes the audit log (every event of every request: created, approved,
each step, succeeded ...) to stdout as JSON lines, oldest first, for a SIEM
or an auditor. One line per event:
  {"id":"1767225600000-0","at":"2026-01-01T00:00:00Z","request":"req_...",
   "mailbox":"alice@contoso.com","op":"convert_to_shared","type":"approved",
   "actor":"U0MARIA","from":"pending_approval","to":"approved","note":""}

TIME is RFC 3339 (2026-01-31T17:00:00Z) or a date (2026-01-31, UTC).
--since  the first entry written at or after it (default: the first)
--until  entries written before it (default: up to the last); a date includes
         that day

It reads only Redis (REDIS_URL or the Sentinel settings, and
MAILBOXBOT_REDIS_PREFIX, as serve does). serve trims the audit log after
MAILBOXBOT_RETENTION (400 days by default): export what must be kept
longer before then, for example monthly.
`

// auditCmd runs `mailboxbot audit ...`.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(stderr, auditUsage)
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return fmt.Errorf("%w: audit export is the only audit command", errUsage)
	}
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	since := fs.String("since", "", "")
	until := fs.String("until", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, auditUsage)
			return nil
		}
		fmt.Fprint(stderr, auditUsage)
		return fmt.Errorf("%w: audit export: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, auditUsage)
		return fmt.Errorf("%w: audit export takes no arguments besides --since and --until, got %q", errUsage, fs.Arg(0))
	}
	from, err := auditTime("--since", *since, false)
	if err != nil {
		return err
	}
	to, err := auditTime("--until", *until, true)
	if err != nil {
		return err
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return fmt.Errorf("%w: --until (%s) must be after --since (%s)", errUsage, to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	cfg, err := loadConfigAbout(getenv, "REDIS")
	if err != nil {
		return err
	}
	rdb, raddr, err := newRedis(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	store := redisstore.NewStore(rdb, cfg.storePrefix())
	n := 0
	err = store.AuditRange(ctx, from, to, func(e redisstore.AuditEntry) error {
		n++
		return enc.Encode(auditLine{ID: e.StreamID, At: e.At, Request: e.Request, Mailbox: e.Mailbox, Op: e.Op,
			Type: e.Type, Actor: e.Actor, From: string(e.From), To: string(e.To), Note: e.Note})
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("audit export from Redis at %s: %w (after %d entries)", raddr, err, n)
	}
	fmt.Fprintf(stderr, "mailboxbot: %d audit entries written\n", n)
	return nil
}

// auditLine is one line of `audit export`.
type auditLine struct {
	ID      string    `json:"id"` // the stream entry id: when it was written, in ms, and a sequence
	At      time.Time `json:"at"` // when the event happened, by the bot's clock
	Request string    `json:"request"`
	Mailbox string    `json:"mailbox"`
	Op      string    `json:"op"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Note    string    `json:"note"`
}

// auditTime reads a --since or --until value: RFC 3339, or a date in UTC;
// a date given as the end means the end of that day. "" gives zero.
func auditTime(flagName, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: give a date (2026-01-31) or an RFC 3339 time (2026-01-31T17:00:00Z)", errUsage, flagName, v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
