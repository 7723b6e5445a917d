package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	agentsDesc = prometheus.NewDesc("frontdoor_agents",
		"Agents by state, counted under each agency they have a skill for.", []string{"agency", "state"}, nil)
	centerAgentsDesc = prometheus.NewDesc("frontdoor_center_agents",
		"Agents by state across the center, each agent counted once.", []string{"state"}, nil)
	activeCallsDesc = prometheus.NewDesc("frontdoor_active_calls",
		"Calls in progress (IVR, queued, ringing or connected).", nil, nil)
	clusterLeaderDesc = prometheus.NewDesc("frontdoor_cluster_leader",
		"1 on the cluster's ACD leader (which exports the center-wide series), 0 on the other nodes.", []string{"node"}, nil)
	rtpPacketsDesc = prometheus.NewDesc("frontdoor_rtp_packets_total",
		"RTP packets received (in) and sent (out) by the media legs.", []string{"direction"}, nil)
)

// queueGauge is one per-agency gauge and how to read it from a QueueGauge.
type queueGauge struct {
	desc  *prometheus.Desc
	value func(q QueueGauge) float64
}

func agencyGauge(name, help string, value func(q QueueGauge) float64) queueGauge {
	return queueGauge{desc: prometheus.NewDesc(name, help, []string{"agency"}, nil), value: value}
}

// states sums the agents of an agency in the given states.
func states(q QueueGauge, names ...string) float64 {
	n := 0
	for _, s := range names {
		n += q.AgentsByState[s]
	}
	return float64(n)
}

// ratio is n/d, 0 when d is 0.
func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// queueGauges are the per-agency live figures. Names follow Amazon Connect's
// real-time metrics (agents online, available, on contact, after-contact work,
// non-productive; contacts in queue; oldest contact age; service level;
// abandonment) and Asterisk's QueueParams (holdtime, talktime, service level),
// in Prometheus units: seconds and 0..1 ratios.
var queueGauges = []queueGauge{
	agencyGauge("frontdoor_queue_waiting", "Callers waiting in an agency's queue now.",
		func(q QueueGauge) float64 { return float64(q.Waiting) }),
	agencyGauge("frontdoor_queue_oldest_wait_seconds", "How long the longest-waiting caller in an agency's queue has waited.",
		func(q QueueGauge) float64 { return q.OldestWait }),
	agencyGauge("frontdoor_queue_agents_online", "Agents of the agency logged in (any state but logged_out).",
		func(q QueueGauge) float64 { return states(q, "not_ready", "ready", "ringing", "busy", "wrap_up") }),
	agencyGauge("frontdoor_queue_agents_available", "Agents of the agency ready for a call.",
		func(q QueueGauge) float64 { return states(q, "ready") }),
	agencyGauge("frontdoor_queue_agents_on_contact", "Agents of the agency ringing or talking.",
		func(q QueueGauge) float64 { return states(q, "ringing", "busy") }),
	agencyGauge("frontdoor_queue_agents_after_contact_work", "Agents of the agency in wrap-up after a call.",
		func(q QueueGauge) float64 { return states(q, "wrap_up") }),
	agencyGauge("frontdoor_queue_agents_non_productive", "Agents of the agency logged in but not ready (break, rona, ...).",
		func(q QueueGauge) float64 { return states(q, "not_ready") }),
	agencyGauge("frontdoor_queue_service_level_ratio", "Share of today's calls answered within the agency's threshold (0..1).",
		func(q QueueGauge) float64 { return q.ServiceLevel }),
	agencyGauge("frontdoor_queue_service_level_target_ratio", "The agency's service-level goal (0..1), e.g. 0.8 for 80 % in 20 s.",
		func(q QueueGauge) float64 { return q.ServiceLevelGoal }),
	agencyGauge("frontdoor_queue_service_level_threshold_seconds", "The agency's service-level threshold, e.g. 20 for 80 % in 20 s.",
		func(q QueueGauge) float64 { return q.ServiceLevelThreshold }),
	agencyGauge("frontdoor_queue_abandon_ratio", "Share of today's offered calls the caller abandoned (0..1).",
		func(q QueueGauge) float64 { return ratio(q.Abandoned, q.Offered) }),
	agencyGauge("frontdoor_queue_answer_speed_seconds", "Average speed of answer today: mean wait of answered calls.",
		func(q QueueGauge) float64 { return q.ASA }),
	agencyGauge("frontdoor_queue_handle_seconds", "Recent mean handle time of the agency's calls.",
		func(q QueueGauge) float64 { return q.AverageHandle }),
	agencyGauge("frontdoor_queue_open", "1 while the agency is within its opening hours, else 0.",
		func(q QueueGauge) float64 { return ratio(boolInt(q.Open), 1) }),
}

// snapshotCollector reads the core's snapshot once per scrape. Configured
// agencies are always emitted, at zero when the snapshot lacks them (or no
// source is set yet); agencies or states outside the configuration are
// dropped so a bug elsewhere cannot add series.
type snapshotCollector struct {
	m        *Metrics
	agencies []string
}

func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range queueGauges {
		ch <- g.desc
	}
	ch <- agentsDesc
	ch <- centerAgentsDesc
	ch <- activeCallsDesc
	ch <- clusterLeaderDesc
}

func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.RLock()
	source := c.m.source
	c.m.mu.RUnlock()
	var snap Snapshot
	if source != nil {
		snap = source()
	}
	ch <- prometheus.MustNewConstMetric(activeCallsDesc, prometheus.GaugeValue, float64(snap.ActiveCalls))
	if cl := snap.Cluster; cl != nil {
		ch <- prometheus.MustNewConstMetric(clusterLeaderDesc, prometheus.GaugeValue, float64(boolInt(cl.Leader)), cl.Node)
		if !cl.Leader {
			return
		}
	}
	byAgency := make(map[string]QueueGauge, len(snap.Queues))
	for _, q := range snap.Queues {
		byAgency[q.Agency] = q
	}
	for _, a := range c.agencies {
		q := byAgency[a]
		for _, g := range queueGauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, g.value(q), a)
		}
		for _, s := range AgentStates {
			ch <- prometheus.MustNewConstMetric(agentsDesc, prometheus.GaugeValue, float64(q.AgentsByState[s]), a, s)
		}
	}
	for _, s := range AgentStates {
		ch <- prometheus.MustNewConstMetric(centerAgentsDesc, prometheus.GaugeValue, float64(snap.Agents[s]), s)
	}
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
