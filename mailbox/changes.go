package mailbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Change is one material difference between the plan an approver saw and
// the plan made again from live data (rule 17).
type Change struct {
	// What names the fact, stable for code and logs: "object_id",
	// "recipient_type", "deleted", "synced", "size", "litigation_hold",
	// "in_place_hold", "archive", "license", "address_taken", "person",
	// "forwarding", "blocker", "step", "operation".
	What string
	// Text is a plain sentence for people, e.g. "the mailbox is now
	// SharedMailbox (was UserMailbox)". It is not escaped for any markup.
	Text string
}

// Changes lists the material differences between the approved plan and the
// live one, made again from live data just before the first change; none
// means the approval still holds. Material are: another object id at the
// same address (deleted and recreated), another recipient type, the account
// deleted or restored, synchronised from on-premises or no longer, the size
// crossing 50 or 100 GB (growing from 10 to 11 GB is not), a hold or an
// archive placed or removed, a license assigned, removed or coming from
// elsewhere, a new mailbox's address taken, a trustee or member resolving
// to another account, a blocker the approver did not see, and a step the
// approver did not see (a step that is no longer needed is not material:
// less is done than approved). A step on another mailbox (Step.On) is
// compared with that mailbox: a right of a leaver found since on a mailbox
// the approver did not see is a step the approver did not see, and is not
// taken away unasked. Changes are in a fixed order.
func Changes(approved, live Plan) []Change {
	var out []Change
	add := func(what, format string, args ...any) {
		out = append(out, Change{What: what, Text: fmt.Sprintf(format, args...)})
	}
	a, l := approved.Target, live.Target
	if canonicalOp(approved.Op) != canonicalOp(live.Op) {
		add("operation", "the request itself is not the one approved")
	}
	if a.UserID != "" && l.UserID != "" && !strings.EqualFold(a.UserID, l.UserID) {
		add("object_id", "%s now resolves to another account (object id %s, was %s): it was deleted and made again, or the address moved", nameOf(approved), l.UserID, a.UserID)
	}
	if a.ExchangeGUID != "" && l.ExchangeGUID != "" && !strings.EqualFold(a.ExchangeGUID, l.ExchangeGUID) {
		add("object_id", "%s is now another mailbox (ExchangeGuid %s, was %s): it was deleted and made again, or the address moved", nameOf(approved), l.ExchangeGUID, a.ExchangeGUID)
	}
	if a.RecipientTypeDetails != l.RecipientTypeDetails {
		add("recipient_type", "the mailbox is now %s (was %s)", l.RecipientTypeDetails, a.RecipientTypeDetails)
	}
	if a.Deleted != l.Deleted {
		if l.Deleted {
			add("deleted", "the account is now deleted")
		} else {
			add("deleted", "the account is no longer deleted: it was restored")
		}
	}
	if a.Synced != l.Synced {
		if l.Synced {
			add("synced", "the account is now synchronised from on-premises")
		} else {
			add("synced", "the account is no longer synchronised from on-premises")
		}
	}
	if ca, cl := sizeClass(a.SizeBytes), sizeClass(l.SizeBytes); ca != cl {
		add("size", "the mailbox's size is now %s (was %s)", sizeClassText[cl], sizeClassText[ca])
	}
	if a.LitigationHold != l.LitigationHold {
		if l.LitigationHold {
			add("litigation_hold", "a litigation hold was placed")
		} else {
			add("litigation_hold", "the litigation hold was removed")
		}
	}
	for _, h := range l.InPlaceHolds {
		if !containsFold(a.InPlaceHolds, h) {
			add("in_place_hold", "an in-place hold was placed (%s)", h)
		}
	}
	for _, h := range a.InPlaceHolds {
		if !containsFold(l.InPlaceHolds, h) {
			add("in_place_hold", "an in-place hold was removed (%s)", h)
		}
	}
	if a.Archive != l.Archive {
		if l.Archive {
			add("archive", "an archive was enabled")
		} else {
			add("archive", "the archive was disabled")
		}
	}
	out = append(out, licenseChanges(a.Licenses, l.Licenses)...)
	if !a.AddressTaken && l.AddressTaken {
		add("address_taken", "the address %s is now used by another mailbox, group, contact or user", live.Op.Mailbox)
	}
	out = append(out, peopleChanges(a.People, l.People)...)
	if !strings.EqualFold(a.Forwarding, l.Forwarding) && approved.Op.Options.ForwardTo != "" {
		add("forwarding", "the mailbox now forwards its mail to %s (was %s)", firstOf(l.Forwarding, "nowhere"), firstOf(a.Forwarding, "nowhere"))
	}
	for _, f := range live.Blockers() {
		if !slices.ContainsFunc(approved.Blockers(), func(g Finding) bool { return compareFindings(f, g) == 0 }) {
			add("blocker", "something now stops it: %s", strings.TrimSuffix(f.Text, "."))
		}
	}
	for _, s := range live.Steps {
		if !slices.ContainsFunc(approved.Steps, func(t Step) bool { return sameStep(s, t) }) {
			add("step", "it would now also do what was not approved: %s", firstOf(s.Title, string(s.Name)+" "+s.Arg))
		}
	}
	return out
}

