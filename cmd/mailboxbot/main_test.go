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
		"alice@contoso.com is now a SharedMailbox; sign-in enabled: false",
		"1. alice@contoso.com mailbox_type: UserMailbox -> SharedMailbox",
		"2. alice@contoso.com account_enabled: true -> false",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "3. alice") {
		t.Error("a change was made twice")
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
