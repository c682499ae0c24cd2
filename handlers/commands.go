package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// CommandName is the /convert-mailbox command's usual name. Any command
// whose name contains it is accepted, since administrators rename commands
// (/convert-mailbox-test, /test-convert-mailbox); SharedCommandName
// likewise.
const CommandName = "convert-mailbox"

// Answers to slash commands that are not about the grammar.
const (
	textQueueDown = "I can't take requests right now: my queue is unreachable. Nothing was requested; " +
		"please try again in a minute, and tell the bot's administrators if it persists."
	textWrongTenant = "This bot is not set up for this workspace or app. Nothing was requested."
	textUnreadable  = "I couldn't read this command from Slack. Nothing was requested; please try again."
)

// handleCommand answers a verified slash command over HTTP. Every answer
// is an ephemeral message with HTTP 200, or an empty 200 when there is
// nothing to say (a form was opened).
func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.UserID == "" || sc.Command == "" {
		s.log.Warn("slash command unreadable", "command", sc.Command, "err", err)
		writeEphemeral(w, textUnreadable)
		return
	}
	text := s.Command(r.Context(), sc)
	if text == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	writeEphemeral(w, text)
}

// Command answers a slash command, whatever carried it (HTTP or Socket
// Mode): the text of the private answer, or "" for no message (the command
// had no text and its form was opened: answer with an empty HTTP 200, or
// an acknowledgement without payload). The only calls it makes are
// Bot.AcceptCommand or, for an empty text, Views.OpenView, bounded by the
// accept timeout, so it returns well within Slack's 3 seconds.
func (s *Server) Command(ctx context.Context, sc slack.SlashCommand) string {
	var err error
	log := s.log.With("user", sc.UserID, "team", sc.TeamID, "command", sc.Command)
	if !s.sameTenant(sc.TeamID, sc.APIAppID) {
		log.Warn("slash command from another workspace or app refused", "app", sc.APIAppID)
		return textWrongTenant
	}
	cmd := sc.Command
	lc := strings.ToLower(cmd)
	shared := strings.Contains(lc, SharedCommandName)
	var p Parsed
	switch {
	case shared:
		p, err = ParseShared(sc.Text)
	case strings.Contains(lc, CommandName):
		p, err = ParseConvert(sc.Text, s.now())
	default:
		log.Warn("unknown slash command")
		return fmt.Sprintf("I don't know the command %s. Nothing was requested.", quote(cmd))
	}
	if err != nil {
		log.Info("slash command not understood", "err", err)
		usage := usageLine(cmd)
		if shared {
			sub := ""
			if ue := (*UsageError)(nil); errors.As(err, &ue) {
				sub = ue.Sub
			}
			usage = sharedUsageLine(cmd, sub)
		}
		return err.Error() + " " + usage
	}
	switch p.Verb {
	case VerbHelp:
		if p.Empty {
			return s.openForm(ctx, sc, shared, log)
		}
		if shared {
			return sharedHelpText(cmd, s.cfg.Approvals)
		}
		return helpText(cmd)
	case VerbConvert, VerbShared, VerbRequest:
	default:
		// The parsers return only the verbs above.
		log.Error("slash command parsed to an unknown verb", "verb", p.Verb)
		return textUnreadable
	}

	c := bot.Command{
		Op:          p.Op,
		Action:      p.Action,
		RequestID:   p.RequestID,
		User:        sc.UserID,
		TeamID:      sc.TeamID,
		Channel:     sc.ChannelID,
		ResponseURL: sc.ResponseURL,
		TriggerID:   sc.TriggerID,
		Mailboxes:   p.Mailboxes,
	}
	if c.Action != "" {
		log = log.With("action", c.Action, "request", c.RequestID)
	} else {
		log = log.With("op", c.Op.Kind, "mailbox", c.Op.Mailbox)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.cfg.Bot.AcceptCommand(ctx, c); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("accept command (gave up after %s): %w", s.timeout, err)
		}
		log.Error("command not queued", "err", err)
		return textQueueDown
	}
	if c.Action != "" {
		log.Info("command queued")
		return requestText(c.Action, c.RequestID)
	}
	log.Info("command queued", "kind", c.Op.Kind, "dry_run", c.Op.Options.DryRun)
	return checkingText(c.Op)
}

// checkingText is the immediate answer to a queued command.
func checkingText(op mailbox.Operation) string {
	switch op.Kind {
	case mailbox.KindCreateShared, mailbox.KindGrant, mailbox.KindRevoke, mailbox.KindMembers:
		return sharedCheckingText(op)
	}
	if op.Options.DryRun {
		return fmt.Sprintf("Checking %s… (dry run: nothing will be changed) I'll answer here in a moment.", op.Mailbox)
	}
	return fmt.Sprintf("Checking %s… I'll answer here in a moment.", op.Mailbox)
}