// canonicalOp is the operation as Fingerprint sees it.
func canonicalOp(op Operation) string {
	c := canonical(Plan{Op: op})
	s := fmt.Sprintf("%v|%s|%s|%v|%s|%s|%+v", c.Kind, c.Mailbox, c.DisplayName, c.Members, c.Trustee, c.Right, c.Options)
	if c.Undo != nil {
		// JSON, not %+v: a step's Settings is a pointer.
		b, _ := json.Marshal(c.Undo)
		s += "|undo " + string(b)
	}
	return s
}

func sameStep(a, b Step) bool {
	return a.Name == b.Name && strings.EqualFold(a.Arg, b.Arg) && a.NoAutoMapping == b.NoAutoMapping && strings.EqualFold(a.On, b.On) &&
		sameSettings(a.Settings, b.Settings)
}

var sizeClassText = map[int]string{
	sizeUnder50: "under 50 GB", sizeOver50: "over 50 GB", sizeOver100: "over 100 GB",
}

func nameOf(p Plan) string { return firstOf(p.Target.UserPrincipalName, p.Op.Mailbox) }

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}

// licenseSource says where a license comes from, for people.
func licenseSource(l LicenseFact) string {
	if l.Group == "" {
		return "direct"
	}
	return "from the group " + firstOf(l.GroupName, l.Group)
}

func licenseChanges(approved, live []LicenseFact) []Change {
	var out []Change
	bySku := func(ls []LicenseFact, sku string) []LicenseFact {
		var m []LicenseFact
		for _, l := range ls {
			if strings.EqualFold(l.SkuID, sku) {
				m = append(m, l)
			}
		}
		return m
	}
	sources := func(ls []LicenseFact) []string {
		var s []string
		for _, l := range ls {
			s = append(s, licenseSource(l))
		}
		slices.Sort(s)
		return slices.Compact(s)
	}
	var skus []string
	for _, l := range slices.Concat(approved, live) {
		if !containsFold(skus, l.SkuID) {
			skus = append(skus, l.SkuID)
		}
	}
	for _, sku := range skus {
		was, now := bySku(approved, sku), bySku(live, sku)
		switch {
		case len(was) == 0:
			out = append(out, Change{What: "license", Text: fmt.Sprintf("the licence %s is now assigned (%s)", sku, strings.Join(sources(now), ", "))})
		case len(now) == 0:
			out = append(out, Change{What: "license", Text: fmt.Sprintf("the licence %s is no longer assigned (was %s)", sku, strings.Join(sources(was), ", "))})
		case !slices.Equal(groupsOf(was), groupsOf(now)):
			out = append(out, Change{What: "license", Text: fmt.Sprintf("the licence %s now comes %s (was %s)", sku,
				strings.Join(sources(now), ", "), strings.Join(sources(was), ", "))})
		}
	}
	return out
}

// groupsOf lists where licenses come from by group id ("" for direct).
func groupsOf(ls []LicenseFact) []string {
	var g []string
	for _, l := range ls {
		g = append(g, strings.ToLower(l.Group))
	}
	slices.Sort(g)
	return slices.Compact(g)
}

func peopleChanges(approved, live []Person) []Change {
	var out []Change
	for _, was := range approved {
		i := slices.IndexFunc(live, func(p Person) bool { return strings.EqualFold(p.Address, was.Address) })
		if i < 0 {
			continue // the operation changed: reported as such
		}
		now := live[i]
		switch {
		case was.ID == "" && now.ID == "":
		case now.ID == "":
			out = append(out, Change{What: "person", Text: fmt.Sprintf("%s no longer resolves to a user or group", was.Address)})
		case !strings.EqualFold(was.ID, now.ID) || was.Group != now.Group:
			out = append(out, Change{What: "person", Text: fmt.Sprintf("%s's address now resolves to another account (%s)", was.Address, firstOf(now.Name, now.ID))})
		}
	}
	return out
}
