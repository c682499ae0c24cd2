package mailbox

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
)

// Fingerprint is a short stable hash of everything the approver of p
// decides on (rule 17): the operation with every option, the target's
// material facts (object id and ExchangeGuid, recipient type, deleted, sync state, size
// class, holds and archive, licenses and where they come from, whether a
// new address is taken, who each trustee or member resolved to), the
// ordered steps (name, argument, the names they match, automapping, the
// other mailbox they act on) and the
// findings (severity, rule, text).
//
// It does not depend on the order of what has no order (members, options'
// address lists, holds, licenses, people, findings) nor on the case of
// addresses, and it leaves out what people read but do not decide on
// (titles, fixes, display names, the manager) and the exact size: a mailbox
// that grew from 10 to 11 GB keeps its fingerprint, one that crossed 50 GB
// does not. A plan that survives a JSON round trip keeps its fingerprint.
//
// Two plans with the same fingerprint are the same to an approver: bind an
// approval to the fingerprint of the plan shown, and check that the stored
// plan still has it when the request runs. Findings' texts carry numbers
// (a size, free licences), so a plan made again from live data may have
// another fingerprint where nothing material changed: to decide whether
// the live plan still matches, use Changes.
func (p Plan) Fingerprint() string {
	b, err := json.Marshal(canonical(p))
	if err != nil { // only plain strings, numbers and booleans: cannot fail
		panic("mailbox: fingerprint: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// fingerprinted is the canonical form of a plan that Fingerprint hashes.
// Its field names are part of the hash: renaming one changes every
// fingerprint, which only makes pending approvals be asked again.
type fingerprinted struct {
	Kind        Kind
	Mailbox     string
	DisplayName string
	Members     []string
	Trustee     string
	Right       Right
	Options     Options

	UserID, UPN, RecipientType string
	ExchangeGUID               string
	Deleted, Synced            bool
	SizeClass                  int
	LitigationHold, Archive    bool
	InPlaceHolds               []string
	Licenses                   []LicenseFact
	AddressTaken               bool
	People                     []Person
	Forwarding                 string `json:",omitempty"`

	Steps    []fingerprintedStep
	Findings []Finding

	// Undo is the request an undo undoes and what it did; absent for any
	// other plan, so that their fingerprints stay as they were.
	Undo *fingerprintedUndo `json:",omitempty"`
}

type fingerprintedUndo struct {
	Of   string
	Kind Kind
	Done []fingerprintedStep
}

type fingerprintedStep struct {
	Name          StepName
	Arg           string
	Names         []string
	NoAutoMapping bool
	// On is left out when empty, so that the fingerprint of a plan whose
	// steps all act on its own mailbox is what it was before On existed.
	On string `json:",omitempty"`
	// Settings: what a settings step replaced, or what an undo's step
	// puts back; left out when nil, as On.
	Settings *Settings `json:",omitempty"`
}

func canonical(p Plan) fingerprinted {
	o := p.Op.Options
	o.FullAccess = lowerSorted(o.FullAccess)
	o.SendAs = lowerSorted(o.SendAs)
	o.At = o.At.UTC()
	t := p.Target
	c := fingerprinted{
		Kind: p.Op.Kind, Mailbox: strings.ToLower(p.Op.Mailbox), DisplayName: p.Op.DisplayName,
		Members: lowerSorted(p.Op.Members), Trustee: strings.ToLower(p.Op.Trustee), Right: p.Op.Right, Options: o,

		UserID: strings.ToLower(t.UserID), UPN: strings.ToLower(t.UserPrincipalName), RecipientType: t.RecipientTypeDetails,
		ExchangeGUID: strings.ToLower(t.ExchangeGUID),
		Deleted:      t.Deleted, Synced: t.Synced, SizeClass: sizeClass(t.SizeBytes),
		LitigationHold: t.LitigationHold, Archive: t.Archive, InPlaceHolds: lowerSorted(t.InPlaceHolds),
		AddressTaken: t.AddressTaken, Forwarding: strings.ToLower(t.Forwarding),
	}
	for _, l := range t.Licenses {
		c.Licenses = append(c.Licenses, LicenseFact{SkuID: strings.ToLower(l.SkuID), Group: strings.ToLower(l.Group)})
	}
	slices.SortFunc(c.Licenses, func(a, b LicenseFact) int {
		return cmp.Or(strings.Compare(a.SkuID, b.SkuID), strings.Compare(a.Group, b.Group))
	})
	c.Licenses = slices.Compact(c.Licenses)
	for _, pr := range t.People {
		c.People = append(c.People, Person{Address: strings.ToLower(pr.Address), ID: strings.ToLower(pr.ID), Name: strings.ToLower(pr.Name), Group: pr.Group})
	}
	slices.SortFunc(c.People, func(a, b Person) int {
		return cmp.Or(strings.Compare(a.Address, b.Address), strings.Compare(a.ID, b.ID), strings.Compare(a.Name, b.Name))
	})
	c.People = slices.Compact(c.People)
	for _, s := range p.Steps {
		c.Steps = append(c.Steps, canonicalStep(s))
	}
	if u := p.Op.Undo; u != nil {
		c.Undo = &fingerprintedUndo{Of: u.Of, Kind: u.Kind}
		for _, s := range u.Done {
			c.Undo.Done = append(c.Undo.Done, canonicalStep(s))
		}
	}
	for _, f := range p.Findings {
		c.Findings = append(c.Findings, Finding{Severity: f.Severity, Rule: f.Rule, Text: f.Text})
	}
	slices.SortFunc(c.Findings, compareFindings)
	return c
}

func canonicalStep(s Step) fingerprintedStep {
	return fingerprintedStep{Name: s.Name, Arg: strings.ToLower(s.Arg), Names: lowerSorted(s.Names), NoAutoMapping: s.NoAutoMapping, On: strings.ToLower(s.On), Settings: s.Settings}
}

func compareFindings(a, b Finding) int {
	return cmp.Or(strings.Compare(string(a.Severity), string(b.Severity)), cmp.Compare(a.Rule, b.Rule), strings.Compare(a.Text, b.Text))
}

// lowerSorted returns the strings in lower case, sorted, without repeats;
// nil for none.
func lowerSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(strings.TrimSpace(v))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Size classes of a mailbox (rule 2): what decides whether its licenses may
// go and whether it fits a shared mailbox at all.
const (
	sizeUnder50 = iota
	sizeOver50
	sizeOver100
)

func sizeClass(n int64) int {
	switch {
	case n >= LicensedSharedMax:
		return sizeOver100
	case n >= UnlicensedSharedMax:
		return sizeOver50
	}
	return sizeUnder50
}
