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
	if strings.Contains(out.String(), "10. ") || !strings.Contains(out.String(), "9. sales@contoso.com account enabled: false -> true") {
		t.Error("not the planned changes, each once")
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
