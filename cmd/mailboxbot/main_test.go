package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestDemo runs the README's first command and checks the story it tells.
func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{
		"DEMO MODE",
		"has no license", // rule 1
		"Set-RemoteMailbox -Identity dave@contoso.com -Type Shared", // rule 8
		"Maria sees, in a direct message from the bot:",
		"[Approve] [Reject]",
		"already has an active request",
		"can't decide it yourself",
		"✅ Approved by @Maria",
		"is done: alice@contoso.com is now a shared mailbox",
		"already approved by @Maria",
		"Rita sees, in a direct message from the bot:\n   │ 🔑 Temporary Access Pass for sales@contoso.com", // rule 9, privately
		"is done: sales@contoso.com is a user mailbox again",
		"alice@contoso.com is a SharedMailbox; sign-in enabled: false; licenses: 0.",
		"sales@contoso.com is a UserMailbox; sign-in enabled: true; licenses: 1.",
		"1. alice@contoso.com sessions revoked",
		"2. alice@contoso.com account enabled: true -> false",
		"3. alice@contoso.com mailbox type: UserMailbox -> SharedMailbox",
		"4. alice@contoso.com license removed",
		"#mailbox-audit: one message per request",
		// Act 3 (issue 16): a leaver, with remove-access and manager-access, then undone.
		"Rita types: /convert-mailbox leo@contoso.com remove-access manager-access",
		"Ada sees, in a direct message from the bot:\n   │ @Rita asks to convert leo@contoso.com",
		"Take away leo@contoso.com's Send As on billing@contoso.com (rule 18)",
		"Take away leo@contoso.com's Send on Behalf on hr@contoso.com (rule 18)",
		"Take away leo@contoso.com's Full Access on projects@contoso.com (rule 18)",
		"Give the manager, maria@contoso.com, Full Access, with automapping",
		"the manager gains access, so the approvers decide, not the manager",
		"You are asked because you are a configured approver",
		"is done: leo@contoso.com is now a shared mailbox",
		"Rita presses Undo on her report",
		"@Rita asks to undo `req_",
		"Full Access: leo@contoso.com (on projects@contoso.com)",
		"Send As: leo@contoso.com (on billing@contoso.com)",
		"Take Full Access away from maria@contoso.com",
		"is undone: what it changed on leo@contoso.com is put back",
		"Leo sees, in a direct message from the bot:\n   │ You now have Full Access on the shared mailbox projects@contoso.com.",
		"Leo sees, in a direct message from the bot:\n   │ You now have Send As on the shared mailbox billing@contoso.com.",
		"Leo sees, in a direct message from the bot:\n   │ You now have Send on Behalf on the shared mailbox hr@contoso.com.",
		"leo@contoso.com is a UserMailbox; sign-in enabled: true; licenses: 1.",
		"rights on projects@contoso.com: leo@contoso.com FullAccess.",
		"rights on billing@contoso.com: leo@contoso.com SendAs.",
		"rights on hr@contoso.com: leo@contoso.com SendOnBehalf.",
		"rights on leo@contoso.com: nobody.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The pass reaches Rita's direct messages and nobody else.
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "Temporary Access Pass for sales") && !strings.Contains(line, "🔑") {
			t.Errorf("the pass shows outside Rita's message: %s", line)
		}
	}
	if strings.Count(out.String(), "Temporary Access Pass for sales@contoso.com: `") != 1 {
		t.Error("the pass is shown more than once")
	}
	// alice: 4 changes; sales: license, type, password replaced, pass, sign-in.
	if !strings.Contains(out.String(), "9. sales@contoso.com account enabled: false -> true") {
		t.Error("not the planned changes of acts 1 and 2")
	}
	// Maria is told once how to use Leo's mailbox; the undo tells her nothing.
	if n := strings.Count(out.String(), "Maria sees, in a direct message from the bot:\n   │ You now have"); n != 1 {
		t.Errorf("Maria got %d guidance messages, want 1", n)
	}
	// Act 3: the conversion's 9 changes and the undo's 8, each once.
	_, changes, _ := strings.Cut(out.String(), "Changes made to the tenant, each once:\n")
	changes, _, _ = strings.Cut(changes, "\n\n")
	seen := map[string]bool{}
	leo := 0
	for _, line := range strings.Split(changes, "\n") {
		_, what, _ := strings.Cut(strings.TrimSpace(line), ". ")
		if seen[what] {
			t.Errorf("made twice: %s", what)
		}
		seen[what] = true
		if strings.Contains(what, "leo@") || strings.Contains(what, "Leo Lane") {
			leo++
		}
	}
	if leo != 17 {
		t.Errorf("act 3 made %d changes, want 17 (9 by the conversion, 8 by the undo):\n%s", leo, changes)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), nil, nil, &out, &errb); !errors.Is(err, errUsage) || !strings.Contains(errb.String(), "mailboxbot serve") {
		t.Errorf("no command: %v %q", err, errb.String())
	}
	if err := run(context.Background(), []string{"bogus"}, nil, &out, &errb); !errors.Is(err, errUsage) {
		t.Errorf("bogus: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"version"}, nil, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "mailboxbot ") {
		t.Errorf("version: %v %q", err, out.String())
	}
}
