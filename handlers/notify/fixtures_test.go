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
			LicensesKept:         "litigation hold (rule 3)",
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

// sizeBig is a 63.2 GB mailbox (Exchange's GB: 2^30 bytes).
const sizeBig = 67_860_000_000

// optionsReq is a pending conversion to shared with options: members
// without automapping, sessions kept, scheduled for the next evening, and
// a mailbox too big to lose its license (rule 2).
func optionsReq() *bot.Request {
	r := pending()
	r.Op.Options = mailbox.Options{
		KeepSessions:  true,
		FullAccess:    []string{"bob@contoso.com", "carol@contoso.com"},
		SendAs:        []string{"bob@contoso.com", "carol@contoso.com"},
		NoAutoMapping: true,
		At:            time.Date(2025, 11, 22, 18, 0, 0, 0, time.UTC),
	}
	r.Plan.Op = r.Op
	r.Plan.Target.SizeBytes = sizeBig
	r.Plan.Target.LicensesKept = "the mailbox holds 63.2 GB; without a license a shared mailbox holds 50 GB (rule 2)"
	r.Plan.Findings = []mailbox.Finding{
		{Severity: mailbox.Warning, Rule: 2, Text: "License kept: the mailbox is 63.2 GB, over the 50 GB a shared mailbox holds without one."},
		{Severity: mailbox.Info, Rule: 7, Text: "Inbox rules are kept after the conversion."},
		{Severity: mailbox.Info, Rule: 5, Text: "The user account is kept: it anchors the shared mailbox. Do not delete it."},
	}
	r.Plan.Steps = []mailbox.Step{
		{Name: mailbox.StepBlockSignIn, Title: "Block sign-in of the account (rule 6)"},
		{Name: mailbox.StepGrantFullAccess, Title: "Give bob@contoso.com Full Access (no automapping)", Arg: "bob@contoso.com", NoAutoMapping: true},
		{Name: mailbox.StepGrantFullAccess, Title: "Give carol@contoso.com Full Access (no automapping)", Arg: "carol@contoso.com", NoAutoMapping: true},
		{Name: mailbox.StepGrantSendAs, Title: "Give bob@contoso.com Send As", Arg: "bob@contoso.com"},
		{Name: mailbox.StepGrantSendAs, Title: "Give carol@contoso.com Send As", Arg: "carol@contoso.com"},
		{Name: mailbox.StepConvertToShared, Title: "Convert to a shared mailbox (Set-Mailbox -Type Shared)"},
		{Name: mailbox.StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"},
	}
	r.Steps = nil
	for _, s := range r.Plan.Steps {
		r.Steps = append(r.Steps, bot.StepState{Step: s})
	}
	return r
}

// dryRunDone is a dry run of the default conversion that went through:
// each step says what it would have done.
func dryRunDone() *bot.Request {
	r := decided(true)
	r.Op.Options.DryRun = true
	r.Plan.Op = r.Op
	r.Plan.Target.LicensesKept = ""
	r.Plan.Steps = []mailbox.Step{
		{Name: mailbox.StepRevokeSessions, Title: "Revoke the user's sessions"},
		{Name: mailbox.StepBlockSignIn, Title: "Block sign-in of the account (rule 6)"},
		{Name: mailbox.StepConvertToShared, Title: "Convert to a shared mailbox (Set-Mailbox -Type Shared)"},
		{Name: mailbox.StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"},
		{Name: mailbox.StepRemoveLicenses, Title: "Remove the direct licenses after verification", Arg: "6fd2c87f-b296-42f0-b197-1e91e994b900"},
	}
	r.Steps = nil
	for _, s := range r.Plan.Steps {
		r.Steps = append(r.Steps, bot.StepState{Step: s, Status: mailbox.Done})
	}
	r.Steps[0].Detail = "would POST /users/0b1c2d3e-1111-2222-3333-444455556666/revokeSignInSessions"
	r.Steps[1].Status, r.Steps[1].Detail = mailbox.Skipped, "sign-in is already blocked"
	r.Steps[2].Detail = `would run Set-Mailbox {"Identity":"alice@contoso.com","Type":"Shared"}`
	r.Steps[3].Detail = "would check that Exchange reports SharedMailbox"
	r.Steps[4].Detail = `would POST /users/0b1c2d3e-1111-2222-3333-444455556666/assignLicense {"addLicenses":[],"removeLicenses":["6fd2c87f-b296-42f0-b197-1e91e994b900"]}`
	r.State = bot.StateSucceeded
	r.UpdatedAt = t0.Add(14 * time.Minute)
	return r
}

// retryable is failedReq that may be retried for a day.
func retryable() *bot.Request {
	r := failedReq()
	r.RetryUntil = r.UpdatedAt.Add(24 * time.Hour)
	return r
}

// retrying is running() while step 1 is retried after a passing fault.
func retrying() *bot.Request {
	r := running()
	r.Steps[0].Status, r.Steps[0].Attempts = mailbox.Pending, 2
	r.Steps[0].Detail = "Microsoft was busy (“The server is busy. Please try again later.”); trying again"
	r.Steps[0].Error = "The server is busy. Please try again later."
	r.Steps[1].Status, r.Steps[1].Detail, r.Steps[1].Attempts = "", "", 0
	return r
}

// regularPlan converts a shared mailbox back to a user mailbox (rule 9).
func regularPlan() mailbox.Plan {
	return mailbox.Plan{
		Op: mailbox.Operation{Kind: mailbox.KindConvertToRegular, Mailbox: "alice@contoso.com"},
		Target: mailbox.Target{
			UserID:               "0b1c2d3e-1111-2222-3333-444455556666",
			UserPrincipalName:    "alice@contoso.com",
			DisplayName:          "Alice Andersen",
			RecipientTypeDetails: mailbox.RecipientSharedMailbox,
			ManagerEmail:         "maria@contoso.com",
			ManagerName:          "Maria Manager",
			SizeBytes:            15_687_850_951,
		},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Info, Rule: 9, Text: "License chosen: Office 365 E3 (ENTERPRISEPACK), 12 free units, includes Exchange Online."},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepAssignLicense, Title: "Assign the license Office 365 E3 (ENTERPRISEPACK)", Arg: "6fd2c87f-b296-42f0-b197-1e91e994b900"},
			{Name: mailbox.StepConvertToRegular, Title: "Convert to a user mailbox (Set-Mailbox -Type Regular)"},
			{Name: mailbox.StepVerifyRegular, Title: "Verify that Exchange reports UserMailbox"},
			{Name: mailbox.StepEnableSignIn, Title: "Enable sign-in of the account"},
			{Name: mailbox.StepIssueCredential, Title: "Create a Temporary Access Pass and send it to you privately", Arg: "tap"},
		},
	}
}

