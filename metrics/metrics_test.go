package metrics

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var testAgencies = []string{"tax", "police", "civil-affairs"}

// scrape fetches /metrics over a real listener on 127.0.0.1, as Prometheus would.
func scrape(t testing.TB, m *Metrics) []byte {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("scrape content type %q, want the text format", ct)
	}
	return body
}

func parse(t testing.TB, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("official parser refuses the scrape: %v\n%s", err, body)
	}
	return fams
}

// series finds the one metric in a family whose labels are exactly want.
func series(t testing.TB, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("family %s missing from the scrape", name)
	}
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if want[l.GetName()] != l.GetValue() {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	t.Fatalf("series %s%v missing from the scrape", name, want)
	return nil
}

func value(t testing.TB, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := series(t, fams, name, labels)
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	t.Fatalf("%s%v is neither counter nor gauge", name, labels)
	return 0
}

func TestEverySeriesExistsAtZeroFromStartUp(t *testing.T) {
	fams := parse(t, scrape(t, New(testAgencies)))

	wantTypes := map[string]dto.MetricType{
		"frontdoor_calls_total":               dto.MetricType_COUNTER,
		"frontdoor_queue_waiting":             dto.MetricType_GAUGE,
		"frontdoor_queue_oldest_wait_seconds": dto.MetricType_GAUGE,
		"frontdoor_queue_wait_seconds":        dto.MetricType_HISTOGRAM,
		"frontdoor_call_talk_seconds":         dto.MetricType_HISTOGRAM,
		"frontdoor_agents":                    dto.MetricType_GAUGE,
		"frontdoor_active_calls":              dto.MetricType_GAUGE,
		"frontdoor_sip_requests_total":        dto.MetricType_COUNTER,
		"frontdoor_rtp_packets_total":         dto.MetricType_COUNTER,
		"go_goroutines":                       dto.MetricType_GAUGE,
		"process_cpu_seconds_total":           dto.MetricType_COUNTER,
	}
	for name, typ := range wantTypes {
		fam, ok := fams[name]
		if !ok {
			t.Errorf("family %s missing at start-up", name)
			continue
		}
		if fam.GetType() != typ {
			t.Errorf("%s has type %v, want %v", name, fam.GetType(), typ)
		}
	}

	for _, a := range testAgencies {
		for _, o := range Outcomes {
			if v := value(t, fams, "frontdoor_calls_total", map[string]string{"agency": a, "outcome": o}); v != 0 {
				t.Errorf("calls_total{%s,%s} = %v at start-up", a, o, v)
			}
		}
		for _, s := range AgentStates {
			if v := value(t, fams, "frontdoor_agents", map[string]string{"agency": a, "state": s}); v != 0 {
				t.Errorf("agents{%s,%s} = %v at start-up", a, s, v)
			}
		}
		for _, g := range []string{"frontdoor_queue_waiting", "frontdoor_queue_oldest_wait_seconds"} {
			if v := value(t, fams, g, map[string]string{"agency": a}); v != 0 {
				t.Errorf("%s{%s} = %v at start-up", g, a, v)
			}
		}
		for _, h := range []string{"frontdoor_queue_wait_seconds", "frontdoor_call_talk_seconds"} {
			hist := series(t, fams, h, map[string]string{"agency": a}).GetHistogram()
			if hist.GetSampleCount() != 0 || len(hist.GetBucket()) == 0 {
				t.Errorf("%s{%s}: count %d, %d buckets at start-up", h, a, hist.GetSampleCount(), len(hist.GetBucket()))
			}
		}
	}
	if n := len(fams["frontdoor_calls_total"].GetMetric()); n != len(testAgencies)*len(Outcomes) {
		t.Errorf("calls_total has %d series, want %d (agencies x outcomes, nothing more)", n, len(testAgencies)*len(Outcomes))
	}
	for _, meth := range append(append([]string{}, SIPMethods...), Other) {
		if v := value(t, fams, "frontdoor_sip_requests_total", map[string]string{"method": meth}); v != 0 {
			t.Errorf("sip_requests_total{%s} = %v at start-up", meth, v)
		}
	}
	for _, dir := range []string{"in", "out"} {
		if v := value(t, fams, "frontdoor_rtp_packets_total", map[string]string{"direction": dir}); v != 0 {
			t.Errorf("rtp_packets_total{%s} = %v at start-up", dir, v)
		}
	}
	if v := value(t, fams, "frontdoor_active_calls", map[string]string{}); v != 0 {
		t.Errorf("active_calls = %v at start-up", v)
	}
}

