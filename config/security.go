package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// Security configures the SIP edge's per-source defences (docs/security.md):
// rate limiting in the spirit of Kamailio's pike, pending-INVITE limits, and
// blocking of sources that keep failing authentication.
type Security struct {
	// TrustedSources are CIDRs exempt from per-source limits (a carrier trunk,
	// a local proxy). Absent: this host only; [] trusts nobody.
	TrustedSources     []string `yaml:"trusted_sources"`
	RequestsPerSecond  int      `yaml:"requests_per_second"`  // per source, sustained
	RequestBurst       int      `yaml:"request_burst"`        // per source, above the rate
	MaxPendingInvites  int      `yaml:"max_pending_invites"`  // per source, INVITEs not yet confirmed
	NodePendingInvites int      `yaml:"node_pending_invites"` // all sources together: beyond it 503
	AuthFailures       int      `yaml:"auth_failures"`        // failures that block a source...
	FailureWindow      int      `yaml:"failure_window_seconds"`
	BlockSeconds       int      `yaml:"block_seconds"` // ...for this long
	// WebSockets bounds the browser pages' signalling sockets.
	WebSockets WebSockets `yaml:"web_sockets"`
	// MaxCallsPerSource bounds calls in progress from one untrusted source.
	MaxCallsPerSource int `yaml:"max_calls_per_source"`
}

// Security defaults (docs/config.md).
const (
	DefaultRequestsPerSecond  = 50
	DefaultRequestBurst       = 100
	DefaultMaxPendingInvites  = 10
	DefaultNodePendingInvites = 1000
	DefaultAuthFailures       = 10
	DefaultFailureWindow      = 60
	DefaultBlockSeconds       = 600
	DefaultMaxCallsPerSource  = 50
)

// defaultTrusted is fail2ban's ignoreip narrowed to the exact loopback
// addresses: a proxy on this host may pass everyone's traffic, while the rest
// of 127.0.0.0/8 stays subject to limits (the tests attack from there).
var defaultTrusted = []string{"127.0.0.1/32", "::1/128"}

func (s *Security) applyDefaults() {
	if s.TrustedSources == nil {
		s.TrustedSources = append([]string(nil), defaultTrusted...)
	}
	setInt(&s.RequestsPerSecond, DefaultRequestsPerSecond)
	setInt(&s.RequestBurst, DefaultRequestBurst)
	setInt(&s.MaxPendingInvites, DefaultMaxPendingInvites)
	setInt(&s.NodePendingInvites, DefaultNodePendingInvites)
	setInt(&s.AuthFailures, DefaultAuthFailures)
	setInt(&s.FailureWindow, DefaultFailureWindow)
	setInt(&s.BlockSeconds, DefaultBlockSeconds)
	s.WebSockets.applyDefaults()
	setInt(&s.MaxCallsPerSource, DefaultMaxCallsPerSource)
}

func (s *Security) validate(v *validator) {
	for i, cidr := range s.TrustedSources {
		if _, err := ParseSource(cidr); err != nil {
			v.errf(fmt.Sprintf("security.trusted_sources[%d]", i), "%v", err)
		}
	}
	notNegative(v, "security.requests_per_second", s.RequestsPerSecond)
	notNegative(v, "security.request_burst", s.RequestBurst)
	notNegative(v, "security.max_pending_invites", s.MaxPendingInvites)
	notNegative(v, "security.node_pending_invites", s.NodePendingInvites)
	notNegative(v, "security.auth_failures", s.AuthFailures)
	notNegative(v, "security.failure_window_seconds", s.FailureWindow)
	notNegative(v, "security.block_seconds", s.BlockSeconds)
	s.WebSockets.validate(v)
	notNegative(v, "security.max_calls_per_source", s.MaxCallsPerSource)
	if s.RequestBurst > 0 && s.RequestBurst < s.RequestsPerSecond {
		v.errf("security.request_burst", "%d is below requests_per_second (%d): a source could never send a second's worth at once", s.RequestBurst, s.RequestsPerSecond)
	}
}

// ParseSource reads a trusted source: a CIDR (10.0.0.0/8) or one address.
func ParseSource(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// TrustedPrefixes are the trusted sources, parsed (validation refused bad ones).
func (s Security) TrustedPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(s.TrustedSources))
	for _, c := range s.TrustedSources {
		if p, err := ParseSource(c); err == nil {
			out = append(out, p)
		}
	}
	return out
}