// deletedPlan recovers a deleted user's mailbox and converts it (rule 10).
func deletedPlan() mailbox.Plan {
	return mailbox.Plan{
		Op: mailbox.Operation{Kind: mailbox.KindConvertToShared, Mailbox: "dan@contoso.com",
			Options: mailbox.Options{FullAccess: []string{"bob@contoso.com"}, SendAs: []string{"bob@contoso.com"}}},
		Target: mailbox.Target{
			UserID:            "7a6b5c4d-aaaa-bbbb-cccc-ddddeeeeffff",
			UserPrincipalName: "dan@contoso.com",
			DisplayName:       "Dan Dekker",
			Deleted:           true,
		},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Warning, Rule: 10, Text: "dan@contoso.com was deleted on 2025-11-10; it can be restored until 2025-12-10."},
			{Severity: mailbox.Info, Rule: 10, Text: "The mailbox comes back 20-30 minutes after the account is restored; the bot waits for it, up to 2 hours."},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepRestoreUser, Title: "Restore the deleted account"},
			{Name: mailbox.StepAssignLicense, Title: "Assign the license Office 365 E3 (ENTERPRISEPACK)", Arg: "6fd2c87f-b296-42f0-b197-1e91e994b900"},
			{Name: mailbox.StepResetPassword, Title: "Reset the password (shown to no one)"},
			{Name: mailbox.StepBlockSignIn, Title: "Block sign-in of the account (rule 6)"},
			{Name: mailbox.StepWaitMailbox, Title: "Wait until the mailbox exists again"},
			{Name: mailbox.StepConvertToShared, Title: "Convert to a shared mailbox (Set-Mailbox -Type Shared)"},
			{Name: mailbox.StepVerifyShared, Title: "Verify that Exchange reports SharedMailbox"},
			{Name: mailbox.StepRemoveLicenses, Title: "Remove the direct licenses after verification", Arg: "6fd2c87f-b296-42f0-b197-1e91e994b900"},
			{Name: mailbox.StepGrantFullAccess, Title: "Give bob@contoso.com Full Access", Arg: "bob@contoso.com"},
			{Name: mailbox.StepGrantSendAs, Title: "Give bob@contoso.com Send As", Arg: "bob@contoso.com"},
		},
	}
}

// requestOf is a pending request for plan.
func requestOf(p mailbox.Plan) *bot.Request {
	r := pending()
	r.Op, r.Plan, r.Steps = p.Op, p, nil
	for _, s := range p.Steps {
		r.Steps = append(r.Steps, bot.StepState{Step: s})
	}
	return r
}

