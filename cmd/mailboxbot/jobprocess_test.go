package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailboxbot/mailboxbot/handlers/slacktest"
	"github.com/mailboxbot/mailboxbot/internal/jobproc"
	"github.com/mailboxbot/mailboxbot/internal/procstat"
	"github.com/mailboxbot/mailboxbot/internal/testlog"
)

// TestServeRunsJobsInAJobProcess runs `mailboxbot serve` as a process with
// MAILBOXBOT_JOB_PROCESS=nice: its jobs run in a second process at
// niceness 10 while serve stays at 0; the jobs' metrics are served on serve's
// /metrics; a job process that is killed is started again and the work
// goes on; and when serve is killed with SIGKILL its job process dies too.
func TestServeRunsJobsInAJobProcess(t *testing.T) {
	w := jobProcessWorld(t)
	// Not the default SCHED_IDLE (TestServeJobProcessIsIdleByDefault): the
	// other packages' tests on the same cores could starve the jobs past
	// this test's deadlines.
	w.env["MAILBOXBOT_JOB_PROCESS"] = "nice"
	log := &testlog.Buffer{}
	p := w.start(log)
	serve := p.cmd.Process.Pid
	child := w.jobProcess(log, 1)
	waitPriority(t, child, "10", "0")
	if nice, policy := procstat.Field(serve, procstat.Nice), procstat.Field(serve, procstat.Policy); nice != "0" || policy != "0" {
		t.Errorf("serve runs at niceness %q, policy %q; want 0 and SCHED_OTHER (0)", nice, policy)
	}

	convert := func(upn, approver string) {
		t.Helper()
		w.command("U0RITA", upn)
		ask := w.waitFor("the approval DM for "+upn, func(e slacktest.Entry) bool {
			return e.Channel == "D"+approver && strings.Contains(e.Text, "[Approve]") && strings.Contains(e.Text, upn)
		})
		w.click(approver, ask, "approve")
		w.waitFor("the report on "+upn, func(e slacktest.Entry) bool {
			return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done") && strings.Contains(e.Text, upn)
		})
	}
	convert("alice@contoso.com", "U0MARIA")
	eachChangeOnce(t, w.tenant, "alice@contoso.com", 4)
	if !strings.Contains(log.String(), `"process":"jobs"`) {
		t.Error("no log line of the job process")
	}

	// One scrape of serve shows both processes: the edge's answers to
	// Slack, the job process's steps and calls, and its runtime.
	metrics := scrapeBody(t, w.botURL+"/metrics")
	for _, want := range []string{
		`mailboxbot_ack_seconds_count{route="/slack/commands"} 1`,
		`mailboxbot_step_duration_seconds_count{process="jobs",status="done",step="convert_to_shared"} 1`,
		`mailboxbot_microsoft_calls_total{process="jobs",service="exchange",status="200"}`,
		"\nprocess_resident_memory_bytes{process=\"jobs\"} ",
		"\ngo_goroutines ",
		"\nmailboxbot_redis_up 1\n",
		"\nmailboxbot_job_process_restarts_total 0\n",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("serve's /metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", metrics)
	}

	// A job process that dies is started again, and the jobs go on.
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := w.jobProcess(log, 2)
	if second == child {
		t.Fatalf("no new job process after %d was killed", child)
	}
	if !strings.Contains(log.String(), "job process exited") {
		t.Error("the job process's death is not logged")
	}
	convert("erin@contoso.com", "U0ADA") // no manager: the configured approver
	if m := scrapeBody(t, w.botURL+"/metrics"); !strings.Contains(m, "\nmailboxbot_job_process_restarts_total 1\n") {
		t.Errorf("the restart is not counted:\n%s", m)
	}

	// serve killed outright: its job process does not stay behind.
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil
	deadline := time.Now().Add(5 * time.Second)
	for !procstat.Gone(second) {
		if time.Now().After(deadline) {
			syscall.Kill(second, syscall.SIGKILL)
			t.Fatalf("job process %d still runs 5s after serve was killed", second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeGivesItsJobProcessItsSettings runs serve in this process with
// its settings from a map, not the environment, the bot token from a file
// (SLACK_BOT_TOKEN_FILE), and a stray SLACK_BOT_TOKEN in the environment:
// the job process gets the map's settings and not the stray token (with
// both, it would refuse to start), and does the work.
func TestServeGivesItsJobProcessItsSettings(t *testing.T) {
	if !jobproc.Supported {
		t.Skip("a job process needs Linux")
	}
	w := newWorld(t, 0)
	w.env["MAILBOXBOT_JOB_PROCESS"] = "nice" // see TestServeRunsJobsInAJobProcess
	token := filepath.Join(t.TempDir(), "slack-bot-token")
	if err := os.WriteFile(token, []byte(w.env["SLACK_BOT_TOKEN"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(w.env, "SLACK_BOT_TOKEN")
	w.env["SLACK_BOT_TOKEN_FILE"] = token
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-stray-token-from-the-environment")
	log := &testlog.Buffer{}
	w.serve(log)
	w.command("U0RITA", "alice@contoso.com")
	ask := w.waitFor("Maria's approval DM", func(e slacktest.Entry) bool {
		return e.Channel == "DU0MARIA" && strings.Contains(e.Text, "[Approve]")
	})
	w.click("U0MARIA", ask, "approve")
	w.waitFor("the report to Rita", func(e slacktest.Entry) bool {
		return e.Channel == "DU0RITA" && strings.Contains(e.Text, "is done")
	})
	if !strings.Contains(log.String(), `"process":"jobs"`) {
		t.Errorf("the work was not done by a job process\nlog:\n%s", log.String())
	}
	waitPriority(t, w.jobProcess(log, 1), "10", "0")
	w.assertNoSecrets(log.String())
}

// TestServeJobProcessIsIdleByDefault: with the default settings the job
// process runs SCHED_IDLE at niceness 10, every thread of it.
func TestServeJobProcessIsIdleByDefault(t *testing.T) {
	w := jobProcessWorld(t)
	delete(w.env, "MAILBOXBOT_JOB_PROCESS")
	log := &testlog.Buffer{}
	p := w.start(log)
	child := w.jobProcess(log, 1)
	waitPriority(t, child, "10", "5")
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", child))
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if nice, policy := procstat.Field(tid, procstat.Nice), procstat.Field(tid, procstat.Policy); nice != "10" || policy != "5" {
			t.Errorf("job process thread %d: niceness %q, policy %q; want 10 and SCHED_IDLE (5)", tid, nice, policy)
		}
	}
	if procstat.Field(p.cmd.Process.Pid, procstat.Policy) != "0" {
		t.Error("serve itself is not SCHED_OTHER")
	}
}

// waitPriority waits until the job process has lowered its priority (it
// does so first thing, and executes itself again) to the niceness and
// scheduling policy (/proc's numbers) given.
func waitPriority(t *testing.T, pid int, nice, policy string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); procstat.Field(pid, procstat.Nice) != nice || procstat.Field(pid, procstat.Policy) != policy; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("job process %d: niceness %q, policy %q; want %s and %s", pid, procstat.Field(pid, procstat.Nice), procstat.Field(pid, procstat.Policy), nice, policy)
		}
	}
}

func TestChildEnv(t *testing.T) {
	environ := []string{"PATH=/usr/bin", "SLACK_BOT_TOKEN=xoxb-stray", "LOG_LEVEL=debug", jobproc.EnvPriority + "=3", "HTTPS_PROXY=http://proxy:3128"}
	given := map[string]string{"SLACK_BOT_TOKEN_FILE": "/run/secrets/token", "REDIS_URL": "redis://r:6379"}
	got, err := childEnv(environ, func(k string) string { return given[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATH=/usr/bin", "HTTPS_PROXY=http://proxy:3128", "REDIS_URL=redis://r:6379", "SLACK_BOT_TOKEN_FILE=/run/secrets/token"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

// jobProcessWorld is the world of a test that runs serve and its job
// process as real processes.
func jobProcessWorld(t *testing.T) *world {
	if testing.Short() {
		t.Skip("-short: runs `mailboxbot serve` and its job process as real processes")
	}
	if !jobproc.Supported {
		t.Skip("a job process needs Linux")
	}
	return newWorld(t, 0)
}

var jobProcessStarted = regexp.MustCompile(`"msg":"job process started"[^}]*"pid":(\d+)`)

// jobProcess waits until serve has started its nth job process and
// returns its process id.
func (w *world) jobProcess(log *testlog.Buffer, nth int) int {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := jobProcessStarted.FindAllStringSubmatch(log.String(), -1); len(m) >= nth {
			pid, _ := strconv.Atoi(m[nth-1][1])
			return pid
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no job process number %d after 20s\nlog:\n%s", nth, log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func scrapeBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
