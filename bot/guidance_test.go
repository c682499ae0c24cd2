package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// guiding is the test notifier with guidance: it records each guidance
// message as "user: rights on mailbox (via group)".
type guiding struct {
	*notes
	mu      sync.Mutex
	got     []string
	failFor string // the user whose next guidance fails once
}

func (g *guiding) Guide(_ context.Context, user string, a words.Access) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if user == g.failFor {
		g.failFor = ""
		return errors.New("slack: channel_not_found")
	}
	line := user + ": " + words.AccessRights(a) + " on " + a.Mailbox
	if a.Via != "" {
		line += " via " + a.Via
	}
	if a.AutoMapping {
		line += " (automapped)"
	}
	g.got = append(g.got, line)
	return nil
}

func (g *guiding) lines() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.got)
}

func newGuidingEnv(t *testing.T) (*env, *guiding) {
	var g *guiding
	e := newEnv(t, func(c *bot.Config) {
		g = &guiding{notes: c.Notifier.(*notes)}
		c.Notifier = g
	})
	return e, g
}

// Guidance reaches exactly the people whose grants were made: not one
// whose grants were all there already (the requester here), not the
// approver; a person Slack does not know is named in the requester's
// report; and a re-run of the finished job sends nothing again.
func TestGuidanceReachesExactlyThoseWhoGotRights(t *testing.T) {
	e, g := newGuidingEnv(t)
	ctx := context.Background()
	// Rita (the requester) already has both rights, Erin Send As.
	for _, err := range []error{
		e.tenant.AddFullAccess(ctx, "alice@contoso.com", "rita@contoso.com", true),
		e.tenant.AddSendAs(ctx, "alice@contoso.com", "rita@contoso.com"),
		e.tenant.AddSendAs(ctx, "alice@contoso.com", "erin@contoso.com"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	members := []string{"erin@contoso.com", "rita@contoso.com", "kim@contoso.com"}
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com",
		Options: mailbox.Options{FullAccess: members, SendAs: members}})
	e.click(maria, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded {
		t.Fatalf("state %s", r.State)
	}
	want := []string{erin + ": Full Access on alice@contoso.com (automapped)"}
	if got := g.lines(); !slices.Equal(got, want) {
		t.Errorf("guidance = %q, want %q", got, want)
	}
	if !r.GuidanceDone || !slices.Equal(r.Guided, []string{"erin@contoso.com", "kim@contoso.com"}) {
		t.Errorf("recorded: done %v, guided %q", r.GuidanceDone, r.Guided)
	}
	if !slices.ContainsFunc(e.notes.tells, func(s string) bool {
		return strings.HasPrefix(s, rita+": ") && strings.Contains(s, "kim@contoso.com") && strings.Contains(s, "Please tell them yourself")
	}) {
		t.Errorf("the requester is not told who Slack does not know: %q", e.notes.tells)
	}

	// The finished job delivered again: nobody is told twice.
	if err := e.svc.Handle(ctx, bot.Job{Type: bot.JobRun, RequestID: r.ID, Seq: r.RunSeq}); err != nil {
		t.Fatal(err)
	}
	if got := g.lines(); len(got) != 1 {
		t.Errorf("after a re-run: %q", got)
	}
}

// A direct message that fails is sent when the finish is reported again,
// once; those already told are not told again.
func TestGuidanceResumesAfterAFault(t *testing.T) {
	e, g := newGuidingEnv(t)
	g.failFor = maria
	members := []string{"erin@contoso.com", "maria@contoso.com"}
	// Maria gains access, so the configured approver decides (rule 16).
	r := e.ask(rita, mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "frank@contoso.com",
		Options: mailbox.Options{FullAccess: members, NoAutoMapping: true}})
	e.click(admin, r.ID, true)
	r = e.untilSettled(r.ID)
	if r.State != bot.StateSucceeded || r.GuidanceDone {
		t.Fatalf("state %s, guidance done %v", r.State, r.GuidanceDone)
	}
	if got := g.lines(); !slices.Equal(got, []string{erin + ": Full Access on frank@contoso.com"}) {
		t.Fatalf("guidance = %q", got)
	}
	// The next round is queued: it sends what is missing, once.
	e.clock.Add(time.Hour)
	e.drain()
	want := []string{erin + ": Full Access on frank@contoso.com", maria + ": Full Access on frank@contoso.com"}
	if got := g.lines(); !slices.Equal(got, want) {
		t.Fatalf("after the next round: %q, want %q", got, want)
	}
	if err := e.svc.Handle(context.Background(), bot.Job{Type: bot.JobRun, RequestID: r.ID, Seq: r.RunSeq}); err != nil {
		t.Fatal(err)
	}
	if got := g.lines(); !slices.Equal(got, want) {
		t.Errorf("after the job again: %q, want %q", got, want)
	}
	if r := e.get(r.ID); !r.GuidanceDone {
		t.Error("guidance not recorded as done")
	}
}

// A right given to a group reaches each member, who is told it came
// through the group (no automapping); a dry run tells nobody.
func TestGuidanceToAGroupsMembers(t *testing.T) {
	e, g := newGuidingEnv(t)
	cast := sandbox.ContosoUsers()
	for i := range cast {
		if cast[i].UserPrincipalName == "erin@contoso.com" {
			cast[i].MemberOf = append(cast[i].MemberOf, sandbox.ContosoSalesTeam)
		}
	}
	tn := sandbox.New(sandbox.Options{AcceptedDomains: []string{sandbox.ContosoDomain}, Now: e.clock.Now})
	for _, s := range sandbox.ContosoSkus() {
		if err := tn.AddSku(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tn.AddUsers(cast...); err != nil {
		t.Fatal(err)
	}
	e.useTenant(tn)
	op := mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "sales@contoso.com", Trustee: "sales-team@contoso.com", Right: mailbox.FullAccess}
	r := e.ask(rita, op)
	e.click(admin, r.ID, true)
	if r = e.untilSettled(r.ID); r.State != bot.StateSucceeded {
		t.Fatalf("state %s: %s", r.State, r.Failure)
	}
	want := []string{erin + ": Full Access on sales@contoso.com via sales-team@contoso.com"}
	if got := g.lines(); !slices.Equal(got, want) {
		t.Errorf("guidance = %q, want %q", got, want)
	}
	if !slices.Equal(r.Guided, []string{"erin@contoso.com", "kim@contoso.com", "lee@contoso.com"}) {
		t.Errorf("guided %q", r.Guided)
	}

	// The same as a dry run: nobody is told.
	op.Options.DryRun = true
	op.Mailbox, op.Trustee = "info@contoso.com", "erin@contoso.com"
	dry := e.ask(rita, op)
	e.click(admin, dry.ID, true)
	if d := e.untilSettled(dry.ID); d.State != bot.StateSucceeded || len(d.Steps) == 0 {
		t.Fatalf("dry run: %s %+v", d.State, d.Steps)
	}
	if got := g.lines(); len(got) != 1 {
		t.Errorf("a dry run sent guidance: %q", got)
	}
}
