package bot

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Routing: who approves a request (the policy chain, the manager, the
// owners, the configured and extra approvers), never anyone who gains
// access by it (rule 16).

// ErrBeneficiary: the clicker would get access by the request they try to
// approve (rule 16; isBeneficiary, words.BeneficiaryApproval).
var ErrBeneficiary = errors.New("the approver gains access by the request")

// sourceOf is the approver source of each policy element.
var sourceOf = map[string]string{PolicyManager: SourceManager, PolicyOwners: SourceOwners, PolicyApprovers: SourceConfigured}

// routing is who approves a request, and why.
type routing struct {
	ids    []string
	source string
	// why says why the first choice of the policy was passed over.
	why string
	// gainers: the people who gain access.
	gainers []mailbox.Principal
	// unknown: who gains access could not be found out; nobody is asked.
	unknown bool
	// excluded: someone was passed over because they gain access.
	excluded bool
	// escalated: the configured approvers added to make up the
	// approvals required (enoughApprovers).
	escalated []string
}

// routeRequest picks the approvers of plan for requester. Each element of
// policy is tried in turn (PolicyManager: the manager of the mailbox's
// owner for a conversion, else the requester's; PolicyOwners: the people
// holding Full Access on the mailbox directly; PolicyApprovers: the
// configured approvers); the first that finds someone decides, and the
// configured approvers are asked when none does. Nobody is chosen who is
// the requester or gains access by the change (rule 16). With extra, the
// extra approvers of the kind are added, under the same rule.
func (s *Service) routeRequest(ctx context.Context, plan mailbox.Plan, requester, policy string, extra bool) routing {
	if policy == PolicyNone {
		return routing{source: PolicyNone}
	}
	gainers, err := s.beneficiaries(ctx, plan)
	if err != nil {
		s.log.WarnContext(ctx, "who gains access: lookup failed; nobody is asked", "mailbox", plan.Op.Mailbox, "op", plan.Op.Kind, "err", err)
		return routing{unknown: true, why: words.AccessUnknown()}
	}
	return s.routeWith(ctx, plan, gainers, requester, policy, extra)
}

// routeWith is routeRequest with who gains access already known: for a
// batch, everyone who gains access through any of its mailboxes
// (batchGainers).
func (s *Service) routeWith(ctx context.Context, plan mailbox.Plan, gainers []mailbox.Principal, requester, policy string, extra bool) routing {
	rt := routing{gainers: gainers}
	var whys []string
	steps := policySteps(policy)
	if !slices.Contains(steps, PolicyApprovers) {
		steps = append(steps, PolicyApprovers)
	}
	for _, p := range steps {
		var ids []string
		var why string
		switch p {
		case PolicyManager:
			ids, why = s.managerApprover(ctx, plan, requester, &rt)
		case PolicyOwners:
			ids, why = s.ownerApprovers(ctx, plan, requester, &rt)
		case PolicyApprovers:
			if len(whys) == 0 && steps[0] == PolicyApprovers {
				whys = append(whys, words.ConfiguredDecide())
			}
			ids = s.eligible(ctx, s.cfg.Approvers, requester, &rt, &whys)
		}
		if why != "" {
			whys = append(whys, why)
		}
		if len(ids) > 0 {
			rt.ids, rt.source = ids, sourceOf[p]
			break
		}
	}
	if rt.source == "" {
		rt.source = SourceConfigured
	}
	if rt.source != SourceConfigured {
		whys = nil // only a decision left to the configured approvers is explained (ApproverNote)
	}
	rt.why = strings.Join(whys, "; ")
	if extra {
		rt.ids = s.addExtras(ctx, plan.Op.Kind, requester, &rt, rt.ids)
	}
	return rt
}

// eligible is ids without the requester and without those who gain
// access, each once; why each was passed over is added to whys.
func (s *Service) eligible(ctx context.Context, ids []string, requester string, rt *routing, whys *[]string) []string {
	var out []string
	for _, id := range ids {
		if id == "" || id == requester || slices.Contains(out, id) {
			continue
		}
		if via, ok := s.gainsAccess(ctx, id, "", rt.gainers); ok {
			rt.excluded = true
			if whys != nil {
				*whys = append(*whys, words.GainsAccess(words.UserGainsAccess(id), via))
			}
			continue
		}
		out = append(out, id)
	}
	return out
}

// managerApprover is the manager PolicyManager names: for a conversion the
// owner's, else the requester's, when they have a Slack account, are not
// the requester and gain no access; why says why not.
func (s *Service) managerApprover(ctx context.Context, plan mailbox.Plan, requester string, rt *routing) ([]string, string) {
	t := plan.Target
	conversion := plan.Op.Kind == mailbox.KindConvertToShared || plan.Op.Kind == mailbox.KindConvertToRegular
	who, email := words.YourManager(), ""
	switch {
	case !conversion:
		var why string
		if email, why = s.requestersManager(ctx, requester); email == "" {
			return nil, why
		}
	case t.Deleted:
		return nil, words.DeletedNoManager(t.UserPrincipalName)
	case t.ManagerEmail == "":
		return nil, words.OwnerHasNoManager(t.UserPrincipalName)
	default:
		who, email = words.OwnersManager(), t.ManagerEmail
	}
	id, err := s.cfg.Slack.UserIDByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrNoSlackUser) && !conversion:
		return nil, words.YourManagerNotInSlack(email)
	case errors.Is(err, ErrNoSlackUser):
		return nil, words.ManagerNotInSlack(email)
	case err != nil:
		s.log.Warn("manager lookup in Slack failed", "mailbox", plan.Op.Mailbox, "err", err)
		return nil, words.ManagerLookupFailed(email)
	case id == requester && !conversion:
		return nil, words.OwnManager()
	case id == requester:
		return nil, words.RequesterIsManager()
	}
	if via, ok := s.gainsAccess(ctx, id, email, rt.gainers); ok {
		rt.excluded = true
		return nil, words.GainsAccess(who, via)
	}
	return []string{id}, ""
}

