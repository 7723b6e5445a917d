package config

// WebSockets bounds the browser edge's signalling sockets
// (security.web_sockets). Callers and agents have separate budgets, so
// caller pages, however many, never lock agents out of their softphones.
type WebSockets struct {
	Callers          int `yaml:"callers"`            // caller pages at once; beyond: 503
	CallersPerSource int `yaml:"callers_per_source"` // per IPv4 address / IPv6 /64; beyond: 429; -1: no bound
	Agents           int `yaml:"agents"`             // softphones at once
	PerAgent         int `yaml:"per_agent"`          // one agent's softphone sockets (tabs); beyond: 429
}

// Web socket defaults (docs/config.md).
const (
	DefaultWebCallers          = 2000
	DefaultWebCallersPerSource = 20
	DefaultWebAgents           = 1000
	DefaultWebPerAgent         = 4
)

func (w *WebSockets) applyDefaults() {
	setInt(&w.Callers, DefaultWebCallers)
	setInt(&w.CallersPerSource, DefaultWebCallersPerSource)
	setInt(&w.Agents, DefaultWebAgents)
	setInt(&w.PerAgent, DefaultWebPerAgent)
}

func (w *WebSockets) validate(v *validator) {
	notNegative(v, "security.web_sockets.callers", w.Callers)
	if w.CallersPerSource < -1 {
		v.errf("security.web_sockets.callers_per_source", "%d: give a count, or -1 for no per-source bound", w.CallersPerSource)
	}
	notNegative(v, "security.web_sockets.agents", w.Agents)
	notNegative(v, "security.web_sockets.per_agent", w.PerAgent)
}
