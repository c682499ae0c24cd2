package notify_test

import (
	"time"

	"github.com/mailboxbot/mailboxbot/bot"
	"github.com/mailboxbot/mailboxbot/mailbox"
)

// t0 is 2025-11-21 10:00 UTC, Unix 1763719200.
var t0 = time.Date(2025, 11, 21, 10, 0, 0, 0, time.UTC)

const (
	reqID     = "req_01JD3K7Q"
	requester = "U0RITA"
	manager   = "U0MARIA"
)

func convertPlan() mailbox.Plan {
	return mailbox.Plan{
		Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "alice@contoso.com"},
		Target: mailbox.Target{
			UserID:               "0b1c2d3e-1111-2222-3333-444455556666",
			UserPrincipalName:    "alice@contoso.com",
			DisplayName:          "Alice Andersen",
			RecipientTypeDetails: mailbox.RecipientUserMailbox,
			AccountEnabled:       true,
			ManagerEmail:         "maria@contoso.com",
			ManagerName:          "Maria Manager",
		},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Warning, Rule: 3, Text: "alice@contoso.com has a litigation hold: the license stays after the conversion."},
			{Severity: mailbox.Info, Rule: 7, Text: "Inbox rules are kept after the conversion."},
			{Severity: mailbox.Info, Rule: 5, Text: "The user account is kept: it anchors the shared mailbox. Do not delete it."},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepConvertToShared, Title: "Convert to a shared mailbox (Set-Mailbox -Type Shared)"},
			{Name: mailbox.StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"},
			{Name: mailbox.StepBlockSignIn, Title: "Block sign-in of the account (rule 6)"},
		},
	}
}

func blockedPlan() mailbox.Plan {
	p := convertPlan()
	p.Op.Mailbox = "bob@contoso.com"
	p.Target = mailbox.Target{
		UserID: "9f8e7d6c-0000-1111-2222-333344445555", UserPrincipalName: "bob@contoso.com",
		DisplayName: "Bob & Sons <Sales>", RecipientTypeDetails: mailbox.RecipientUserMailbox, AccountEnabled: true,
	}
	p.Findings = []mailbox.Finding{
		{Severity: mailbox.Blocker, Rule: 8,
			Text: "bob@contoso.com is synchronised from on-premises Active Directory; a change made in the cloud would be overwritten.",
			Fix:  "Convert it on your Exchange server (2013 CU21 / 2016 CU10 or later) with: Set-RemoteMailbox -Identity bob@contoso.com -Type Shared"},
		{Severity: mailbox.Info, Rule: 7, Text: "Inbox rules are kept after the conversion."},
	}
	return p
}

// pending is a request waiting for its approver, created at t0.
func pending() *bot.Request {
	p := convertPlan()
	r := &bot.Request{
		ID:             reqID,
		Version:        1,
		Op:             p.Op,
		Plan:           p,
		Requester:      requester,
		TeamID:         "T0001",
		Channel:        "C0HELPDESK",
		Approvers:      []string{manager},
		ApproverSource: "manager",
		State:          bot.StatePending,
		CreatedAt:      t0,
		UpdatedAt:      t0,
		ExpiresAt:      t0.Add(24 * time.Hour),
		History:        []bot.Event{{At: t0, Actor: requester, Type: "created", To: bot.StatePending}},
	}
	for _, s := range p.Steps {
		r.Steps = append(r.Steps, bot.StepState{Step: s})
	}
	return r
}

func decided(approved bool) *bot.Request {
	r := pending()
	at := t0.Add(12 * time.Minute)
	r.Decision = &bot.Decision{By: manager, At: at, Approved: approved}
	r.State = bot.StateRejected
	if approved {
		r.State = bot.StateApproved
	}
	r.UpdatedAt = at
	r.Record(bot.Event{At: at, Actor: manager, Type: string(r.State), From: bot.StatePending, To: r.State})
	return r
}

func expired() *bot.Request {
	r := pending()
	r.State = bot.StateExpired
	r.UpdatedAt = r.ExpiresAt.Add(3 * time.Second)
	r.Record(bot.Event{At: r.UpdatedAt, Actor: "bot", Type: "expired", From: bot.StatePending, To: bot.StateExpired})
	return r
}

func succeeded() *bot.Request {
	r := decided(true)
	r.State = bot.StateSucceeded
	start := t0.Add(13 * time.Minute)
	r.Steps[0].Status, r.Steps[0].Detail = mailbox.Done, "Set-Mailbox -Type Shared accepted"
	r.Steps[1].Status, r.Steps[1].Detail, r.Steps[1].Attempts = mailbox.Done, "Exchange reports SharedMailbox", 3
	r.Steps[2].Status, r.Steps[2].Detail = mailbox.Skipped, "sign-in was already blocked"
	for i := range r.Steps {
		r.Steps[i].StartedAt = start
		r.Steps[i].EndedAt = start.Add(time.Minute)
	}
	r.UpdatedAt = start.Add(4 * time.Minute)
	return r
}

func running() *bot.Request {
	r := decided(true)
	r.State = bot.StateWaiting
	r.Steps[0].Status, r.Steps[0].Detail = mailbox.Done, "Set-Mailbox -Type Shared accepted"
	r.Steps[1].Status, r.Steps[1].Detail, r.Steps[1].Attempts = mailbox.Pending, "Exchange still reports UserMailbox", 2
	r.UpdatedAt = t0.Add(15 * time.Minute)
	return r
}

func failedReq() *bot.Request {
	r := decided(true)
	r.State = bot.StateFailed
	r.Steps[0].Status, r.Steps[0].Detail = mailbox.Done, "Set-Mailbox -Type Shared accepted"
	r.Steps[1].Status, r.Steps[1].Attempts = bot.StepFailed, 5
	r.Steps[1].Error = "The operation couldn't be performed because object 'alice@contoso.com' couldn't be found on 'AM6PR04A008DC01.EURPR04A008.prod.outlook.com'."
	r.Failure = "Verify that Exchange reports SharedMailbox failed: Microsoft answered HTTP 404 NotFound."
	r.UpdatedAt = t0.Add(20 * time.Minute)
	return r
}
