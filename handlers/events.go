package handlers

import (
	"context"

	"github.com/slack-go/slack/slackevents"
)

// Event takes a verified Events API event, whatever carried it (HTTP on
// /slack/events, or Socket Mode). Today: app_home_opened, which shows the
// user's App Home tab.
func (s *Server) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	// Filled in with the App Home.
	_ = ctx
	_ = ev
}
