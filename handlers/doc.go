// Package handlers is the Slack edge: it verifies every HTTP request from
// Slack, parses slash commands and interactions into the bot's typed
// commands and clicks, answers within Slack's 3 seconds and hands the work
// to the bot's durable queue. It serves /slack/commands,
// /slack/interactions, /healthz and /readyz.
//
// Rendering messages and talking to Slack's Web API live in handlers/notify.
package handlers
