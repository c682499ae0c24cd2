package bot

// Routing: who approves a request (the policy, the manager, the
// configured and extra approvers).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/mailbox"
)

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
		why = "the configured approvers decide this kind of request"
	case !conversion:
		var email string
		email, why = s.requestersManager(ctx, requester)
		if email != "" && plan.Op.Kind == mailbox.KindGrant && strings.EqualFold(email, plan.Op.Trustee) {
			email, why = "", "your manager is the one who would get the access"
		}
		if email != "" {
			t.ManagerEmail = email
			if id, err := s.cfg.Slack.UserIDByEmail(ctx, email); err == nil && id != requester {
				return []string{id}, "manager", ""
			} else if err == nil {
				why = "you are your own manager"
			} else {
				why = fmt.Sprintf("your manager, %s, has no Slack account", email)
			}
		}
	case t.Deleted:
		why = fmt.Sprintf("%s is a deleted account, whose manager cannot be read", t.UserPrincipalName)
	case t.ManagerEmail == "":
		why = fmt.Sprintf("%s has no manager in Microsoft Entra ID", t.UserPrincipalName)
	default:
		id, err := s.cfg.Slack.UserIDByEmail(ctx, t.ManagerEmail)
		switch {
		case errors.Is(err, ErrNoSlackUser):
			why = fmt.Sprintf("the manager, %s, has no Slack account", t.ManagerEmail)
		case err != nil:
			s.log.Warn("manager lookup in Slack failed", "mailbox", t.UserPrincipalName, "err", err)
			why = fmt.Sprintf("I couldn't look up the manager, %s, in Slack", t.ManagerEmail)
		case id == requester:
			why = "you are the owner's manager and cannot approve your own request"
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
		return "", "managers cannot be looked up"
	}
	mine, err := s.cfg.Slack.EmailOf(ctx, requester)
	if err != nil {
		return "", "I couldn't read your e-mail address in Slack"
	}
	u, err := s.cfg.People.User(ctx, mine)
	if err != nil {
		return "", fmt.Sprintf("your address %s is not a user in Microsoft Entra ID", mine)
	}
	m, err := s.cfg.People.Manager(ctx, u.ID)
	if err != nil {
		return "", "you have no manager in Microsoft Entra ID"
	}
	return m.Email(), ""
}
