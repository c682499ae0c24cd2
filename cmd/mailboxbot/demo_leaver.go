package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mailboxbot/mailboxbot/handlers/notify"
	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/mailbox"
	"github.com/mailboxbot/mailboxbot/mailbox/sandbox"
)

// leaver is the third act (issue 16): a leaver's mailbox becomes shared;
// his rights on other mailboxes are taken away and his manager gets
// access, so the configured approver decides. Then Rita presses Undo:
// the undo is approved and run, and everything is as it was.
func (p *player) leaver() error {
	fmt.Fprintln(p.out, "\n── Act 3: Leo leaves; his rights elsewhere go, his manager gets his mailbox; then it is undone ──")
	if err := p.command("U0RITA", "leo@contoso.com remove-access manager-access"); err != nil {
		return err
	}
	if _, err := p.waitFor("the leaver's plan", ephemeralTo("U0RITA", "leo@contoso.com", "projects@contoso.com", "will be asked to approve")); err != nil {
		return err
	}
	ask, err := p.waitFor("Ada's approval request for leo@", dmTo("U0ADA", "leo@contoso.com", "billing@contoso.com", "hr@contoso.com", "the approvers decide", "[Approve]"))
	if err != nil {
		return err
	}
	p.printNew()
	p.say("Ada (Maria, Leo's manager, gains access, so the configured approver decides) clicks Approve")
	if err := p.click("U0ADA", ask); err != nil {
		return err
	}
	done, err := p.waitFor("the end of the leaver's conversion", dmTo("U0RITA", "is done: leo@contoso.com is now a shared mailbox"))
	if err != nil {
		return err
	}
	if _, err := p.waitFor("Maria's guidance on Leo's mailbox", dmTo("U0MARIA", "leo@contoso.com", "Full Access")); err != nil {
		return err
	}
	p.printNew()

	p.say("Rita presses Undo on her report, and confirms")
	if err := p.press("U0RITA", done, notify.ActionUndo); err != nil {
		return err
	}
	if _, err := p.waitFor("the undo's plan", ephemeralTo("U0RITA", "undo `req_", "leo@contoso.com", "will be asked to approve")); err != nil {
		return err
	}
	undoAsk, err := p.waitFor("the undo's approval request", func(e slacktest.Entry) bool {
		return strings.HasPrefix(e.Channel, "D") && e.Channel != "DU0RITA" && containsAll(e.Text, []string{"undo `req_", "leo@contoso.com", "[Approve]"})
	})
	if err != nil {
		return err
	}
	p.printNew()
	approver := strings.TrimPrefix(undoAsk.Channel, "D")
	p.say("%s clicks Approve on the undo", name(approver))
	if err := p.click(approver, undoAsk); err != nil {
		return err
	}
	if _, err := p.waitFor("the end of the undo", dmTo("U0RITA", "is undone", "leo@contoso.com")); err != nil {
		return err
	}
	for _, mb := range []string{"projects@contoso.com", "billing@contoso.com", "hr@contoso.com"} {
		if _, err := p.waitFor("Leo's guidance on "+mb, dmTo("U0LEO", mb)); err != nil {
			return err
		}
	}
	if _, err := p.waitFor("the audit message of the undo", func(e slacktest.Entry) bool {
		return e.Channel == demoAuditChannel && strings.Contains(e.Text, "undo") && strings.Contains(e.Text, "succeeded")
	}); err != nil {
		return err
	}
	p.printNew()
	return nil
}

// printLeaverRights prints, after the undo, who holds which right on the
// mailboxes of act 3: Leo's rights elsewhere are back, Maria's on his
// mailbox gone.
func printLeaverRights(ctx context.Context, w io.Writer, tenant *sandbox.Tenant) {
	for _, mbx := range []string{"projects@contoso.com", "billing@contoso.com", "hr@contoso.com", "leo@contoso.com"} {
		var rights []string
		for _, get := range []func(context.Context, string) ([]mailbox.Permission, error){tenant.MailboxPermissions, tenant.RecipientPermissions} {
			perms, _ := get(ctx, mbx)
			for _, p := range mailbox.Explicit(perms) {
				rights = append(rights, p.User+" "+strings.Join(p.AccessRights, ", "))
			}
		}
		mb, _ := tenant.GetMailbox(ctx, mbx)
		for _, who := range mb.GrantSendOnBehalfTo {
			rights = append(rights, who+" SendOnBehalf")
		}
		if len(rights) == 0 {
			rights = []string{"nobody"}
		}
		fmt.Fprintf(w, "  rights on %s: %s.\n", mbx, strings.Join(rights, "; "))
	}
}
