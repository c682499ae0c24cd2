// Package handlers is the Slack edge: it verifies every HTTP request from
// Slack, parses slash commands and interactions into the bot's typed
// commands and clicks, answers within Slack's 3 seconds and hands the work
// to the bot's durable queue. It serves /slack/commands,
// /slack/interactions, /healthz and /readyz.
//
// Server (New, Config) holds the routes. Its handlers do no slow work: they
// parse, check the workspace and app against the configuration, call the
// Bot once (AcceptCommand or AcceptClick, which only enqueue, bounded by a
// timeout) and answer. Users see their errors as ephemeral messages with
// HTTP 200, never a 500. Who clicked comes from the signed payload, never
// from a button's value. ParseConvert is the /convert-mailbox grammar,
// ParseShared the /shared-mailbox grammar.
//
// How far it goes in this version: /convert-mailbox <address> [to shared|to
// regular] [options] (sign-in, sessions, licenses, Full Access, Send As,
// members, automapping, license, password, at, dry-run) and help; status,
// list, cancel and the form answer that they are not available yet.
// /shared-mailbox create|grant|revoke|members and help; a Slack mention is
// passed on as "<@U…>" for the bot to resolve (Slack's API cannot be called
// within the 3 seconds), which needs the command's "escape channels, users
// and links" setting (should_escape: true in the manifest). The
// Approve, Reject and Retry buttons become clicks; other interactions are
// acknowledged and ignored. Socket Mode is not here yet.
//
// Rendering messages and talking to Slack's Web API live in handlers/notify.
package handlers
