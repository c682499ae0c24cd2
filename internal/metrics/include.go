package metrics

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// IncludedPrefix names, in this process's answer, the Go runtime and
// process metrics of an included process: go_goroutines of the job
// process is served as mailboxbot_jobs_go_goroutines.
const IncludedPrefix = "mailboxbot_jobs_"

// Include makes Handler serve, with this process's metrics, those of
// another process (serve's job process), read from url at each scrape,
// in one answer: a Prometheus scrape of serve sees the whole bot. The
// mailboxbot_* counters and histograms of both are added up (a count of
// Graph calls is the sum of both processes' calls); the other process's Go
// runtime and process metrics keep their own names behind IncludedPrefix.
// When the other process does not answer (it is being restarted), the
// scrape serves this process's metrics and counts the error in
// promhttp_metric_handler_errors_total.
func (m *Metrics) Include(url string, client *http.Client) {
	if m == nil {
		return
	}
	m.include.Store(&remote{url: url, client: client})
}

type remote struct {
	url    string
	client *http.Client
}

// gather is the registry's answer merged with the included process's.
func (m *Metrics) gather() ([]*dto.MetricFamily, error) {
	local, err := m.reg.Gather()
	r := m.include.Load()
	if r == nil {
		return local, err
	}
	other, rerr := r.gather()
	if rerr != nil {
		if err == nil {
			err = rerr
		}
		return local, err
	}
	return mergeFamilies(local, other), err
}

func (r *remote) gather() (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics of the job process: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics of the job process: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics of the job process: %w", err)
	}
	return fams, nil
}

// mergeFamilies adds other's families to local's (see Include) and returns
// them sorted by name, as a registry does.
func mergeFamilies(local []*dto.MetricFamily, other map[string]*dto.MetricFamily) []*dto.MetricFamily {
	byName := make(map[string]*dto.MetricFamily, len(local)+len(other))
	for _, f := range local {
		byName[f.GetName()] = f
	}
	for name, f := range other {
		if !strings.HasPrefix(name, "mailboxbot_") {
			f.Name = proto.String(IncludedPrefix + name)
			f.Help = proto.String("The job process: " + f.GetHelp())
			byName[f.GetName()] = f
			continue
		}
		mine, ok := byName[name]
		if !ok {
			byName[name] = f
			continue
		}
		if mine.GetType() != f.GetType() {
			continue // not the same metric: keep this process's
		}
		addMetrics(mine, f)
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// addMetrics adds the counters and histograms of from into to, label set
// by label set; a label set to lacks is appended. Gauges of a label set
// both have are this process's: none of the bot's gauges is the job
// process's.
func addMetrics(to, from *dto.MetricFamily) {
	index := make(map[string]*dto.Metric, len(to.Metric))
	for _, m := range to.Metric {
		index[labelKey(m)] = m
	}
	for _, m := range from.Metric {
		mine, ok := index[labelKey(m)]
		if !ok {
			to.Metric = append(to.Metric, m)
			index[labelKey(m)] = m
			continue
		}
		switch {
		case mine.Counter != nil && m.Counter != nil:
			mine.Counter.Value = proto.Float64(mine.Counter.GetValue() + m.Counter.GetValue())
		case mine.Histogram != nil && m.Histogram != nil:
			addHistogram(mine.Histogram, m.Histogram)
		}
	}
}

func addHistogram(to, from *dto.Histogram) {
	// The text format names the +Inf bucket and a registry leaves it out:
	// the finite bounds are compared.
	tb, fb := finite(to.Bucket), finite(from.Bucket)
	if len(tb) != len(fb) {
		return // other bounds: not the same histogram
	}
	for i, b := range fb {
		if tb[i].GetUpperBound() != b.GetUpperBound() {
			return
		}
	}
	to.SampleCount = proto.Uint64(to.GetSampleCount() + from.GetSampleCount())
	to.SampleSum = proto.Float64(to.GetSampleSum() + from.GetSampleSum())
	for i, b := range fb {
		tb[i].CumulativeCount = proto.Uint64(tb[i].GetCumulativeCount() + b.GetCumulativeCount())
	}
}

func finite(bs []*dto.Bucket) []*dto.Bucket {
	if n := len(bs); n > 0 && math.IsInf(bs[n-1].GetUpperBound(), 1) {
		return bs[:n-1]
	}
	return bs
}

func labelKey(m *dto.Metric) string {
	var b strings.Builder
	for _, l := range m.Label { // sorted by name in both answers
		b.WriteString(l.GetName())
		b.WriteByte(0)
		b.WriteString(l.GetValue())
		b.WriteByte(0)
	}
	return b.String()
}
