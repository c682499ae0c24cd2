package bot

import (
	"context"

	"github.com/mailboxbot/mailboxbot/internal/words"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// A leaver's conversion to shared (issue 16): the options left to the
// bot's settings, and the progress of a plan that reads many mailboxes.

// leaverDefaults fills in, for a conversion to shared, what the requester
// left to the bot's settings: the owner's rights on other mailboxes are
// taken away (rule 18) unless keep-access, and the manager gets access
// only when asked. The operation stored with the request then says what
// was decided, so that a later change of the settings does not change a
// request already made.
func (s *Service) leaverDefaults(op mailbox.Operation) mailbox.Operation {
	if op.Kind != mailbox.KindConvertToShared {
		return op
	}
	o := &op.Options
	if !o.RemoveAccess && !o.KeepAccess {
		o.RemoveAccess = s.cfg.LeaverRemoveAccess
	}
	if !o.ManagerAccess && !o.NoManagerAccess {
		o.ManagerAccess = s.cfg.LeaverManagerAccess
	}
	return op
}

// A plan that reads at least accessProgressMin mailboxes tells the
// requester how far it went, at most accessProgressAnswers times (a
// response_url takes five messages in all, and the plan's answer is one).
const (
	accessProgressMin     = 20
	accessProgressAnswers = 3
)

// planProgress is the mailbox.Progress of the plan of mbx, answered to
// the requester (to), each answer replacing the last.
func (s *Service) planProgress(ctx context.Context, to ReplyTo, mbx string) mailbox.Progress {
	shown := 0
	return func(done, total int) {
		if total < accessProgressMin {
			return
		}
		step := done * (accessProgressAnswers + 1) / total
		if step <= shown || step > accessProgressAnswers {
			return
		}
		shown = step
		s.answer(ctx, to, Answer{Text: words.AccessProgress(mbx, done, total), Replace: true})
	}
}
