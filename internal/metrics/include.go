package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// IncludedLabel is the label, with the value "jobs", that marks in this
// process's answer the series of the included process.
const IncludedLabel = "process"

// Include makes Handler serve, with this process's metrics, those of
// another process (serve's job process), read from url at each scrape,
// in one answer: one Prometheus scrape of serve sees the whole bot. Every
// series of the other process carries the label process="jobs" (its Go
// runtime and process metrics too); sum() over it adds both processes'
// counts. They are not added here: a series that sometimes held the sum
// and sometimes, with the other process restarting, this process's count
// alone would go down, which Prometheus takes for a counter reset.
// When the other process does not answer, the scrape serves this
// process's metrics and counts the error in
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
	merged, merr := mergeFamilies(local, other)
	return merged, errors.Join(err, merr)
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

// mergeFamilies adds other's series to local's, each labelled
// process="jobs", and returns the families sorted by name, as a registry
// does. A family of the same name and another type is left out, and said
// in the error.
func mergeFamilies(local []*dto.MetricFamily, other map[string]*dto.MetricFamily) ([]*dto.MetricFamily, error) {
	byName := make(map[string]*dto.MetricFamily, len(local)+len(other))
	for _, f := range local {
		byName[f.GetName()] = f
	}
	var errs []error
	for name, f := range other {
		for _, m := range f.Metric {
			m.Label = withLabel(m.Label, IncludedLabel, "jobs")
		}
		mine, ok := byName[name]
		switch {
		case !ok:
			byName[name] = f
		case mine.GetType() != f.GetType():
			errs = append(errs, fmt.Errorf("metrics of the job process: %s is a %s there and a %s here", name, f.GetType(), mine.GetType()))
		default:
			mine.Metric = append(mine.Metric, f.Metric...)
		}
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, errors.Join(errs...)
}

// withLabel is labels with name=value added (or set), sorted by name.
func withLabel(labels []*dto.LabelPair, name, value string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(labels)+1)
	for _, l := range labels {
		if l.GetName() != name {
			out = append(out, l)
		}
	}
	out = append(out, &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)})
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}
