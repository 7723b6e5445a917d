package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	queueWaitingDesc = prometheus.NewDesc("frontdoor_queue_waiting",
		"Callers waiting in an agency's queue now.", []string{"agency"}, nil)
	queueOldestDesc = prometheus.NewDesc("frontdoor_queue_oldest_wait_seconds",
		"How long the longest-waiting caller in an agency's queue has waited.", []string{"agency"}, nil)
	agentsDesc = prometheus.NewDesc("frontdoor_agents",
		"Agents by state, counted under each agency they have a skill for.", []string{"agency", "state"}, nil)
	activeCallsDesc = prometheus.NewDesc("frontdoor_active_calls",
		"Calls in progress (IVR, queued, ringing or connected).", nil, nil)
	rtpPacketsDesc = prometheus.NewDesc("frontdoor_rtp_packets_total",
		"RTP packets received (in) and sent (out) by the media legs.", []string{"direction"}, nil)
)

// snapshotCollector reads the core's snapshot once per scrape. Configured
// agencies are always emitted, at zero when the snapshot lacks them (or no
// source is set yet); agencies or states outside the configuration are
// dropped so a bug elsewhere cannot add series.
type snapshotCollector struct {
	m        *Metrics
	agencies []string
}

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueWaitingDesc
	ch <- queueOldestDesc
	ch <- agentsDesc
	ch <- activeCallsDesc
}

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.RLock()
	source := c.m.source
	c.m.mu.RUnlock()
	var snap Snapshot
	if source != nil {
		snap = source()
	}
	byAgency := make(map[string]QueueGauge, len(snap.Queues))
	for _, q := range snap.Queues {
		byAgency[q.Agency] = q
	}
	for _, a := range c.agencies {
		q := byAgency[a]
		ch <- prometheus.MustNewConstMetric(queueWaitingDesc, prometheus.GaugeValue, float64(q.Waiting), a)
		ch <- prometheus.MustNewConstMetric(queueOldestDesc, prometheus.GaugeValue, q.OldestWait, a)
		for _, s := range AgentStates {
			ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(q.AgentsByState[s]), a, s)
		}
	}
	ch <- prometheus.MustNewConstMetric(activeCallsDesc, prometheus.GaugeValue, float64(snap.ActiveCalls))
}

// rtpCollector turns media's own atomic packet counts into counters.
type rtpCollector struct{ m *Metrics }

func (c *rtpCollector) Describe(ch chan<- *prometheus.Desc) { ch <- rtpPacketsDesc }

func (c *rtpCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.RLock()
	source := c.m.rtp
	c.m.mu.RUnlock()
	var in, out uint64
	if source != nil {
		in, out = source()
	}
	ch <- prometheus.MustNewConstMetric(rtpPacketsDesc, prometheus.CounterValue, float64(in), "in")
	ch <- prometheus.MustNewConstMetric(rtpPacketsDesc, prometheus.CounterValue, float64(out), "out")
}
