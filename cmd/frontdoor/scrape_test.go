package main

import (
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// scrapeFamilies reads /metrics with Prometheus's own text parser.
func (n *testNode) scrapeFamilies(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(n.scrape(t)))
	if err != nil {
		t.Fatalf("the official parser refuses the scrape: %v", err)
	}
	return fams
}

// sample finds the series of a family with exactly these labels.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range fams[name].GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		ok := true
		for _, l := range m.GetLabel() {
			ok = ok && want[l.GetName()] == l.GetValue()
		}
		if ok {
			return m
		}
	}
	t.Fatalf("no series %s%v in the scrape", name, want)
	return nil
}

// After a scripted set of calls (two answered in tax, one abandoned in the
// customs queue) the counters, histograms and live gauges agree with the
// stored CDRs and the queue API.
func TestScrapeAgreesWithTheCDRs(t *testing.T) {
	n := startNode(t, "")
	ctx := timeout(t, 60*time.Second)
	n.readyAgent(t, ctx, "1001", func(p *testua.Phone) { p.AutoAnswer = 2000 })

	for i := range 2 {
		out := dial(t, ctx, n, "126", nil, 1000, "") // tax, straight to the queue
		if !out.RTP.WaitTone(ctx, 2000) {
			t.Fatalf("call %d: caller never heard the agent", i)
		}
		out.Hangup(ctx)
		n.waitAgent(t, ctx, "1001", "ready")
	}
	out := dial(t, ctx, n, "125", nil, 1000, "") // customs: nobody to answer
	n.waitCallState(t, ctx, "queued")
	out.Hangup(ctx)

	sub := n.sb.Subscribe(ctx)
	cdrs := n.cdrs(t)
	for len(cdrs) < 3 {
		select {
		case <-sub:
		case <-ctx.Done():
			t.Fatalf("CDRs %+v, want 3", cdrs)
		}
		cdrs = n.cdrs(t)
	}
	fams := n.scrapeFamilies(t)

	type key struct{ agency, outcome string }
	counted := map[key]int{}
	talk := map[string]float64{}
	for _, c := range cdrs {
		counted[key{c.Agency, c.Outcome}]++
		talk[c.Agency] += c.TalkSeconds
	}
	if counted[key{"tax", "answered"}] != 2 || counted[key{"customs", "abandoned"}] != 1 {
		t.Fatalf("CDRs %+v", cdrs)
	}
	for _, agency := range []string{"tax", "customs", "civil"} {
		for _, outcome := range []string{"answered", "abandoned", "overflowed", "timeout", "rejected", "closed"} {
			got := sample(t, fams, "frontdoor_calls_total", "agency", agency, "outcome", outcome).GetCounter().GetValue()
			if int(got) != counted[key{agency, outcome}] {
				t.Errorf("frontdoor_calls_total{%s,%s} = %v, CDRs say %d", agency, outcome, got, counted[key{agency, outcome}])
			}
		}
		answered := counted[key{agency, "answered"}]
		waits := sample(t, fams, "frontdoor_queue_wait_seconds", "agency", agency).GetHistogram()
		talks := sample(t, fams, "frontdoor_call_talk_seconds", "agency", agency).GetHistogram()
		if int(waits.GetSampleCount()) != answered || int(talks.GetSampleCount()) != answered {
			t.Errorf("%s: %d waits and %d talks observed, CDRs say %d answered", agency, waits.GetSampleCount(), talks.GetSampleCount(), answered)
		}
		// The ACD and the CDR time the same talk from their own clocks: within a second a call.
		if math.Abs(talks.GetSampleSum()-talk[agency]) > float64(answered) {
			t.Errorf("%s: talk sum %.3f s, CDRs say %.3f s", agency, talks.GetSampleSum(), talk[agency])
		}
	}

	var queues []struct {
		Agency       string  `json:"agency"`
		Offered      int     `json:"offered"`
		Abandoned    int     `json:"abandoned"`
		ServiceLevel float64 `json:"service_level"`
		ASA          float64 `json:"asa_seconds"`
		Agents       map[string]int
	}
	n.api(t, "GET", "/api/v1/queues", nil, &queues)
	for _, q := range queues {
		for name, want := range map[string]float64{
			"frontdoor_queue_service_level_ratio":  q.ServiceLevel,
			"frontdoor_queue_answer_speed_seconds": q.ASA,
			"frontdoor_queue_abandon_ratio":        float64(q.Abandoned) / math.Max(1, float64(q.Offered)),
			"frontdoor_queue_agents_available":     float64(q.Agents["ready"]),
			"frontdoor_queue_open":                 1,
		} {
			if got := sample(t, fams, name, "agency", q.Agency).GetGauge().GetValue(); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s{%s} = %v, the queue API says %v", name, q.Agency, got, want)
			}
		}
	}
	if got := sample(t, fams, "frontdoor_center_agents", "state", "ready").GetGauge().GetValue(); got != 1 {
		t.Errorf("center agents ready = %v, want 1 (1001)", got)
	}
	if got := sample(t, fams, "frontdoor_queue_abandon_ratio", "agency", "customs").GetGauge().GetValue(); got != 1 {
		t.Errorf("customs abandon ratio %v, want 1", got)
	}
}