func TestRecordingsShowInTheScrape(t *testing.T) {
	m := New(testAgencies)
	m.CallFinished("tax", "answered")
	m.CallFinished("tax", "answered")
	m.CallFinished("police", "abandoned")
	m.CallFinished("", "abandoned")         // hung up in the menu: no agency yet
	m.CallFinished("no-such", "made-up")    // a bug elsewhere must not add series
	m.ObserveWait("tax", 12*time.Second)    // falls in le=15, not le=10
	m.ObserveWait("tax", 25*time.Minute)    // falls in le=1800
	m.ObserveTalk("police", 95*time.Second) // falls in le=120, not le=90
	for _, meth := range []string{"INVITE", "invite", "BYE", "FOOBAR", "REGISTER"} {
		m.SIPRequest(meth)
	}
	m.IdentityVerification("http", "verified")
	m.IdentityVerification("http", "kb_nonce_mismatch")
	m.IdentityVerification("http", "kb_nonce_mismatch")
	m.SetSource(func() Snapshot {
		return Snapshot{
			ActiveCalls: 7,
			Queues: []QueueGauge{
				{Agency: "tax", Waiting: 3, OldestWait: 41.5, AgentsByState: map[string]int{"ready": 2, "busy": 4}},
				{Agency: "unconfigured", Waiting: 99},
			},
		}
	})
	m.SetRTPSource(func() (uint64, uint64) { return 1500, 1499 })

	fams := parse(t, scrape(t, m))
	check := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if got := value(t, fams, name, labels); got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	check("frontdoor_calls_total", map[string]string{"agency": "tax", "outcome": "answered"}, 2)
	check("frontdoor_calls_total", map[string]string{"agency": "police", "outcome": "abandoned"}, 1)
	check("frontdoor_calls_total", map[string]string{"agency": "tax", "outcome": "abandoned"}, 0)
	check("frontdoor_calls_total", map[string]string{"agency": NoAgency, "outcome": "abandoned"}, 1)
	check("frontdoor_calls_total", map[string]string{"agency": NoAgency, "outcome": Other}, 1)
	check("frontdoor_sip_requests_total", map[string]string{"method": "INVITE"}, 2)
	check("frontdoor_sip_requests_total", map[string]string{"method": "BYE"}, 1)
	check("frontdoor_sip_requests_total", map[string]string{"method": Other}, 1)
	check("frontdoor_identity_verifications_total", map[string]string{"method": "http", "result": "verified"}, 1)
	check("frontdoor_identity_verifications_total", map[string]string{"method": "http", "result": "kb_nonce_mismatch"}, 2)
	check("frontdoor_queue_waiting", map[string]string{"agency": "tax"}, 3)
	check("frontdoor_queue_waiting", map[string]string{"agency": "police"}, 0)
	check("frontdoor_queue_oldest_wait_seconds", map[string]string{"agency": "tax"}, 41.5)
	check("frontdoor_agents", map[string]string{"agency": "tax", "state": "ready"}, 2)
	check("frontdoor_agents", map[string]string{"agency": "tax", "state": "busy"}, 4)
	check("frontdoor_agents", map[string]string{"agency": "tax", "state": "wrap_up"}, 0)
	check("frontdoor_active_calls", map[string]string{}, 7)
	check("frontdoor_rtp_packets_total", map[string]string{"direction": "in"}, 1500)
	check("frontdoor_rtp_packets_total", map[string]string{"direction": "out"}, 1499)
	for _, mf := range fams["frontdoor_queue_waiting"].GetMetric() {
		if mf.GetLabel()[0].GetValue() == "unconfigured" {
			t.Error("a snapshot agency outside the configuration became a series")
		}
	}

	wait := series(t, fams, "frontdoor_queue_wait_seconds", map[string]string{"agency": "tax"}).GetHistogram()
	if wait.GetSampleCount() != 2 || wait.GetSampleSum() != 12+25*60 {
		t.Errorf("wait histogram count %d sum %v, want 2 and %v", wait.GetSampleCount(), wait.GetSampleSum(), 12+25*60)
	}
	wantWait := map[float64]uint64{10: 0, 15: 1, 1200: 1, 1800: 2}
	talk := series(t, fams, "frontdoor_call_talk_seconds", map[string]string{"agency": "police"}).GetHistogram()
	wantTalk := map[float64]uint64{90: 0, 120: 1}
	for _, c := range []struct {
		h    *dto.Histogram
		want map[float64]uint64
	}{{wait, wantWait}, {talk, wantTalk}} {
		seen := 0
		for _, b := range c.h.GetBucket() {
			if w, ok := c.want[b.GetUpperBound()]; ok {
				seen++
				if b.GetCumulativeCount() != w {
					t.Errorf("bucket le=%v holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
				}
			}
		}
		if seen != len(c.want) {
			t.Errorf("histogram lacks some of the buckets %v", c.want)
		}
	}
}

// TestPromtoolAcceptsTheScrape runs Prometheus's own linter over a scrape
// taken after some traffic.
func TestPromtoolAcceptsTheScrape(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (Debian package prometheus) and CI=true")
		}
		t.Skip("SKIP: needs prometheus")
	}
	m := New(testAgencies)
	m.CallFinished("tax", "answered")
	m.ObserveWait("tax", 3*time.Second)
	m.ObserveTalk("tax", time.Minute)
	m.SIPRequest("INVITE")
	m.IdentityVerification("http", "verified")
	body := scrape(t, m)

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("promtool check metrics reports problems (err %v):\n%s", err, out)
	}
}

func BenchmarkCallFinished(b *testing.B) {
	m := New(testAgencies)
	b.ReportAllocs()
	for b.Loop() {
		m.CallFinished("tax", "answered")
	}
}

func BenchmarkSIPRequest(b *testing.B) {
	m := New(testAgencies)
	b.ReportAllocs()
	for b.Loop() {
		m.SIPRequest("INVITE")
	}
}

// BenchmarkScrape11Agencies measures one full scrape for the demo's 11 agencies.
func BenchmarkScrape11Agencies(b *testing.B) {
	agencies := []string{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11"}
	m := New(agencies)
	h := m.Handler()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
