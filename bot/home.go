package bot

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The App Home tab: what waits for a user's decision, their recent
// requests, and for the admins everyone's.

// Home tab list sizes.
const (
	homeMine     = 10 // the user's recent requests
	homeEveryone = 20 // everyone's, for admins
)

// HomeOpened publishes user's App Home tab: the requests waiting for their
// decision (with the buttons), their recent requests, and for the
// configured Admins everyone's recent requests. handlers calls it when
// Slack reports app_home_opened; refreshHomes calls it when a request
// changes state.
func (s *Service) HomeOpened(ctx context.Context, user string) error {
	h, err := s.home(ctx, user)
	if err != nil {
		return err
	}
	if err := s.cfg.Notifier.PublishHome(ctx, h); err != nil {
		return fmt.Errorf("publish home of %s: %w", user, err)
	}
	return nil
}

// home reads what user's Home tab shows.
func (s *Service) home(ctx context.Context, user string) (Home, error) {
	h := Home{User: user, Admin: slices.Contains(s.cfg.Admins, user), Now: s.cfg.Now()}
	var err error
	if h.Waiting, err = s.cfg.Store.List(ctx, ListQuery{Approver: user, Pending: true}); err != nil {
		return Home{}, fmt.Errorf("home of %s: requests waiting: %w", user, err)
	}
	h.Waiting, h.WaitingBatches = s.waitingBatches(ctx, awaiting(h.Waiting, user))
	if h.Mine, err = s.cfg.Store.List(ctx, ListQuery{Requester: user, Limit: homeMine}); err != nil {
		return Home{}, fmt.Errorf("home of %s: own requests: %w", user, err)
	}
	if h.Admin {
		if h.Everyone, err = s.cfg.Store.List(ctx, ListQuery{Limit: homeEveryone}); err != nil {
			return Home{}, fmt.Errorf("home of %s: everyone's requests: %w", user, err)
		}
	}
	return h, nil
}

// waitingBatches takes the requests of batches out of waiting: a batch is
// decided as one, so it is shown as one item with the batch's buttons. A
// batch that cannot be read shows nothing (its requests have no buttons of
// their own to offer).
func (s *Service) waitingBatches(ctx context.Context, waiting []*Request) ([]*Request, []HomeBatch) {
	var single []*Request
	var batches []HomeBatch
	for _, r := range waiting {
		if r.Batch == "" {
			single = append(single, r)
			continue
		}
		if slices.ContainsFunc(batches, func(hb HomeBatch) bool { return hb.Batch.ID == r.Batch }) || s.cfg.Batches == nil {
			continue
		}
		b, err := s.cfg.Batches.GetBatch(ctx, r.Batch)
		if err != nil {
			s.log.Warn("home: batch unreadable", "batch", r.Batch, "err", err)
			continue
		}
		batches = append(batches, HomeBatch{Batch: b, Requests: s.batchRequests(ctx, b)})
	}
	return single, batches
}

// JobHome republishes one user's Home tab (Job.User).
const JobHome JobType = "home"

// refreshHomes schedules a republish of the Home tab of r's requester and
// of each of its approvers, so that a tab left open shows r's new state
// (and loses buttons that no longer apply). Call it after a transition of
// r has been written to the Store: each Home is read afresh from the Store
// when the job runs, r only says whose. The changes of one batchDelay
// window share one job per user (queue ids deduplicate): a burst of
// requests costs each person one views.publish, not one per transition —
// which was 40% of the bot's work at 250 commands a second (issue 7).
// Errors are logged, never returned: a stale Home tab must not
// fail or retry the job that moved the request.
//
// The admins' "everyone" lists are not pushed here (that would be one
// views.publish per admin per transition); they refresh when an admin
// opens the tab, or when the admin is the requester or an approver.
func (s *Service) refreshHomes(ctx context.Context, r *Request) {
	users := make([]string, 0, 1+len(r.Approvers))
	for _, u := range append([]string{r.Requester}, r.Approvers...) {
		if u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	for _, u := range users {
		s.homeChanged(ctx, u, r.ID)
	}
}

// homeSkew is how far apart the replicas' clocks may be for homeChanged
// to trust that a window's Home job has not run yet.
const homeSkew = 500 * time.Millisecond

// homeChanged schedules the republish of user's Home tab at the end of
// the current batchDelay window. Once this process has queued a window's
// job for user, later changes in that window do not ask the queue again:
// the job runs after the window and reads the Home then. (Each time had
// cost a refused enqueue and a look at the task that refused it: 2% of
// serve's CPU at 250 commands a second, issue 7.) Other replicas' changes
// are deduplicated by the job id, as before.
func (s *Service) homeChanged(ctx context.Context, user, request string) {
	now := s.cfg.Now().UnixNano()
	bucket := now / int64(batchDelay)
	// Near the window's end, ask anyway: a worker whose clock runs ahead
	// may have run the job already.
	if last, ok := s.homeQueued.Load(user); ok && last.(int64) == bucket && now < (bucket+1)*int64(batchDelay)-int64(homeSkew) {
		return
	}
	j := Job{Type: JobHome, ID: fmt.Sprintf("home:%s:%d", user, bucket), User: user, At: time.Unix(0, (bucket+1)*int64(batchDelay))}
	if err := s.cfg.Queue.Enqueue(ctx, j); err != nil {
		s.log.Warn("home tab refresh not queued", "request", request, "user", user, "err", err)
		return
	}
	s.homeQueued.Store(user, bucket)
}

// handleHome runs a JobHome: a failed publish is logged, not retried (the
// next change or the user opening the tab publishes again).
func (s *Service) handleHome(ctx context.Context, user string) error {
	if err := s.HomeOpened(ctx, user); err != nil {
		s.log.Warn("home tab refresh failed", "user", user, "err", err)
	}
	return nil
}
