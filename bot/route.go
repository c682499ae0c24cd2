package bot

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Routing: who approves a request (the policy, the manager, the
// configured and extra approvers).

// route picks the approvers: the manager of the mailbox's owner when they
// have a Slack account and are not the requester, else the configured
// approvers other than the requester. why says why the manager was passed over.
func (s *Service) route(ctx context.Context, plan mailbox.Plan, requester, policy string) (ids []string, source, why string) {
	t := plan.Target
	conversion := plan.Op.Kind == mailbox.KindConvertToShared || plan.Op.Kind == mailbox.KindConvertToRegular
	switch {
	case policy == PolicyNone:
		return nil, PolicyNone, ""
	case policy == PolicyApprovers:
		why = words.ConfiguredDecide()
	case !conversion:
		var email string
		email, why = s.requestersManager(ctx, requester)
		if email != "" && plan.Op.Kind == mailbox.KindGrant && strings.EqualFold(email, plan.Op.Trustee) {
			email, why = "", words.ManagerIsTrustee()
		}
		if email != "" {
			t.ManagerEmail = email
			if id, err := s.cfg.Slack.UserIDByEmail(ctx, email); err == nil && id != requester {
				return []string{id}, "manager", ""
			} else if err == nil {
				why = words.OwnManager()
			} else {
				why = words.YourManagerNotInSlack(email)
			}
		}
	case t.Deleted:
		why = words.DeletedNoManager(t.UserPrincipalName)
	case t.ManagerEmail == "":
		why = words.OwnerHasNoManager(t.UserPrincipalName)
	default:
		id, err := s.cfg.Slack.UserIDByEmail(ctx, t.ManagerEmail)
		switch {
		case errors.Is(err, ErrNoSlackUser):
			why = words.ManagerNotInSlack(t.ManagerEmail)
		case err != nil:
			s.log.Warn("manager lookup in Slack failed", "mailbox", t.UserPrincipalName, "err", err)
			why = words.ManagerLookupFailed(t.ManagerEmail)
		case id == requester:
			why = words.RequesterIsManager()
		default:
			return []string{id}, "manager", ""
		}
	}
	for _, a := range s.cfg.Approvers {
		if a != requester && !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return ids, "configured", why
}

func routeNote(source, why string) string {
	if why == "" {
		return "approver: " + source
	}
	return "approver: " + source + " (" + why + ")"
}

// withExtraApprovers adds the configured extra approvers of kind to ids.
func (s *Service) withExtraApprovers(ctx context.Context, kind mailbox.Kind, requester string, ids []string) []string {
	for _, a := range s.extraApprovers(ctx, kind, requester) {
		if !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return ids
}

// requestersManager finds the requester's manager's e-mail, through their
// Slack e-mail and Entra ID; why says why not.
func (s *Service) requestersManager(ctx context.Context, requester string) (email, why string) {
	if s.cfg.People == nil {
		return "", words.NoManagerLookup()
	}
	mine, err := s.cfg.Slack.EmailOf(ctx, requester)
	if err != nil {
		return "", words.NoSlackEmail()
	}
	u, err := s.cfg.People.User(ctx, mine)
	if err != nil {
		return "", words.NotInEntra(mine)
	}
	m, err := s.cfg.People.Manager(ctx, u.ID)
	if err != nil {
		return "", words.YouHaveNoManager()
	}
	return m.Email(), ""
}