// createPlan creates support@contoso.com, “Sales Team”, with a member by
// address and one by mention (rules 11, 12).
func createPlan() mailbox.Plan {
	op := mailbox.Operation{Kind: mailbox.KindCreateShared, Mailbox: "support@contoso.com", DisplayName: "Sales & Support Team",
		Members: []string{"kim@contoso.com", "<@U0LEE>"}}
	return mailbox.Plan{
		Op: op,
		Target: mailbox.Target{UserID: "support@contoso.com", UserPrincipalName: "support@contoso.com",
			DisplayName: "Sales & Support Team", RecipientTypeDetails: "(new)"},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Info, Rule: 11, Text: "The mailbox's own account gets a password nobody knows, and its sign-in is blocked: people use the mailbox through their own accounts."},
			{Severity: mailbox.Info, Rule: 12, Text: "Each member gets Full Access (with automapping: the mailbox appears in their Outlook) and Send As: both are needed to use a shared mailbox."},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepCreateShared, Title: "Create the shared mailbox “Sales & Support Team” <support@contoso.com> (New-Mailbox -Shared)"},
			{Name: mailbox.StepWaitMailbox, Arg: "new", Title: "Wait until Exchange and Microsoft Entra ID find the new mailbox and its account"},
			{Name: mailbox.StepBlockSignIn, Title: "Block sign-in of the mailbox's own account (rule 11)"},
			{Name: mailbox.StepGrantFullAccess, Arg: "kim@contoso.com", Title: "Give kim@contoso.com Full Access, with automapping (rule 12)"},
			{Name: mailbox.StepGrantSendAs, Arg: "kim@contoso.com", Title: "Give kim@contoso.com Send As (rule 12)"},
			{Name: mailbox.StepGrantFullAccess, Arg: "lee@contoso.com", Title: "Give lee@contoso.com Full Access, with automapping (rule 12)"},
			{Name: mailbox.StepGrantSendAs, Arg: "lee@contoso.com", Title: "Give lee@contoso.com Send As (rule 12)"},
		},
	}
}

// grantHiddenPlan gives kim Send As on a mailbox hidden from the address
// lists (rule 13).
func grantHiddenPlan() mailbox.Plan {
	return mailbox.Plan{
		Op: mailbox.Operation{Kind: mailbox.KindGrant, Mailbox: "info@contoso.com", Trustee: "kim@contoso.com", Right: mailbox.SendAs},
		Target: mailbox.Target{UserID: "5e4d3c2b-aaaa-bbbb-cccc-000011112222", UserPrincipalName: "info@contoso.com",
			DisplayName: "Info Desk", RecipientTypeDetails: mailbox.RecipientSharedMailbox},
		Findings: []mailbox.Finding{
			{Severity: mailbox.Warning, Rule: 13, Text: "info@contoso.com is hidden from the address lists (HiddenFromAddressListsEnabled): Send As and Send on Behalf do not work in classic Outlook for Windows until it is visible in the global address list. Outlook on the web and the new Outlook are not affected.",
				Fix: "To use it from classic Outlook, show it in the address lists: Set-Mailbox -Identity info@contoso.com -HiddenFromAddressListsEnabled $false"},
		},
		Steps: []mailbox.Step{
			{Name: mailbox.StepGrantSendAs, Arg: "kim@contoso.com", Title: "Give kim@contoso.com Send As (Add-RecipientPermission)"},
		},
	}
}

// grantGroupPlan gives a group Full Access without automapping and
// warns that automapping does not work through it (rule 14).
func grantGroupPlan() mailbox.Plan {
	p := grantHiddenPlan()
	p.Op.Trustee, p.Op.Right, p.Op.Options = "<@U0KIM>", mailbox.FullAccess, mailbox.Options{NoAutoMapping: true, EachMember: true}
	p.Findings = []mailbox.Finding{
		{Severity: mailbox.Info, Rule: 14, Text: "Full Access is given to the 2 members of “Sales” one by one, so that automapping works for each."},
		{Severity: mailbox.Warning, Rule: 12, Text: "Full Access lets them open the mailbox and change its items, not send from it: grant send-as too for that."},
	}
	p.Steps = []mailbox.Step{
		{Name: mailbox.StepGrantFullAccess, Arg: "kim@contoso.com", NoAutoMapping: true, Title: "Give kim@contoso.com Full Access, without automapping (Add-MailboxPermission)"},
		{Name: mailbox.StepGrantFullAccess, Arg: "lee@contoso.com", NoAutoMapping: true, Title: "Give lee@contoso.com Full Access, without automapping (Add-MailboxPermission)"},
	}
	return p
}

// revokeSucceeded took Send on Behalf away from kim, without approval.
func revokeSucceeded() *bot.Request {
	p := grantHiddenPlan()
	p.Op.Kind, p.Op.Right = mailbox.KindRevoke, mailbox.SendOnBehalf
	p.Findings = nil
	p.Steps = []mailbox.Step{{Name: mailbox.StepRevokeSendOnBehalf, Arg: "kim@contoso.com", Title: "Take Send on Behalf away from kim@contoso.com (Set-Mailbox -GrantSendOnBehalfTo)"}}
	r := requestOf(p)
	r.Approvers, r.ApproverSource, r.ExpiresAt = nil, "", time.Time{}
	r.State = bot.StateSucceeded
	r.Steps[0].Status, r.Steps[0].Detail = mailbox.Done, "removed from GrantSendOnBehalfTo"
	r.UpdatedAt = t0.Add(time.Minute)
	return r
}
