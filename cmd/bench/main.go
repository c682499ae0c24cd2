// Command bench measures mailboxbot as issue 7 asks, each with one command
// (see docs/performance.md and docs/reliability.md):
//
//	go run ./cmd/bench ack      acknowledgement latency at a fixed rate against a
//	                        baseline handler; the bot's memory
//	go run ./cmd/bench bulk     1000 conversions approved together on 3 replicas
//	                        against throttled Exchange; -fault kill|redis|errors
//	go run ./cmd/bench clicks   1000 concurrent Approve clicks on 100 requests over
//	                        3 replicas
//	go run ./cmd/bench idle     Redis commands a second of idle replicas
//
// Every run builds mailboxbot, starts a redis-server of its own (it must be
// on PATH) and the sandbox world (fake Slack, Entra, Graph and Exchange on a
// sandbox tenant), and runs `mailboxbot serve` as child processes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: go run ./cmd/bench <ack|bulk|clicks|idle> [flags]   (-h after the command lists its flags)`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "ack":
		err = ackBench(ctx, os.Args[2:])
	case "bulk":
		err = bulkBench(ctx, os.Args[2:])
	case "clicks":
		err = clicksBench(ctx, os.Args[2:])
	case "idle":
		err = idleBench(ctx, os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	case "fire":
		err = fireCommand(ctx)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
