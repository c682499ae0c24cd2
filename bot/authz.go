package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

// ErrNoSlackGroup: Slack has no user group with that id
// (no_such_subteam). SlackDirectory.GroupMembers wraps it.
var ErrNoSlackGroup = errors.New("no Slack user group with that id")

// maxAsk bounds the people a requester who may not ask is told to ask.
const maxAsk = 5

// isGroup reports whether a configured id names a Slack user group
// (S…) rather than a user (U…, W…).
func isGroup(id string) bool { return strings.HasPrefix(id, "S") }

// mayRequest says whether user may ask for an operation of kind. With no
// Config.Requesters for kind (or only blank entries), everyone may.
// Otherwise user must be listed, or be a member of a listed user group,
// which is read from Slack on every call (nothing is cached: a change to a
// group counts at once). A listed user is found without asking Slack.
//
// When user may not, ask holds the Slack user ids to tell them to ask (the
// listed users, then the groups' members, without duplicates, at most
// maxAsk). A group Slack does not know (ErrNoSlackGroup) is logged and
// skipped. Any other failure to read a group is returned as err (with ok
// false and ask as far as it got) unless user is found in another group:
// the caller cannot tell whether user may, and should try again later.
func (s *Service) mayRequest(ctx context.Context, user string, kind mailbox.Kind) (ok bool, ask []string, err error) {
	var users, groups []string
	for _, id := range s.cfg.Requesters[kind] {
		id = strings.TrimSpace(id)
		switch {
		case id == "":
		case isGroup(id):
			if !slices.Contains(groups, id) {
				groups = append(groups, id)
			}
		case id == user:
			return true, nil, nil
		default:
			users = append(users, id)
		}
	}
	if len(users)+len(groups) == 0 {
		return true, nil, nil
	}
	add := func(ids ...string) {
		for _, id := range ids {
			if id != "" && id != user && !slices.Contains(ask, id) {
				ask = append(ask, id)
			}
		}
	}
	add(users...)
	var firstErr error
	for _, g := range groups {
		members, err := s.cfg.Slack.GroupMembers(ctx, g)
		switch {
		case errors.Is(err, ErrNoSlackGroup):
			s.log.WarnContext(ctx, "requester group not found in Slack: skipped; check the bot's configuration", "group", g, "op", kind, "err", err)
			continue
		case err != nil:
			s.log.WarnContext(ctx, "requester group lookup failed", "group", g, "op", kind, "user", user, "err", err)
			if firstErr == nil {
				firstErr = fmt.Errorf("may %s ask for %s: members of user group %s: %w", user, kind, g, err)
			}
			continue
		}
		if slices.Contains(members, user) {
			return true, nil, nil
		}
		add(members...)
	}
	if len(ask) > maxAsk {
		ask = ask[:maxAsk]
	}
	return false, ask, firstErr
}

// extraApprovers returns the approvers Config.ExtraApprovers names for
// kind, user groups expanded to their members (read from Slack on every
// call), in the configured order, without duplicates and never requester.
// A group that cannot be read is logged and skipped: the request still
// goes to the others.
func (s *Service) extraApprovers(ctx context.Context, kind mailbox.Kind, requester string) []string {
	var out []string
	add := func(ids ...string) {
		for _, id := range ids {
			if id != "" && id != requester && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	var seen []string
	for _, id := range s.cfg.ExtraApprovers[kind] {
		id = strings.TrimSpace(id)
		if !isGroup(id) {
			add(id)
			continue
		}
		if slices.Contains(seen, id) {
			continue
		}
		seen = append(seen, id)
		members, err := s.cfg.Slack.GroupMembers(ctx, id)
		if err != nil {
			s.log.WarnContext(ctx, "extra approvers: user group lookup failed: skipped", "group", id, "op", kind, "err", err)
			continue
		}
		add(members...)
	}
	return out
}

// mayAsk is mayRequest for a command of kind. Listing a mailbox's members
// (KindMembers) is for those who may grant or revoke, unless
// Config.Requesters names who may list them: then that list decides alone.
func (s *Service) mayAsk(ctx context.Context, user string, kind mailbox.Kind) (ok bool, ask []string, err error) {
	if kind != mailbox.KindMembers || slices.ContainsFunc(s.cfg.Requesters[kind], func(id string) bool { return strings.TrimSpace(id) != "" }) {
		return s.mayRequest(ctx, user, kind)
	}
	var errs []error
	for _, k := range []mailbox.Kind{mailbox.KindGrant, mailbox.KindRevoke} {
		ok, more, err := s.mayRequest(ctx, user, k)
		if ok {
			return true, nil, nil
		}
		errs = append(errs, err)
		for _, id := range more {
			if !slices.Contains(ask, id) && len(ask) < maxAsk {
				ask = append(ask, id)
			}
		}
	}
	return false, ask, errors.Join(errs...)
}
