package main

import (
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/sip"
)

// securityLimits converts the config's security section for the SIP edge.
func securityLimits(cfg *config.Config) sip.Limits {
	s := cfg.Security
	return sip.Limits{
		Trusted:            s.TrustedPrefixes(),
		RequestsPerSecond:  float64(s.RequestsPerSecond),
		Burst:              s.RequestBurst,
		MaxPendingInvites:  s.MaxPendingInvites,
		NodePendingInvites: s.NodePendingInvites,
		AuthFailures:       s.AuthFailures,
		FailureWindow:      time.Duration(s.FailureWindow) * time.Second,
		BlockFor:           time.Duration(s.BlockSeconds) * time.Second,
		MaxCallsPerSource:  s.MaxCallsPerSource,
	}
}
