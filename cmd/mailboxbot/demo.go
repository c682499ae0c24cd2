package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot/redisstore"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// The demo's Slack workspace. Grace, Frank's manager, has no Slack account.
var demoPeople = []struct{ id, name, email string }{
	{"U0RITA", "Rita Ramos (helpdesk)", "rita@contoso.com"},
	{"U0MARIA", "Maria Martens (Alice's manager)", "maria@contoso.com"},
	{"U0ADA", "Ada Admin (IT lead, configured approver)", "ada@contoso.com"},
	{"U0ERIN", "Erin Evans", "erin@contoso.com"},
	{"U0KIM", "Kim King", "kim@contoso.com"},
	{"U0LEE", "Lee Long", "lee@contoso.com"},
	{"U0LEO", "Leo Lane (leaving)", "leo@contoso.com"},
}

const demoAuditChannel = "C0AUDIT"

// demo plays a whole request against the sandbox tenant, an embedded Redis
// and a built-in fake Slack, through the real HTTP server, queue and
// Slack client, and prints what each person saw.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print the bot's log on standard error")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	start := time.Now()
	fmt.Fprintln(stdout, "DEMO MODE — nothing real is touched: an embedded in-memory Redis, a sandbox Microsoft 365")
	fmt.Fprintln(stdout, "tenant (contoso.com) and a built-in fake Slack. Use `mailboxbot serve` for the real thing.")
	fmt.Fprintln(stdout)

	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = newLogger(stderr, "text", "debug")
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("embedded redis: %w", err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	// One stale read after each conversion: the verification waits once
	// (a scheduled retry is a second away), and the demo stays quick.
	tenant := sandbox.NewContoso(sandbox.Options{ConversionLag: 1})
	fake := slacktest.New(slacktest.Options{BotToken: "xoxb-demo"})
	defer fake.Close()
	for _, p := range demoPeople {
		fake.AddUser(p.id, p.name, p.email)
	}
	secret := randomSecret()
	a, err := newApp(appConfig{
		Redis: rdb, Prefix: "demo:",
		Queue: redisstore.QueueConfig{Name: "demo", Concurrency: 4, TaskCheckInterval: 20 * time.Millisecond,
			DelayedTaskCheckInterval: 50 * time.Millisecond, ShutdownTimeout: 2 * time.Second, Logger: log},
		Directory: tenant, Exchange: tenant,
		Slack:         slack.New("xoxb-demo", slack.OptionAPIURL(fake.URL()), slack.OptionHTTPClient(&http.Client{Transport: notify.DropEchoes(nil)})),
		HTTPClient:    http.DefaultClient,
		SigningSecret: secret, TeamID: "T0001", AppID: "A123456",
		Approvers: []string{"U0ADA"}, AuditChannel: demoAuditChannel,
		RatePerUser: defaultRatePerUser, BatchMax: defaultBatchMax, LeaverRemoveAccess: true, // serve's defaults
		VerifyDelay: 200 * time.Millisecond, VerifyMaxDelay: time.Second,
		Logger: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.run(runCtx, ln) }()
	defer func() { stop(); <-done }()

	p := &player{ctx: ctx, fake: fake, bot: "http://" + ln.Addr().String(), secret: secret, out: stdout}
	if err := p.story(); err != nil {
		p.printTranscript()
		return fmt.Errorf("demo: %w", err)
	}
	p.printTranscript()

	fmt.Fprintln(stdout, "\nIn the sandbox tenant:")
	for _, addr := range []string{"alice@contoso.com", "sales@contoso.com", "leo@contoso.com"} {
		mb, _ := tenant.GetMailbox(ctx, addr)
		u, _ := tenant.User(ctx, addr)
		fmt.Fprintf(stdout, "  %s is a %s; sign-in enabled: %v; licenses: %d.\n", addr, mb.RecipientTypeDetails, u.AccountEnabled, len(u.Licenses))
	}
	printLeaverRights(ctx, stdout, tenant)
	fmt.Fprintf(stdout, "Changes made to the tenant, each once:\n")
	for _, c := range tenant.Changes() {
		what := strings.ReplaceAll(string(c.Kind), "_", " ")
		switch {
		case c.From != "" && c.To != "":
			what += ": " + c.From + " -> " + c.To
		case c.From != "" || c.To != "":
			what += ": " + c.From + c.To
		}
		fmt.Fprintf(stdout, "  %d. %s %s\n", c.Seq, c.UserPrincipalName, what)
	}
	fmt.Fprintf(stdout, "\nDemo finished in %s.\n", time.Since(start).Round(10*time.Millisecond))
	return nil
}

func randomSecret() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// player acts the people's parts, the way Slack would deliver them.
type player struct {
	ctx    context.Context
	fake   *slacktest.Server
	bot    string
	secret string
	out    io.Writer
	seen   int // transcript entries already printed
}

func (p *player) say(format string, a ...any) {
	fmt.Fprintf(p.out, "▶ "+format+"\n", a...)
}

// command types a slash command and checks the immediate answer.
func (p *player) command(user, text string) error {
	p.say("%s types: /convert-mailbox %s", name(user), text)
	status, body, err := p.fake.SlashCommand(p.ctx, p.bot, p.secret, user, "/convert-mailbox", text)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("slash command answered HTTP %d: %s", status, body)
	}
	return nil
}

