package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack/slackevents"
)

// HomeOpener publishes a user's App Home tab (bot.Service does).
type HomeOpener interface {
	HomeOpened(ctx context.Context, user string) error
}

// homeTimeout bounds the work of one event (reading the requests and one
// views.publish, which may wait out a 429).
const homeTimeout = 20 * time.Second

// handleEvent takes a verified Events API request over HTTP. A
// url_verification is answered with its challenge; an event_callback is
// answered 200 at once and handled in the background (Slack retries an
// event that is not acknowledged within 3 seconds), tracked by Wait. Every
// other body gets 200 too, so that Slack does not retry what the bot
// cannot read.
func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body) // verified, and bounded, by Verifier
	if err != nil {
		s.log.Warn("slack event unreadable", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	// The signature has been checked; the legacy verification token is not.
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		s.log.Warn("slack event unreadable", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok || uv.Challenge == "" {
			s.log.Warn("slack url_verification without a challenge")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.log.Info("slack url_verification answered")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(slackevents.ChallengeResponse{Challenge: uv.Challenge})
	case slackevents.CallbackEvent:
		w.WriteHeader(http.StatusOK)
		s.replies.Add(1)
		go func() {
			defer s.replies.Done()
			ctx, cancel := context.WithTimeout(context.Background(), homeTimeout)
			defer cancel()
			s.Event(ctx, ev)
		}()
	default:
		s.log.Warn("slack event ignored", "event", ev.Type, "team", ev.TeamID)
		w.WriteHeader(http.StatusOK)
	}
}

// Event takes a verified Events API event, whatever carried it (HTTP on
// /slack/events, or Socket Mode). Today: app_home_opened on the Home tab,
// which publishes the user's App Home (Config.Home, bounded by a timeout);
// other events are ignored. An event from another workspace or app is
// refused. It runs after Slack has been answered, so it logs what fails.
func (s *Server) Event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	log := s.log.With("team", ev.TeamID, "event", ev.InnerEvent.Type)
	if !s.sameTenant(ev.TeamID, ev.APIAppID) {
		log.Warn("slack event from another workspace or app refused", "app", ev.APIAppID)
		return
	}
	if ev.Type != slackevents.CallbackEvent {
		log.Debug("slack event ignored", "type", ev.Type)
		return
	}
	var home *slackevents.AppHomeOpenedEvent
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		home = e
	case slackevents.AppHomeOpenedEvent:
		home = &e
	default:
		log.Debug("slack event ignored")
		return
	}
	log = log.With("user", home.User, "tab", home.Tab)
	switch {
	case home.Tab != "home":
		log.Debug("app_home_opened on another tab ignored")
		return
	case home.User == "":
		log.Warn("app_home_opened without a user ignored")
		return
	case s.cfg.Home == nil:
		log.Debug("app_home_opened ignored: no Home configured")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, homeTimeout)
	defer cancel()
	if err := s.cfg.Home.HomeOpened(ctx, home.User); err != nil {
		log.Error("home tab not published", "err", err)
		return
	}
	log.Debug("home tab published")
}
