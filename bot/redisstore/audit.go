package redisstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mailboxbot/mailboxbot/bot"
)

// AuditEntry is one entry of the audit stream: one event of a request's
// history, with the request it belongs to. It holds nothing secret: the
// event's fields and the request's id, mailbox and operation kind.
type AuditEntry struct {
	StreamID string // the stream entry id, "ms-seq"
	Request  string
	Mailbox  string
	Op       string // the operation kind, e.g. "convert_to_shared"
	Type     string // the event type: "created", "approved", ...
	Actor    string
	From     bot.State
	To       bot.State
	Note     string
	At       time.Time
}

// audit queues one XADD per event on p.
func (s *Store) audit(ctx context.Context, p redis.Pipeliner, r *bot.Request, events []bot.Event) {
	for _, e := range events {
		p.XAdd(ctx, &redis.XAddArgs{
			Stream: s.auditKey(),
			Values: []any{
				"request", r.ID,
				"mailbox", r.Op.Mailbox,
				"op", string(r.Op.Kind),
				"type", e.Type,
				"actor", e.Actor,
				"from", string(e.From),
				"to", string(e.To),
				"note", e.Note,
				"at", e.At.UTC().Format(time.RFC3339Nano),
			},
		})
	}
}

// auditPage is how many stream entries AuditLog reads per round trip.
const auditPage = 500

// AuditLog returns the most recent count entries of the audit stream, oldest
// first; only those of requestID when it is not empty. count <= 0 returns
// them all.
func (s *Store) AuditLog(ctx context.Context, requestID string, count int64) ([]AuditEntry, error) {
	var out []AuditEntry
	end := "+"
	for {
		msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(), end, "-", auditPage).Result()
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		for _, m := range msgs {
			e := decodeAudit(m)
			if requestID != "" && e.Request != requestID {
				continue
			}
			out = append(out, e)
			if count > 0 && int64(len(out)) >= count {
				break
			}
		}
		if len(msgs) < auditPage || (count > 0 && int64(len(out)) >= count) {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID
	}
	slices.Reverse(out)
	return out, nil
}

func decodeAudit(m redis.XMessage) AuditEntry {
	str := func(k string) string {
		v, _ := m.Values[k].(string)
		return v
	}
	e := AuditEntry{
		StreamID: m.ID,
		Request:  str("request"),
		Mailbox:  str("mailbox"),
		Op:       str("op"),
		Type:     str("type"),
		Actor:    str("actor"),
		From:     bot.State(str("from")),
		To:       bot.State(str("to")),
		Note:     str("note"),
	}
	e.At, _ = time.Parse(time.RFC3339Nano, str("at"))
	return e
}

// AuditRange calls fn with each audit entry written from since up to, not
// including, until, oldest first, reading the stream a page (XRANGE
// COUNT auditPage) at a time. A zero since starts at the first entry; a
// zero until ends at the last. An error of fn stops it and is returned.
func (s *Store) AuditRange(ctx context.Context, since, until time.Time, fn func(AuditEntry) error) error {
	start, end := "-", "+"
	if !since.IsZero() {
		start = strconv.FormatInt(max(since.UnixMilli(), 0), 10)
	}
	if !until.IsZero() {
		if until.UnixMilli() <= max(since.UnixMilli(), 0) {
			return nil
		}
		end = strconv.FormatInt(until.UnixMilli()-1, 10) // every entry of that millisecond
	}
	for {
		msgs, err := s.rdb.XRangeN(ctx, s.auditKey(), start, end, auditPage).Result()
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		for _, m := range msgs {
			if err := fn(decodeAudit(m)); err != nil {
				return err
			}
		}
		if len(msgs) < auditPage {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}