// waitFor waits until some transcript entry matches.
func (p *player) waitFor(what string, match func(slacktest.Entry) bool) (slacktest.Entry, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	found, err := p.fake.WaitForEntry(ctx, match)
	if err != nil {
		return found, fmt.Errorf("waited 20s for %s: %w", what, err)
	}
	return found, nil
}

func ephemeralTo(user string, contains ...string) func(slacktest.Entry) bool {
	return func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindEphemeral && e.User == user && containsAll(e.Text, contains)
	}
}

func dmTo(user string, contains ...string) func(slacktest.Entry) bool {
	return func(e slacktest.Entry) bool {
		return e.Channel == "D"+user && containsAll(e.Text, contains)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func (p *player) story() error {
	steps := []struct {
		do   func() error
		what string
		want func(slacktest.Entry) bool
	}{
		{func() error { return p.command("U0RITA", "help") }, "the help text", ephemeralTo("U0RITA", "/convert-mailbox")},
		{func() error { return p.command("U0RITA", "carol@contoso.com") }, "the license blocker (rule 1)", ephemeralTo("U0RITA", "has no license")},
		{func() error { return p.command("U0RITA", "dave@contoso.com") }, "the on-premises blocker (rule 8)", ephemeralTo("U0RITA", "Set-RemoteMailbox -Identity dave@contoso.com")},
		{func() error { return p.command("U0RITA", "alice@contoso.com") }, "the request's plan", ephemeralTo("U0RITA", "will be asked to approve")},
		{nil, "Maria's approval request", dmTo("U0MARIA", "Approve")},
		{func() error { return p.command("U0ERIN", "alice@contoso.com") }, "the active-request refusal", ephemeralTo("U0ERIN", "already has an active request")},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				return err
			}
		}
		if _, err := p.waitFor(s.what, s.want); err != nil {
			return err
		}
		p.printNew()
	}
	approval, _ := p.waitFor("Maria's approval request", dmTo("U0MARIA", "Approve"))

	p.say("Rita clicks Approve on the request she made herself (as if she could see Maria's message)")
	if err := p.click("U0RITA", approval); err != nil {
		return err
	}
	if _, err := p.waitFor("the self-approval refusal", ephemeralTo("U0RITA", "can't decide it yourself")); err != nil {
		return err
	}
	p.printNew()

	p.say("Maria clicks Approve, and confirms")
	if err := p.click("U0MARIA", approval); err != nil {
		return err
	}
	if _, err := p.waitFor("the end of the work", dmTo("U0RITA", "is done")); err != nil {
		return err
	}
	if _, err := p.waitFor("the audit message's last update", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "succeeded")
	}); err != nil {
		return err
	}
	p.printNew()

	p.say("Maria clicks Approve again, on a copy of the message her other device had not refreshed")
	if err := p.click("U0MARIA", approval); err != nil {
		return err
	}
	told, err := p.waitFor("the already-decided answer", ephemeralTo("U0MARIA", "already approved"))
	if err != nil {
		return err
	}
	// The stale copy she clicked is brought up to date too.
	if _, err := p.waitFor("the refresh of Maria's message", func(e slacktest.Entry) bool {
		return e.Kind == slacktest.KindUpdate && e.Channel == approval.Channel && e.TS == approval.TS && e.Seq > told.Seq
	}); err != nil {
		return err
	}
	p.printNew()
	return p.convertBack()
}