// ownerApprovers are the people PolicyOwners names: those who hold Full
// Access on the mailbox through a direct grant (a group is no Slack user),
// matched to Slack users by e-mail, other than the requester and those
// who gain access; why says why there are none.
func (s *Service) ownerApprovers(ctx context.Context, plan mailbox.Plan, requester string, rt *routing) ([]string, string) {
	mbx := plan.Op.Mailbox
	if s.cfg.Members == nil {
		return nil, words.NoOwnersLookup()
	}
	_, rows, err := s.cfg.Members(ctx, mbx)
	if err != nil {
		s.log.WarnContext(ctx, "owners: reading the mailbox's members failed", "mailbox", mbx, "err", err)
		return nil, words.OwnersLookupFailed(mbx)
	}
	var ids []string
	var why string
	for _, m := range rows {
		if !m.FullAccess {
			continue
		}
		id, err := s.cfg.Slack.UserIDByEmail(ctx, strings.ToLower(m.Who))
		if err != nil || id == requester || slices.Contains(ids, id) {
			continue
		}
		if via, ok := s.gainsAccess(ctx, id, m.Who, rt.gainers); ok {
			rt.excluded = true
			why = words.GainsAccess(words.UserGainsAccess(id), via)
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 && why == "" {
		why = words.NoOwners(mbx)
	}
	return ids, why
}

// beneficiaries lists everyone who gains access through plan, groups
// expanded; never nil when known.
func (s *Service) beneficiaries(ctx context.Context, plan mailbox.Plan) ([]mailbox.Principal, error) {
	ps, err := s.cfg.Planner.Beneficiaries(ctx, plan)
	if ps == nil && err == nil {
		ps = []mailbox.Principal{}
	}
	return ps, err
}

// addresses are the addresses of ps, as Request.Beneficiaries records
// them: each one's user principal name, mail and smtp proxy addresses,
// lower case, each once; never nil.
func addresses(ps []mailbox.Principal) []string {
	out := []string{}
	add := func(a string) {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, p := range ps {
		add(p.UserPrincipalName)
		add(p.Mail)
		for _, pa := range p.ProxyAddresses {
			if scheme, addr, ok := strings.Cut(pa, ":"); ok && strings.EqualFold(scheme, "smtp") {
				add(addr)
			}
		}
	}
	return out
}

// gainsAccess reports whether Slack user id, whose address known may
// already be known (""), is one of gainers: their Slack e-mail or known
// matches one of a gainer's addresses. via is the group through which they
// gain it, "" when granted in their own name. A Slack lookup that fails
// (other than a user without an e-mail) counts as gaining access: the
// person is not asked.
func (s *Service) gainsAccess(ctx context.Context, id, known string, gainers []mailbox.Principal) (via string, ok bool) {
	if len(gainers) == 0 {
		return "", false
	}
	emails := []string{known}
	switch e, err := s.cfg.Slack.EmailOf(ctx, id); {
	case err == nil:
		emails = append(emails, e)
	case errors.Is(err, ErrNoSlackUser) && known == "":
		// Without an address they cannot be compared: fail closed.
		s.log.WarnContext(ctx, "who gains access: the approver has no e-mail in Slack, so they cannot be compared with who gains access; not asked", "user", id)
		return "", true
	case !errors.Is(err, ErrNoSlackUser):
		s.log.WarnContext(ctx, "who gains access: the approver's e-mail could not be read in Slack; not asked", "user", id, "err", err)
		return "", true
	}
	for _, p := range gainers {
		if slices.ContainsFunc(emails, p.Matches) {
			if p.Matches(p.Via) {
				return "", true
			}
			return p.Via, true
		}
	}
	return "", false
}

// isBeneficiary reports whether user gains access through r (rule 16),
// so that their click may not approve it: their Slack e-mail is compared
// with r.Beneficiaries, or, for a request that did not record them (one
// of a batch, or made before they were), with those of its plan read
// again now. For a request of a batch, which is approved as one, every
// request of the batch counts: each mailbox is left out of its own member
// list, so the first request alone can hide what the others give. When
// that cannot be found out (a lookup fails, the clicker has no e-mail in
// Slack), it says true.
func (s *Service) isBeneficiary(ctx context.Context, r *Request, user string) bool {
	reqs := []*Request{r}
	if r.Batch != "" && s.cfg.Batches != nil {
		b, err := s.cfg.Batches.GetBatch(ctx, r.Batch)
		if err != nil {
			s.log.WarnContext(ctx, "who gains access: batch unreadable; the click is refused", "request", r.ID, "batch", r.Batch, "user", user, "err", err)
			return true
		}
		reqs = s.batchRequests(ctx, b)
	}
	var addrs []string
	seen := map[string]bool{} // the batch's requests mostly give the same people access
	for _, r := range reqs {
		if r.Beneficiaries != nil {
			addrs = append(addrs, r.Beneficiaries...)
			continue
		}
		key := beneficiaryKey(r.Plan)
		if seen[key] {
			continue
		}
		seen[key] = true
		ps, err := s.beneficiaries(ctx, r.Plan)
		if err != nil {
			s.log.WarnContext(ctx, "who gains access: lookup failed; the click is refused", "request", r.ID, "user", user, "err", err)
			return true
		}
		addrs = append(addrs, addresses(ps)...)
	}
	if len(addrs) == 0 {
		return false
	}
	email, err := s.cfg.Slack.EmailOf(ctx, user)
	switch {
	case errors.Is(err, ErrNoSlackUser):
		// Without an address they cannot be compared: fail closed.
		s.log.WarnContext(ctx, "who gains access: the clicker has no e-mail in Slack; the click is refused", "request", r.ID, "user", user)
		return true
	case err != nil:
		s.log.WarnContext(ctx, "who gains access: the clicker's e-mail could not be read in Slack; the click is refused", "request", r.ID, "user", user, "err", err)
		return true
	}
	return slices.Contains(addrs, strings.ToLower(strings.TrimSpace(email)))
}

// batchGainers is everyone who gains access through any of plans (a
// batch is approved as one, and each mailbox is left out of its own member
// list, so no one plan tells them all), each distinct set of grants read
// once.
func (s *Service) batchGainers(ctx context.Context, plans []mailbox.Plan) ([]mailbox.Principal, error) {
	all := []mailbox.Principal{}
	seen := map[string]bool{}
	for _, p := range plans {
		key := beneficiaryKey(p)
		if seen[key] {
			continue
		}
		seen[key] = true
		ps, err := s.beneficiaries(ctx, p)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	return all, nil
}

// beneficiaryKey is what mailbox.Planner.Beneficiaries reads of plan for
// an operation that gives access (the trustee, the members, the options'
// lists and the grant steps' arguments), and for one that hands back an
// account, the account: plans with the same key give the same people
// access.
func beneficiaryKey(plan mailbox.Plan) string {
	op := plan.Op
	parts := []string{string(op.Kind), op.Trustee, strings.Join(op.Members, ","), strings.Join(op.Options.FullAccess, ","), strings.Join(op.Options.SendAs, ","), op.Options.ForwardTo}
	if op.Kind == mailbox.KindConvertToRegular {
		parts = append(parts, plan.Target.UserID, op.Mailbox)
	}
	for _, st := range plan.Steps {
		switch st.Name {
		case mailbox.StepGrantFullAccess, mailbox.StepGrantSendAs, mailbox.StepGrantSendOnBehalf, mailbox.StepForward, mailbox.StepRestoreForwarding:
			parts = append(parts, string(st.Name)+"="+st.Arg)
		}
	}
	return strings.Join(parts, "\x00")
}

func routeNote(source, why string) string {
	if why == "" {
		return "approver: " + source
	}
	return "approver: " + source + " (" + why + ")"
}

// addExtras adds to ids the extra approvers of kind who are eligible.
func (s *Service) addExtras(ctx context.Context, kind mailbox.Kind, requester string, rt *routing, ids []string) []string {
	for _, a := range s.eligible(ctx, s.extraApprovers(ctx, kind, requester), requester, rt, nil) {
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
