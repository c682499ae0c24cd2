package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/command"
	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// The forms: /convert-mailbox and /shared-mailbox typed without text open
// a modal (notify.ConvertForm, notify.SharedForm) at once, before any
// lookup, since the trigger_id lives 3 seconds. Its submission
// (view_submission) becomes one bot.Command per mailbox. What can be
// checked without a lookup is checked here and shown next to the field
// (response_action "errors"); what needs Microsoft is left to an optional
// FormChecker with a strict time budget, and otherwise to the queued job,
// which answers privately.

// Views opens forms (modals) in Slack; handlers/notify implements it with
// views.open.
type Views interface {
	OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (viewID string, err error)
}

// FormChecker checks a command from a form against Microsoft before the
// form closes (unknown user, blockers). problem is "" when the command may
// go ahead, else one plain-text sentence (not mrkdwn) that names the
// mailbox, shown under the form's mailbox field. An error, or no answer
// within the budget, lets the command go ahead: the queued job checks it
// again and answers privately. c.Op.Mailbox may be a Slack mention
// "<@U…>" (a person picked in the form).
//
// The commands of one form share their kind and requester: whether the
// requester may ask (CheckRequester, Slack user group lookups) is checked
// once per form, then each mailbox (CheckMailbox), as bot.Service does.
type FormChecker interface {
	CheckRequester(ctx context.Context, c bot.Command) (problem string)
	CheckMailbox(ctx context.Context, c bot.Command) (problem string, err error)
}

// Limits of the forms.
const (
	// MaxFormMailboxes bounds the mailboxes of one form submission;
	// Config.BatchMax, when lower, bounds them too (Server.formMax).
	MaxFormMailboxes = 100
	// defaultFormCheckTimeout is Config.FormCheckTimeout's default.
	defaultFormCheckTimeout = 1500 * time.Millisecond
	// formChecksAtOnce bounds the FormChecker calls in flight.
	formChecksAtOnce = 8
	// maxFormError bounds the text of one field's error.
	maxFormError = 300
)

// openForm opens the form of a command typed without text and returns ""
// (no message), or, when there is no Views or views.open fails, the help
// text with a sentence saying that the form could not be opened.
func (s *Server) openForm(ctx context.Context, sc slack.SlashCommand, shared bool, log *slog.Logger) string {
	meta := notify.FormMetadata{Channel: sc.ChannelID}
	view, example := notify.ConvertForm(meta), sc.Command+" alice@contoso.com"
	if shared {
		view, example = notify.SharedForm(meta), sc.Command+` create "Sales Team" sales@contoso.com`
	}
	fallback := func() string {
		return words.FormNotOpened(example) + s.help(sc.Command, shared, command.PageOverview)
	}
	log = log.With("form", view.CallbackID)
	switch {
	case s.cfg.Views == nil:
		log.Info("form not opened: no Slack client for views (Config.Views)")
		return fallback()
	case sc.TriggerID == "":
		log.Warn("form not opened: the command has no trigger_id")
		return fallback()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	id, err := s.cfg.Views.OpenView(ctx, sc.TriggerID, view)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("open view (gave up after %s): %w", s.timeout, err)
		}
		log.Warn("form not opened", "err", err)
		return fallback()
	}
	log.Info("form opened", "view", id)
	return ""
}

// formItem is one mailbox of a submitted form: its operation, and the
// block under which problems with it are shown.
type formItem struct {
	op    mailbox.Operation
	block string
}

// formErrors collects one message per block; the first one of a block
// wins.
type formErrors map[string]string

func (e formErrors) add(block, msg string) {
	if _, ok := e[block]; !ok {
		e[block] = truncateRunes(msg, maxFormError)
	}
}

func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// formState reads a view's state values by block and action id.
type formState map[string]map[string]slack.BlockAction

