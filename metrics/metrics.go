// Package metrics holds frontdoor's Prometheus metrics: the contract series
// (docs: CONTRACT.md, "Metrics"), each in a registry of its own so tests and
// several instances in one process never share state.
package metrics

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes a call can finish with; every one exists per agency from start-up.
var Outcomes = []string{"answered", "abandoned", "overflowed", "timeout", "rejected", "closed"}

// AgentStates are the agent states counted per agency.
var AgentStates = []string{"logged_out", "not_ready", "ready", "ringing", "busy", "wrap_up"}

// SIPMethods are counted by name; any other method counts as "other" so a
// peer sending made-up methods cannot grow the series without bound.
var SIPMethods = []string{"INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO",
	"PRACK", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH"}

// NoAgency labels calls that ended before they reached a configured agency
// (for example a caller who hung up in the menu).
const NoAgency = "none"

// Other labels a value outside a known set.
const Other = "other"

// Wait buckets span a call centre's range: seconds (service level targets of
// 10-30 s) to half an hour.
var waitBuckets = []float64{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1200, 1800}

// Talk buckets: a short query to an hour-long case.
var talkBuckets = []float64{10, 30, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 2700, 3600}

// QueueGauge is one agency's live figures at scrape time: what Asterisk's
// QueueSummary/QueueParams and Amazon Connect's real-time metrics show.
type QueueGauge struct {
	Agency        string
	Waiting       int
	OldestWait    float64        // seconds
	AgentsByState map[string]int // state -> count
	// Today's figures in the agency's time zone.
	Offered, Abandoned    int
	ServiceLevel          float64 // 0..1, answered within the threshold
	ServiceLevelGoal      float64 // 0..1, the agency's target share
	ServiceLevelThreshold float64 // seconds
	ASA                   float64 // seconds, mean wait of answered calls
	AverageHandle         float64 // seconds, recent mean handle time
	Open                  bool    // within opening hours now
}

// Snapshot is what the core reports at each scrape.
type Snapshot struct {
	Queues      []QueueGauge
	ActiveCalls int
	// Agents counts each agent once by state, however many agencies it serves.
	Agents map[string]int
	// Cluster is set on a node of a cluster: only the ACD leader exports the
	// center-wide series (queues, agents), so Prometheus sums over the nodes
	// do not count them once per node; every node exports its own legs.
	Cluster *ClusterRole
}

// ClusterRole is this node's place in a cluster (frontdoor_cluster_leader).
type ClusterRole struct {
	Node   string
	Leader bool
}

// Metrics owns frontdoor's registry and every contract series.
type Metrics struct {
	reg      *prometheus.Registry
	agencies map[string]bool

	calls    *prometheus.CounterVec
	wait     *prometheus.HistogramVec
	talk     *prometheus.HistogramVec
	identity *prometheus.CounterVec
	sms      *prometheus.CounterVec // identity texts (sms.go)
	sip      *prometheus.CounterVec
	sipKnown map[string]bool

	mu     sync.RWMutex
	source func() Snapshot
	rtp    func() (in, out uint64)
}

// New creates the registry with every series for each agency at zero.
func New(agencies []string) *Metrics {
	m := &Metrics{
		reg:      prometheus.NewRegistry(),
		agencies: make(map[string]bool, len(agencies)),
		sipKnown: make(map[string]bool, len(SIPMethods)),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_calls_total",
			Help: "Calls that left the queueing system, by agency and outcome.",
		}, []string{"agency", "outcome"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdoor_queue_wait_seconds",
			Help:    "Time callers waited in queue before they were answered or left.",
			Buckets: waitBuckets,
		}, []string{"agency"}),
		talk: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdoor_call_talk_seconds",
			Help:    "Talk time of answered calls, from answer to hang-up.",
			Buckets: talkBuckets,
		}, []string{"agency"}),
		identity: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_identity_verifications_total",
			Help: "Identity presentations checked, by method and result (verified or the refusal code).",
		}, []string{"method", "result"}),
		sms: newSMSCounter(),
		sip: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_sip_requests_total",
			Help: "SIP requests received, by method.",
		}, []string{"method"}),
	}
	for _, a := range agencies {
		m.agencies[a] = true
		for _, o := range Outcomes {
			m.calls.WithLabelValues(a, o)
		}
		m.wait.WithLabelValues(a)
		m.talk.WithLabelValues(a)
	}
	for _, meth := range SIPMethods {
		m.sipKnown[meth] = true
		m.sip.WithLabelValues(meth)
	}
	m.sip.WithLabelValues(Other)

	m.reg.MustRegister(m.calls, m.wait, m.talk, m.identity, m.sms, m.sip,
		&snapshotCollector{m: m, agencies: agencies},
		&rtpCollector{m: m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is the registry behind Handler, for callers that add their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:      m.reg, // counts its own scrape errors
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// SetSource sets the function the gauges read at each scrape.
func (m *Metrics) SetSource(f func() Snapshot) {
	m.mu.Lock()
	m.source = f
	m.mu.Unlock()
}

// SetRTPSource sets the function the RTP packet counters read at each scrape;
// media keeps the counts itself with atomic adds, so the packet path never
// touches a metric.
func (m *Metrics) SetRTPSource(f func() (in, out uint64)) {
	m.mu.Lock()
	m.rtp = f
	m.mu.Unlock()
}

// CallFinished counts a call leaving the system. An agency that is not
// configured counts as NoAgency and an unknown outcome as Other, so the
// series stay the ones created at start-up.
func (m *Metrics) CallFinished(agency, outcome string) {
	m.calls.WithLabelValues(m.agencyLabel(agency), oneOf(outcome, Outcomes)).Inc()
}

// ObserveWait records how long a caller waited in an agency's queue.
func (m *Metrics) ObserveWait(agency string, d time.Duration) {
	m.wait.WithLabelValues(m.agencyLabel(agency)).Observe(d.Seconds())
}

// ObserveTalk records an answered call's talk time.
func (m *Metrics) ObserveTalk(agency string, d time.Duration) {
	m.talk.WithLabelValues(m.agencyLabel(agency)).Observe(d.Seconds())
}

// SIPRequest counts one received SIP request.
func (m *Metrics) SIPRequest(method string) {
	method = strings.ToUpper(method)
	if !m.sipKnown[method] {
		method = Other
	}
	m.sip.WithLabelValues(method).Inc()
}

// IdentityVerification counts one checked presentation. Both values come
// from the identity package's fixed sets (channel, "verified" or a refusal
// code); they are trimmed to a safe label form all the same.
func (m *Metrics) IdentityVerification(method, result string) {
	m.identity.WithLabelValues(labelSafe(method), labelSafe(result)).Inc()
}

func (m *Metrics) agencyLabel(agency string) string {
	if m.agencies[agency] {
		return agency
	}
	return NoAgency
}

func oneOf(v string, set []string) string {
	for _, s := range set {
		if s == v {
			return v
		}
	}
	return Other
}

// labelSafe keeps [a-z0-9_-] and at most 48 bytes: enough for reason codes,
// too little for anything a caller could use to flood the registry.
func labelSafe(v string) string {
	v = strings.ToLower(v)
	var b strings.Builder
	for _, r := range v {
		if b.Len() >= 48 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return Other
	}
	return b.String()
}

// IdentitySeries creates every method × result series at zero, so the
// identity dashboards see each pair before the first presentation.
func (m *Metrics) IdentitySeries(methods, results []string) {
	for _, meth := range methods {
		for _, r := range results {
			m.identity.WithLabelValues(labelSafe(meth), labelSafe(r))
		}
	}
}
