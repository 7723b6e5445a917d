package metrics

import "github.com/prometheus/client_golang/prometheus"

func newSMSCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "frontdoor_identity_sms_total",
		Help: "Wallet-link texts to phone callers, by channel (webhook, sip) and result (sent, error, rate_limited).",
	}, []string{"channel", "result"})
}

// SMSSeries creates every channel × result series at zero, so an alert on
// failed texts sees the first one.
func (m *Metrics) SMSSeries(channels, results []string) {
	for _, c := range channels {
		for _, r := range results {
			m.sms.WithLabelValues(labelSafe(c), labelSafe(r))
		}
	}
}

// IdentitySMS counts one text attempt (identity/sms's fixed labels).
func (m *Metrics) IdentitySMS(channel, result string) {
	m.sms.WithLabelValues(labelSafe(channel), labelSafe(result)).Inc()
}
