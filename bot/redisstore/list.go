package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
)

// Limits of List.
const (
	listDefault = 20  // ListQuery.Limit 0
	listMax     = 100 // a larger Limit is cut to this
	// listPage is how many ids a filtered List reads per round trip: a
	// filter may drop most of them (an approver's long-decided requests).
	listPage = 200
)

// listScore is the score of a request in the List indexes: its creation
// time in seconds, to the millisecond, so that newer sorts higher.
func listScore(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// List returns requests newest first (by CreatedAt; ties by id, descending).
// With q.Requester it reads that user's index, else with q.Approver the
// index of the requests that user approves, else everyone's; when both are
// set a request must match both. q.Pending keeps only those still waiting
// for a decision; with a user it reads that user's open set (history.go),
// so that what it costs follows what is not finished, not the history.
// q.Limit is 20 when 0 and at most 100.
//
// Each round trip reads a page of ids (ZREVRANGE) and then their requests
// (one MGET). An id whose request is gone is skipped.
func (s *Store) List(ctx context.Context, q bot.ListQuery) ([]*bot.Request, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = listDefault
	}
	limit = min(limit, listMax)
	key := s.recentKey()
	switch {
	case q.Pending && q.Approver != "":
		key = s.openApproverKey(q.Approver)
	case q.Pending && q.Requester != "":
		key = s.openRequesterKey(q.Requester)
	case q.Requester != "":
		key = s.requesterKey(q.Requester)
	case q.Approver != "":
		key = s.approverKey(q.Approver)
	}
	keep := func(r *bot.Request) bool {
		return (!q.Pending || r.State == bot.StatePending) &&
			(q.Requester == "" || r.Requester == q.Requester) &&
			(q.Approver == "" || r.IsApprover(q.Approver))
	}
	page := int64(limit)
	if q.Pending || (q.Requester != "" && q.Approver != "") {
		page = listPage
	}
	out := []*bot.Request{}
	for start := int64(0); len(out) < limit; start += page {
		ids, err := s.rdb.ZRevRange(ctx, key, start, start+page-1).Result()
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = s.reqKey(id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		for i, v := range vals {
			data, ok := v.(string)
			if !ok {
				continue // deleted since it was indexed
			}
			var r bot.Request
			if err := json.Unmarshal([]byte(data), &r); err != nil {
				return nil, fmt.Errorf("list requests: decode request %s: %w", ids[i], err)
			}
			if keep(&r) {
				out = append(out, &r)
				if len(out) == limit {
					break
				}
			}
		}
		if int64(len(ids)) < page {
			break
		}
	}
	return out, nil
}
