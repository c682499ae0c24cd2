// Package handlers is the Slack edge: it verifies every HTTP request from
// Slack, parses slash commands, interactions and events into the bot's
// typed commands and clicks, answers within Slack's 3 seconds and hands the
// work to the bot's durable queue. It serves /slack/commands,
// /slack/interactions, /slack/events, /healthz and /readyz over HTTP, and
// the same over Socket Mode (Socket).
//
// Server (New, Config) holds the logic, independent of the transport:
// Command, Interaction and Event. They do no slow work: they parse, check
// the workspace and app against the configuration, call the Bot once
// (AcceptCommand or AcceptClick, which only enqueue, bounded by a timeout)
// and answer. Users see their errors as ephemeral messages with HTTP 200,
// never a 500. Who clicked comes from the signed payload, never from a
// button's value. Without a signing secret (Socket Mode) every HTTP request
// to /slack/* is refused.
//
// The command language (the grammars of /convert-mailbox and
// /shared-mailbox, their usage errors and help pages) is handlers/command;
// Command calls it and answers with the page, the error and its usage
// line, or the immediate answer of internal/words once the command is
// queued. A Slack mention is passed on as "<@U…>" for the bot to resolve
// (Slack's API cannot be called within the 3 seconds). Either command with
// no text opens a form (forms.go); its submission is checked next to the
// fields, within a time budget, before the commands are queued. Approve,
// Reject and Retry buttons become clicks, from a message or the Home tab.
//
// Rendering messages and talking to Slack's Web API live in handlers/notify.
package handlers
