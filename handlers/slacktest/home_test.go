package slacktest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func homeView(blocks ...slack.Block) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

func textSection(id, text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil, slack.SectionBlockOptionBlockID(id))
}

func TestViewsPublish(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	if _, ok := s.Home("U0RITA"); ok {
		t.Fatal("a Home before any publish")
	}
	resp, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0RITA",
		View: homeView(textSection("a", "Hello *<@U0MARIA>*"), slack.NewDividerBlock())})
	if err != nil {
		t.Fatal(err)
	}
	if resp.View.Type != slack.VTHomeTab || resp.View.ID == "" || len(resp.View.Blocks.BlockSet) != 2 {
		t.Errorf("answer: %+v", resp.View)
	}
	v, ok := s.Home("U0RITA")
	if !ok || v.User != "U0RITA" || v.Seq != 1 || v.Text != "Hello @U0MARIA\n---" {
		t.Errorf("Home = %+v, %v", v, ok)
	}
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0RITA", View: homeView(textSection("a", "Again"))}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Home("U0RITA"); v.Seq != 2 || v.Text != "Again" {
		t.Errorf("after the second publish: %+v", v)
	}
	if len(s.Transcript()) != 0 {
		t.Errorf("a view went into the transcript of messages: %+v", s.Transcript())
	}
}

func TestViewsPublishRefusesWhatSlackRefuses(t *testing.T) {
	s, api := newServer(t)
	ctx := t.Context()
	var many []slack.Block
	for i := range 101 {
		many = append(many, textSection(fmt.Sprint(i), "x"))
	}
	for _, tc := range []struct {
		name, user string
		view       slack.HomeTabViewRequest
		code, msg  string
	}{
		{"101 blocks", "U0RITA", homeView(many...), "invalid_arguments", "no more than 100 items allowed"},
		{"block id twice", "U0RITA", homeView(textSection("a", "x"), textSection("a", "y")), "invalid_arguments", "block_id"},
		{"modal", "U0RITA", slack.HomeTabViewRequest{Type: slack.VTModal, Blocks: slack.Blocks{BlockSet: []slack.Block{textSection("a", "x")}}}, "invalid_arguments", "must be home"},
		{"unknown user", "U0NOBODY", homeView(textSection("a", "x")), "user_not_found", ""},
	} {
		_, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: tc.user, View: tc.view})
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != tc.code || !strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), tc.msg) {
			t.Errorf("%s: err = %#v, want %s %q", tc.name, err, tc.code, tc.msg)
		}
	}
	if _, ok := s.Home("U0RITA"); ok {
		t.Error("a refused view was kept")
	}
	// 100 blocks are fine.
	if _, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0RITA", View: homeView(many[:100]...)}); err != nil {
		t.Errorf("100 blocks: %v", err)
	}
}
