// Command mailboxbot is the Slack bot that converts Microsoft 365 user
// mailboxes to shared mailboxes with a second person's approval.
//
//	mailboxbot serve     run the bot (configuration from the environment)
//	mailboxbot demo      play the whole story against an in-memory tenant,
//	                     embedded Redis and a built-in fake Slack
//	mailboxbot audit export  write the audit log as JSON lines
//	mailboxbot version   print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailboxbot:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `mailboxbot converts Microsoft 365 user mailboxes to shared mailboxes from Slack,
with a second person's approval.

Usage:
  mailboxbot serve     run the bot; configuration comes from the environment (see README.md)
  mailboxbot demo      play a whole request in seconds: embedded Redis, a sandbox tenant
                       (contoso.com) and a built-in fake Slack; prints what each person saw
  mailboxbot doctor    check the live configuration: Slack, Entra ID, Graph, Exchange, Redis;
                       says what is wrong and how to fix it, and exits non-zero on a failure
  mailboxbot audit export [--since TIME] [--until TIME]
                       write the audit log as JSON lines to stdout, for a SIEM or an
                       auditor; run it before MAILBOXBOT_RETENTION trims what you need
  mailboxbot version   print the version
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: name a command", errUsage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stderr)
	case "doctor":
		return doctor(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "mailboxbot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}
