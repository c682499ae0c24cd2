package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Guidance: when a request that gave rights succeeds, each person who got
// one is told, in a direct message, how to use the mailbox (issue 16).
// Only the rights its grant steps really gave (done, not skipped or
// failed) count; a right given to a group reaches each of its members
// (nested groups included), who are told it came through the group, since
// Outlook does not add such a mailbox by itself (rule 14). Who was told is
// recorded in the request (Request.Guided) as each message goes, so a
// finish reported again (a job run again after a crash) tells nobody
// twice; a crash between a message and its record may repeat that one.
// A message Slack refuses is tried again in a later round (guidanceRound).

// Guider sends a person the guidance on a mailbox (handlers/notify's
// Slack does); a Notifier that is not one sends none.
type Guider interface {
	Guide(ctx context.Context, user string, a words.Access) error
}

// grantee is a person who got rights on one mailbox by a request.
type grantee struct {
	// key is what Request.Guided records: the lower-case user principal
	// name, followed by " on " and the mailbox for a right on another
	// mailbox than the request's (Step.On: an undo gives a leaver's rights
	// back there), so that each mailbox is told of once.
	key    string
	p      mailbox.Principal
	access words.Access
}

// grantees lists who got which rights on which mailbox by r's done grant
// steps, each person once per mailbox.
func (s *Service) grantees(ctx context.Context, r *Request) ([]grantee, error) {
	var out []grantee
	for _, st := range r.Steps {
		if st.Status != mailbox.Done {
			continue
		}
		switch st.Name {
		case mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs, mailbox.StepGrantSendOnBehalf:
		default:
			continue
		}
		ps, err := s.cfg.Planner.Beneficiaries(ctx, mailbox.Plan{Op: mailbox.Operation{Kind: mailbox.KindGrant, Trustee: st.Arg}})
		if err != nil {
			return nil, err
		}
		mbx, name := r.Op.Mailbox, r.Plan.Target.DisplayName
		if st.On != "" {
			mbx, name = st.On, ""
		}
		for _, p := range ps {
			key := strings.ToLower(p.UserPrincipalName)
			if st.On != "" {
				key += " on " + strings.ToLower(st.On)
			}
			i := slices.IndexFunc(out, func(g grantee) bool { return g.key == key })
			if i < 0 {
				out = append(out, grantee{key: key, p: p, access: words.Access{Mailbox: mbx, Name: name, RequestID: r.ID}})
				i = len(out) - 1
			}
			a := &out[i].access
			direct := p.Matches(p.Via) // granted in their own name, not through a group
			if !direct && a.Via == "" {
				a.Via = p.Via
			}
			switch st.Name {
			case mailbox.StepGrantFullAccess:
				a.FullAccess = true
				a.AutoMapping = a.AutoMapping || direct && !st.NoAutoMapping
			case mailbox.StepGrantSendAs:
				a.SendAs = true
			case mailbox.StepGrantSendOnBehalf:
				a.SendOnBehalf = true
			}
		}
	}
	return out, nil
}

// guide tells each person who got rights by r, and not told yet, how to
// use the mailbox, recording each in r. It returns the addresses of those
// Slack does not know, for the requester's report. Nothing here fails the
// request: a fault is logged, and the rest is sent when the finish is
// reported again.
func (s *Service) guide(ctx context.Context, r *Request) (unreached []string) {
	g, ok := s.cfg.Notifier.(Guider)
	if !ok || r.GuidanceDone || r.State != StateSucceeded || r.Op.Options.DryRun {
		return nil
	}
	log := s.log.With("request", r.ID, "mailbox", r.Op.Mailbox)
	people, err := s.grantees(ctx, r)
	if err != nil {
		log.WarnContext(ctx, "guidance: who got rights could not be found out; none sent", "err", err)
		return nil
	}
	complete := true
	for _, p := range people {
		if slices.Contains(r.Guided, p.key) {
			continue
		}
		id, err := s.slackIDOf(ctx, p.p)
		switch {
		case errors.Is(err, ErrNoSlackUser):
			unreached = append(unreached, p.p.UserPrincipalName)
			log.InfoContext(ctx, "guidance: nobody in Slack has the address", "user", p.p.UserPrincipalName)
		case err != nil:
			log.WarnContext(ctx, "guidance: Slack lookup failed", "user", p.p.UserPrincipalName, "err", err)
			complete = false
			continue
		default:
			if err := g.Guide(ctx, id, p.access); err != nil {
				log.WarnContext(ctx, "guidance: direct message failed", "user", id, "err", err)
				complete = false
				continue
			}
		}
		if r2, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
			if !slices.Contains(r.Guided, p.key) {
				r.Guided = append(r.Guided, p.key)
			}
			return nil
		}); err == nil {
			r = r2
		} else {
			log.ErrorContext(ctx, "guidance: recording who was told failed", "user", p.p.UserPrincipalName, "err", err)
			complete = false
		}
	}
	s.guidanceRound(ctx, r, complete)
	return unreached
}

// guidanceRound records the end of a round of guidance: done when
// complete; else another round is queued (the run job again, which sends
// what is missing), at most StepRetries rounds in all, after which the
// rest is given up and logged.
func (s *Service) guidanceRound(ctx context.Context, r *Request, complete bool) {
	log := s.log.With("request", r.ID, "mailbox", r.Op.Mailbox)
	tries := 0
	if _, err := s.cfg.Store.Update(ctx, r.ID, func(r *Request) error {
		r.GuidanceTries++
		tries = r.GuidanceTries
		r.GuidanceDone = complete || r.GuidanceTries >= s.cfg.StepRetries
		return nil
	}); err != nil {
		log.ErrorContext(ctx, "guidance: recording the round failed", "err", err)
		return
	}
	switch {
	case complete:
	case tries >= s.cfg.StepRetries:
		log.ErrorContext(ctx, "guidance: given up for those not reached", "rounds", tries)
	default:
		j := Job{Type: JobRun, ID: fmt.Sprintf("guide:%s:%d", r.ID, tries), RequestID: r.ID, Seq: r.RunSeq,
			At: s.cfg.Now().Add(s.backoff(s.cfg.RetryDelay, tries))}
		if err := s.cfg.Queue.Enqueue(ctx, j); err != nil {
			log.ErrorContext(ctx, "guidance: queueing another round failed", "err", err)
		}
	}
}

// slackIDOf finds p in Slack by mail, else by user principal name.
func (s *Service) slackIDOf(ctx context.Context, p mailbox.Principal) (string, error) {
	var err error = ErrNoSlackUser
	for _, a := range []string{p.Mail, p.UserPrincipalName} {
		if a == "" {
			continue
		}
		var id string
		if id, err = s.cfg.Slack.UserIDByEmail(ctx, strings.ToLower(a)); err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNoSlackUser) {
			return "", err
		}
	}
	return "", err
}

// doneHeadline is the requester's report of a finished request, with
// whom guidance could not reach.
func doneHeadline(r *Request, unreached []string) string {
	h := words.Done(r.ID, r.Op)
	if len(unreached) > 0 {
		h += "\n" + words.GuidanceUnreached(unreached)
	}
	return h
}