// get returns the state of the element action in block, or of the block's
// only element whatever its action id (an input block holds one).
func (st formState) get(block, action string) slack.BlockAction {
	if a, ok := st[block][action]; ok || len(st[block]) != 1 {
		return a
	}
	for _, a := range st[block] {
		return a
	}
	return slack.BlockAction{}
}

func (st formState) text(block string) string {
	return st.get(block, notify.FormActionText).Value
}

func (st formState) choice(block string) string {
	return st.get(block, notify.FormActionChoice).SelectedOption.Value
}

func (st formState) options(block string) []string {
	var out []string
	for _, o := range st.get(block, notify.FormActionOptions).SelectedOptions {
		out = append(out, o.Value)
	}
	return out
}

// users returns the people picked in block as mentions "<@U…>", without
// duplicates; an id of another shape is dropped.
func (st formState) users(block string) []string {
	var out []string
	a := st.get(block, notify.FormActionUsers)
	ids := a.SelectedUsers
	if a.SelectedUser != "" { // a users_select
		ids = append(ids, a.SelectedUser)
	}
	for _, id := range ids {
		if m := command.ParseMention("<@" + id + ">"); m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// splitAddresses splits pasted text into words: one address per line,
// or separated by commas, semicolons or spaces.
func splitAddresses(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// quoted shows a piece of what the person typed in a form's error (plain
// text): at most 40 characters, in quotes.
func quoted(s string) string {
	return "“" + truncateRunes(strings.ToValidUTF8(s, "\uFFFD"), 40) + "”"
}

// listed shows up to three pieces and how many more.
func listed(words []string) string {
	var q []string
	for _, w := range words[:min(3, len(words))] {
		q = append(q, quoted(w))
	}
	s := strings.Join(q, ", ")
	if n := len(words) - len(q); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// readConvertForm reads a submitted /convert-mailbox form at time now: one
// item per mailbox (the people picked first, then the addresses pasted),
// at most limit of them, or the errors to show next to the fields.
func readConvertForm(st formState, now time.Time, limit int) ([]formItem, formErrors) {
	errs := formErrors{}
	now = now.UTC()

	var items []formItem
	for _, m := range st.users(notify.FormBlockMailboxes) {
		items = append(items, formItem{op: mailbox.Operation{Mailbox: m}, block: notify.FormBlockMailboxes})
	}
	var bad, seen []string
	for _, w := range splitAddresses(st.text(notify.FormBlockAddresses)) {
		a, err := mailbox.ParseAddress(w)
		switch {
		case err != nil:
			bad = append(bad, w)
		case !slices.Contains(seen, a):
			seen = append(seen, a)
			items = append(items, formItem{op: mailbox.Operation{Mailbox: a}, block: notify.FormBlockAddresses})
		}
	}
	switch {
	case len(bad) == 1:
		errs.add(notify.FormBlockAddresses, words.FormBadAddress(quoted(bad[0])))
	case len(bad) > 1:
		errs.add(notify.FormBlockAddresses, words.FormBadAddresses(listed(bad)))
	case len(items) == 0:
		errs.add(notify.FormBlockMailboxes, words.FormNoMailbox)
	case len(items) > limit:
		block := notify.FormBlockAddresses
		if len(seen) == 0 {
			block = notify.FormBlockMailboxes
		}
		errs.add(block, words.FormTooManyMailboxes(limit, len(items)))
	}

	var opts mailbox.Options
	kind := mailbox.KindConvertToShared
	if st.choice(notify.FormBlockDirection) == notify.FormToRegular {
		kind = mailbox.KindConvertToRegular
	}
	checked := st.options(notify.FormBlockOptions)
	opts.DryRun = slices.Contains(checked, notify.FormOptDryRun)
	members := st.users(notify.FormBlockMembers)
	switch kind {
	case mailbox.KindConvertToShared:
		opts.KeepSignIn = !slices.Contains(checked, notify.FormOptBlockSignIn)
		opts.KeepSessions = !slices.Contains(checked, notify.FormOptRevokeSessions)
		opts.KeepLicenses = !slices.Contains(checked, notify.FormOptRemoveLicenses)
		if len(members) > command.MaxListed {
			errs.add(notify.FormBlockMembers, words.FormTooManyMembers(command.MaxListed, len(members)))
		}
	case mailbox.KindConvertToRegular:
		opts.Password = st.choice(notify.FormBlockCredential) == notify.FormCredentialPassword
		if len(members) > 0 {
			errs.add(notify.FormBlockMembers, words.FormMembersNotShared)
		}
	}

	at, ok := readWhen(st, now, errs)
	if ok {
		opts.At = at
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for i := range items {
		op := &items[i].op
		op.Kind, op.Options = kind, opts
		// Every list is the item's own: the bot may change one in place.
		for _, m := range members {
			if m != op.Mailbox {
				op.Options.FullAccess = append(op.Options.FullAccess, m)
				op.Options.SendAs = append(op.Options.SendAs, m)
			}
		}
	}
	return items, nil
}

// readWhen reads the day and time of day (UTC) of a scheduled conversion:
// both or neither, after now and at most command.MaxScheduleAhead later.
func readWhen(st formState, now time.Time, errs formErrors) (time.Time, bool) {
	day := st.get(notify.FormBlockDate, notify.FormActionDate).SelectedDate
	clock := st.get(notify.FormBlockTime, notify.FormActionTime).SelectedTime
	switch {
	case day == "" && clock == "":
		return time.Time{}, false
	case day == "":
		errs.add(notify.FormBlockDate, words.FormNoDay)
		return time.Time{}, false
	case clock == "":
		errs.add(notify.FormBlockTime, words.FormNoTime)
		return time.Time{}, false
	}
	d, err := time.ParseInLocation("2006-01-02", day, time.UTC)
	if err != nil {
		errs.add(notify.FormBlockDate, words.FormBadDay(quoted(day)))
		return time.Time{}, false
	}
	c, err := time.ParseInLocation("15:04", clock, time.UTC)
	if err != nil {
		errs.add(notify.FormBlockTime, words.FormBadTime(quoted(clock)))
		return time.Time{}, false
	}
	at := d.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute)
	switch {
	case !at.After(now):
		block := notify.FormBlockTime
		if d.Before(now.Truncate(24 * time.Hour)) {
			block = notify.FormBlockDate
		}
		errs.add(block, words.FormInPast(at, now))
		return time.Time{}, false
	case at.After(now.Add(command.MaxScheduleAhead)):
		errs.add(notify.FormBlockDate, words.FormTooFarAhead(now, command.MaxScheduleAhead))
		return time.Time{}, false
	}
	return at, true
}

// readSharedForm reads a submitted /shared-mailbox form: the one mailbox
// to create, or the errors to show next to the fields.
func readSharedForm(st formState) ([]formItem, formErrors) {
	errs := formErrors{}
	name := formDisplayName(st.text(notify.FormBlockName), errs)
	raw := strings.TrimSpace(st.text(notify.FormBlockAddress))
	addr, err := mailbox.ParseAddress(raw)
	if err != nil {
		errs.add(notify.FormBlockAddress, words.FormBadAddress(quoted(raw)))
	}
	members := st.users(notify.FormBlockMembers)
	if len(members) > command.MaxListed {
		errs.add(notify.FormBlockMembers, words.FormTooManyNewMembers(command.MaxListed, len(members)))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	op := mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: addr, DisplayName: name, Members: members}
	op.Options.DryRun = slices.Contains(st.options(notify.FormBlockOptions), notify.FormOptDryRun)
	return []formItem{{op: op, block: notify.FormBlockAddress}}, nil
}

// formMax is the most mailboxes one form may name: MaxFormMailboxes, or
// Config.BatchMax when set and lower, so that the form's checks do not plan
// mailboxes the bot would refuse.
func (s *Server) formMax() int {
	if s.cfg.BatchMax > 0 {
		return min(s.cfg.BatchMax, MaxFormMailboxes)
	}
	return MaxFormMailboxes
}

// formDisplayName checks a display name typed in the form, as the grammar
// does (displayName) but with plain-text errors: white space collapsed, 1
// to MaxDisplayName characters, none that Exchange refuses, no control
// characters. A form's text is not escaped by Slack.
func formDisplayName(raw string, errs formErrors) string {
	name := strings.Join(strings.Fields(strings.ToValidUTF8(raw, "")), " ")
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		errs.add(notify.FormBlockName, words.FormNoName)
		return ""
	case n > command.MaxDisplayName:
		errs.add(notify.FormBlockName, words.FormNameTooLong(command.MaxDisplayName, n))
		return ""
	}
	if i := strings.IndexAny(name, command.ForbiddenInName); i >= 0 {
		errs.add(notify.FormBlockName, words.FormNameForbidden(command.ForbiddenInName, quoted(name[i:i+1])))
		return ""
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			errs.add(notify.FormBlockName, words.FormNameControl(r))
			return ""
		}
	}
	return name
}

// viewSubmission takes a submitted form: one bot.Command per mailbox,
// accepted together, and {"response_action":"clear"}; or
// {"response_action":"errors"} with a message next to each field at fault.
// The answers to the commands go to the submitter privately: ephemeral in
// the channel the command was typed in (the form's private_metadata), or a
// direct message.
func (s *Server) viewSubmission(ctx context.Context, ic slack.InteractionCallback, log *slog.Logger) any {
	// Checks and queuing share one deadline inside Slack's 3 seconds.
	ctx, cancelAll := context.WithTimeout(ctx, formDeadline)
	defer cancelAll()
	v := ic.View
	log = log.With("user", ic.User.ID, "form", v.CallbackID, "view", v.ID)
	var st formState
	if v.State != nil {
		st = v.State.Values
	}
	var (
		items []formItem
		errs  formErrors
	)
	switch v.CallbackID {
	case notify.ConvertFormID:
		items, errs = readConvertForm(st, s.now(), s.formMax())
	case notify.SharedFormID:
		items, errs = readSharedForm(st)
	default:
		log.Debug("slack interaction ignored")
		return nil
	}
	if ic.User.ID == "" || v.ID == "" {
		log.Warn("form submission without a user or a view id ignored")
		return nil
	}
	if len(errs) > 0 {
		log.Info("form refused", "fields", slices.Sorted(maps.Keys(errs)))
		return slack.NewErrorsViewSubmissionResponse(errs)
	}
	var meta notify.FormMetadata
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil {
		log.Warn("form metadata unreadable: the answers go to a direct message", "err", err)
	}
	cmds := make([]bot.Command, len(items))
	for i, it := range items {
		cmds[i] = bot.Command{
			Op:        it.op,
			User:      ic.User.ID, // from the signed payload
			TeamID:    ic.Team.ID,
			Channel:   meta.Channel,
			TriggerID: v.ID + ":" + strconv.Itoa(i), // unique per mailbox; the same again if the form is resubmitted
		}
	}
	if errs := s.checkForm(ctx, items, cmds, log); len(errs) > 0 {
		return slack.NewErrorsViewSubmissionResponse(errs)
	}

	// Several mailboxes of one kind make one request for all of them: one
	// approval, one report (the bot's batch).
	if len(cmds) > 1 && cmds[0].Op.Kind != mailbox.KindConvertToRegular {
		all := cmds[0]
		all.TriggerID = v.ID
		all.Op.Options.FullAccess, all.Op.Options.SendAs = nil, nil
		for _, c := range cmds {
			all.Mailboxes = append(all.Mailboxes, c.Op.Mailbox)
			// Members of all: the bot leaves each mailbox out of its own list.
			for _, m := range c.Op.Options.FullAccess {
				if !slices.Contains(all.Op.Options.FullAccess, m) {
					all.Op.Options.FullAccess = append(all.Op.Options.FullAccess, m)
				}
			}
			for _, m := range c.Op.Options.SendAs {
				if !slices.Contains(all.Op.Options.SendAs, m) {
					all.Op.Options.SendAs = append(all.Op.Options.SendAs, m)
				}
			}
		}
		cmds, items = []bot.Command{all}, items[:1]
	}
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for i, c := range cmds {
		if err := s.cfg.Bot.AcceptCommand(actx, c); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("accept command (gave up after %s): %w", s.timeout, err)
			}
			log.Error("command not queued", "op", c.Op.Kind, "mailbox", c.Op.Mailbox, "queued", i, "of", len(cmds), "err", err)
			errs := formErrors{}
			errs.add(items[i].block, words.FormQueueDown(i, len(cmds)))
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
		log.Info("command queued", "op", c.Op.Kind, "mailbox", c.Op.Mailbox, "dry_run", c.Op.Options.DryRun, "trigger", c.TriggerID)
	}
	return slack.NewClearViewSubmissionResponse()
}

// formDeadline is how long a form submission may take in all, leaving room
// in Slack's 3 seconds for the network.
const formDeadline = 2800 * time.Millisecond

// checkForm asks the FormChecker whether the requester may ask, once, then
// about every command at once, within Config.FormCheckTimeout in all, and
// returns the problems by block. A command whose check fails or does not
// answer in time goes ahead.
func (s *Server) checkForm(ctx context.Context, items []formItem, cmds []bot.Command, log *slog.Logger) formErrors {
	if s.cfg.Checker == nil || len(cmds) == 0 {
		return nil
	}
	budget := s.cfg.FormCheckTimeout
	if budget <= 0 {
		budget = defaultFormCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	if p := s.cfg.Checker.CheckRequester(ctx, cmds[0]); p != "" {
		if ctx.Err() != nil {
			log.Warn("form checks out of time: the unchecked commands go ahead", "checked", 0, "of", len(cmds), "budget", budget)
			return nil
		}
		// The same for every mailbox: once next to each field that names one.
		errs := formErrors{}
		for _, it := range items {
			if _, ok := errs[it.block]; !ok {
				errs.add(it.block, strings.TrimSpace(p))
			}
		}
		return errs
	}
	type result struct {
		i       int
		problem string
		err     error
	}
	// Buffered: a check that answers after the budget does not block.
	results := make(chan result, len(cmds))
	sem := make(chan struct{}, formChecksAtOnce)
	for i, c := range cmds {
		go func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results <- result{i: i, err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			p, err := s.cfg.Checker.CheckMailbox(ctx, c)
			results <- result{i, p, err}
		}()
	}

	problems := make([]string, len(cmds))
wait:
	for answered := 0; answered < len(cmds); answered++ {
		select {
		case r := <-results:
			switch {
			case r.err != nil:
				log.Warn("form check failed: the command goes ahead", "mailbox", cmds[r.i].Op.Mailbox, "err", r.err)
			case r.problem != "":
				problems[r.i] = r.problem
			}
		case <-ctx.Done():
			log.Warn("form checks out of time: the unchecked commands go ahead", "checked", answered, "of", len(cmds), "budget", budget)
			break wait
		}
	}
	byBlock := map[string][]string{}
	var blocks []string
	for i, p := range problems {
		if p == "" {
			continue
		}
		b := items[i].block
		if _, ok := byBlock[b]; !ok {
			blocks = append(blocks, b)
		}
		byBlock[b] = append(byBlock[b], strings.TrimSpace(p))
	}
	if len(blocks) == 0 {
		return nil
	}
	errs := formErrors{}
	for _, b := range blocks {
		errs.add(b, strings.Join(byBlock[b], " "))
	}
	log.Info("form refused after checks", "fields", blocks)
	return errs
}