// convertBack is the second act: a shared mailbox back to a user mailbox
// (rule 9); the Temporary Access Pass goes to the requester alone.
func (p *player) convertBack() error {
	fmt.Fprintln(p.out, "\n── Act 2: the sales team's shared mailbox becomes a user mailbox again ──")
	if err := p.command("U0RITA", "sales@contoso.com to regular"); err != nil {
		return err
	}
	if _, err := p.waitFor("the plan to convert back", ephemeralTo("U0RITA", "sales@contoso.com back to a user mailbox", "will be asked to approve")); err != nil {
		return err
	}
	ask, err := p.waitFor("Ada's approval request", dmTo("U0ADA", "sales@contoso.com", "[Approve]"))
	if err != nil {
		return err
	}
	p.printNew()
	p.say("Ada (no manager is known for sales@, so the configured approver decides) clicks Approve")
	if err := p.click("U0ADA", ask); err != nil {
		return err
	}
	if _, err := p.waitFor("the end of the work", dmTo("U0RITA", "is a user mailbox again")); err != nil {
		return err
	}
	if _, err := p.waitFor("the audit message's last update", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "sales@") && strings.Contains(e.Text, "succeeded")
	}); err != nil {
		return err
	}
	p.printNew()
	return p.leaver()
}

func (p *player) click(user string, msg slacktest.Entry) error {
	return p.press(user, msg, "approve")
}

// press clicks, as user, the button with actionID on version msg of a message.
func (p *player) press(user string, msg slacktest.Entry, actionID string) error {
	status, body, err := p.fake.ClickVersion(p.ctx, p.bot, p.secret, user, msg, actionID)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("click answered HTTP %d: %s", status, body)
	}
	return nil
}

func name(id string) string {
	for _, p := range demoPeople {
		if p.id == id {
			return strings.SplitN(p.name, " ", 2)[0]
		}
	}
	return id
}

// heading says who saw an entry, and where.
func heading(e slacktest.Entry) string {
	switch {
	case e.Channel == demoAuditChannel:
		return "#mailbox-audit shows"
	case e.Kind == slacktest.KindEphemeral:
		return name(e.User) + " sees, privately"
	case strings.HasPrefix(e.Channel, "D") && e.Kind == slacktest.KindUpdate:
		return name(strings.TrimPrefix(e.Channel, "D")) + " sees the direct message updated"
	case strings.HasPrefix(e.Channel, "D"):
		return name(strings.TrimPrefix(e.Channel, "D")) + " sees, in a direct message from the bot"
	}
	return e.Channel + " shows"
}

// printNew prints the transcript entries not printed yet. Audit-channel
// updates are shown once, at the end, in their last version.
func (p *player) printNew() {
	es := p.fake.Transcript()
	for _, e := range es[min(p.seen, len(es)):] {
		if e.Channel == demoAuditChannel {
			continue
		}
		fmt.Fprintf(p.out, "   ┌─ %s:\n", heading(e))
		printLines(p.out, e.Text)
		fmt.Fprintln(p.out, "   └─")
	}
	p.seen = len(es)
}

func (p *player) printTranscript() {
	p.printNew()
	updates := map[string]int{}
	for _, e := range p.fake.Transcript() {
		if e.Channel == demoAuditChannel {
			updates[e.TS]++
		}
	}
	for _, m := range p.fake.Messages(demoAuditChannel) {
		fmt.Fprintf(p.out, "▶ #mailbox-audit: one message per request (posted once, updated %d times), as it ends:\n", updates[m.TS]-1)
		printLines(p.out, m.Text)
	}
}

// printLines prints a rendered message, with people's names for their
// Slack ids.
func printLines(w io.Writer, text string) {
	for _, p := range demoPeople {
		text = strings.ReplaceAll(text, "@"+p.id, "@"+name(p.id))
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		fmt.Fprintf(w, "   │ %s\n", line)
	}
}
