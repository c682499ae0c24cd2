package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/handlers/command"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Names of the two commands. Any command whose name contains one is
// accepted as that command, since administrators rename commands
// (/convert-mailbox-test, /test-convert-mailbox).
const (
	CommandName       = "convert-mailbox"
	SharedCommandName = "shared-mailbox"
)

// handleCommand answers a verified slash command over HTTP. Every answer
// is an ephemeral message with HTTP 200, or an empty 200 when there is
// nothing to say (a form was opened).
func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.UserID == "" || sc.Command == "" {
		s.log.Warn("slash command unreadable", "command", sc.Command, "err", err)
		writeEphemeral(w, words.Unreadable())
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
		return words.WrongTenant()
	}
	cmd := sc.Command
	lc := strings.ToLower(cmd)
	shared := strings.Contains(lc, SharedCommandName)
	var p command.Parsed
	switch {
	case shared:
		p, err = command.ParseShared(sc.Text)
	case strings.Contains(lc, CommandName):
		p, err = command.ParseConvert(sc.Text, s.now())
	default:
		log.Warn("unknown slash command")
		return words.UnknownCommand(command.Code(cmd))
	}
	if err != nil {
		log.Info("slash command not understood", "err", err)
		if shared {
			return err.Error() + " " + command.SharedUsage(cmd, err)
		}
		return err.Error() + " " + command.ConvertUsage(cmd, err)
	}
	switch p.Verb {
	case command.VerbHelp:
		if p.Empty {
			return s.openForm(ctx, sc, shared, log)
		}
		return s.help(cmd, shared, p.Help)
	case command.VerbConvert, command.VerbShared, command.VerbRequest:
	default:
		// The parsers return only the verbs above.
		log.Error("slash command parsed to an unknown verb", "verb", p.Verb)
		return words.Unreadable()
	}

	if limit := s.cfg.BatchMax; limit > 0 && len(p.Mailboxes) > limit {
		log.Info("slash command names too many mailboxes", "mailboxes", len(p.Mailboxes), "limit", limit)
		return words.TooManyMailboxes(limit, len(p.Mailboxes))
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
		return words.QueueDown()
	}
	if c.Action != "" {
		log.Info("command queued")
		return requestText(c.Action, c.RequestID)
	}
	log.Info("command queued", "kind", c.Op.Kind, "dry_run", c.Op.Options.DryRun)
	return words.Checking(c.Op)
}

// help is a page of a command's help (shared: /shared-mailbox's), with the
// approval policy in force.
func (s *Server) help(cmd string, shared bool, page command.Page) string {
	text, kinds := command.ConvertHelpMax(cmd, page, s.cfg.Policy, s.cfg.BatchMax), []mailbox.Kind{mailbox.KindConvertToShared, mailbox.KindConvertToRegular}
	if shared {
		text, kinds = command.SharedHelp(cmd, page, s.cfg.Policy), []mailbox.Kind{mailbox.KindCreateShared, mailbox.KindGrant, mailbox.KindRevoke}
	}
	if more := command.ApprovalsHelp(s.cfg.Approvals, kinds...); page == command.PageApproval && more != "" {
		text += "\n" + more
	}
	return text
}

// requestText is the immediate answer to a queued request command.
func requestText(action, id string) string {
	switch action {
	case bot.CommandList:
		return words.Listing()
	case bot.CommandCancel:
		return words.Cancelling(id)
	case bot.CommandUndo:
		return words.Undoing(id)
	}
	return words.LookingUp(id)
}
