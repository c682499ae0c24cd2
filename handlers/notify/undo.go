package notify

import (
	"time"

	"github.com/slack-go/slack"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// Undo (issue 16): the Undo button of a succeeded request's report, and
// the links between a request and its undo on every message that shows a
// request's context line.

// ActionUndo is the Undo button's action id; UndoBlockID + request id its
// block's id.
const (
	ActionUndo  = bot.ActionUndo
	UndoBlockID = "undo:"
)

// CanUndo reports whether r's report offers Undo at now: it succeeded and
// its undo window (bot.Request.UndoUntil) is still open. Who clicks is
// checked by the bot.
func CanUndo(r *bot.Request, now time.Time) bool {
	return r.State == bot.StateSucceeded && now.Before(r.UndoUntil)
}

// undoBlocks offers to undo r: until when, and the Undo button with a
// confirm dialog.
func undoBlocks(r *bot.Request) []slack.Block {
	button := slack.NewButtonBlockElement(ActionUndo, r.ID, plain(words.UndoButton, 75)).
		WithConfirm(slack.NewConfirmationBlockObject(
			plain(words.UndoTitle, maxTitleText),
			plain(words.UndoConfirm(mailboxOf(r)), maxConfirmText),
			plain(words.UndoOK, 30),
			plain(words.CancelButton, 30)))
	return []slack.Block{section("undo", words.UndoOffer(r.UndoUntil)), slack.NewActionBlock(UndoBlockID+r.ID, button)}
}

// undoRefs is what a request's context line says of undo: the request it
// undoes, the undo asked of it; "" for neither.
func undoRefs(r *bot.Request) string {
	of := ""
	if r.Op.Undo != nil {
		of = r.Op.Undo.Of
	}
	return words.UndoRefs(of, r.UndoneBy)
}

// undoFacts is what an undo does besides its steps, for planFacts: which
// request it undoes, the rights and the sign-in it gives back (named, as
// every right given is, with the other mailbox a leaver's right is given
// back on), the automatic reply, forwarding and visibility it puts back
// as the request recorded them, and that a created mailbox is kept.
func undoFacts(u *mailbox.Undo) []fact {
	fs := []fact{{text: words.UndoesFact(u.Of), plain: words.UndoesPlain(u.Of)}}
	type where struct {
		step mailbox.StepName
		on   string
	}
	back := map[where][]string{}
	var order []where
	var settings []fact
	for _, s := range u.Done {
		switch s.Name {
		case mailbox.StepBlockSignIn:
			if u.Kind == mailbox.KindConvertToShared {
				fs = append(fs, fact{text: words.SignInBack, plain: words.SignInBack, right: true})
			}
		case mailbox.StepRevokeFullAccess, mailbox.StepRevokeSendAs, mailbox.StepRevokeSendOnBehalf:
			w := where{s.Name, s.On}
			if _, ok := back[w]; !ok {
				order = append(order, w)
			}
			back[w] = append(back[w], s.Arg)
		case mailbox.StepCreateShared:
			fs = append(fs, fact{text: words.MailboxKept, plain: words.MailboxKept})
		case mailbox.StepSetAutoReply, mailbox.StepAutoReplyOff:
			var a *mailbox.AutoReply
			if s.Settings != nil {
				a = s.Settings.AutoReply
			}
			settings = append(settings, fact{text: words.AutoReplyBack(a, false), plain: words.AutoReplyBack(a, true)})
		case mailbox.StepForward:
			settings = append(settings, fact{text: words.ForwardingBack(s.Settings, false), plain: words.ForwardingBack(s.Settings, true)})
		case mailbox.StepHide:
			settings = append(settings, fact{text: words.ShownAgain, plain: words.ShownAgain})
		}
	}
	right := map[mailbox.StepName]mailbox.Right{mailbox.StepRevokeFullAccess: mailbox.FullAccess, mailbox.StepRevokeSendAs: mailbox.SendAs, mailbox.StepRevokeSendOnBehalf: mailbox.SendOnBehalf}
	for _, w := range order {
		note := ""
		if w.on != "" {
			note = words.RightOn(w.on)
		}
		fs = append(fs, rightFact(words.RightName(right[w.step]), back[w], note))
	}
	return append(fs, settings...)
}
