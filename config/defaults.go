package config

import "net"

// Defaults for keys a file may leave out (docs/config.md lists them all).
const (
	DefaultSIPListen           = "127.0.0.1:5060"
	DefaultHTTPListen          = "127.0.0.1:8080"
	DefaultRTPPorts            = "20000-29999"
	DefaultRTPTimeoutSeconds   = 30
	DefaultHoldTimeoutSeconds  = 1800
	DefaultRealm               = "frontdoor"
	DefaultMaxCalls            = 2000
	DefaultWaitSeconds         = 60
	DefaultStatusListTTL       = 300
	DefaultInterdigitTimeoutMS = 2000
	DefaultMenuTimeoutSeconds  = 8
	DefaultMenuRetries         = 3
	DefaultRole                = "agent"
)

// DefaultClaims are the identity claims kept with a call unless configured.
var defaultClaims = []string{"given_name", "family_name", "birthdate"}

// defaultVCTs are the accepted credential types unless configured: a
// trusted issuer's other credentials must not verify a caller.
var defaultVCTs = []string{"urn:eudi:pid:1"}

func (c *Config) applyDefaults() {
	setString(&c.Listen.SIP, DefaultSIPListen)
	setString(&c.Listen.HTTP, DefaultHTTPListen)
	setString(&c.Media.RTPPorts, DefaultRTPPorts)
	if c.Media.AdvertiseIP == "" {
		// The SIP listen address is what phones already reach; a wildcard
		// bind gives no usable address, which validation then reports.
		if host, _, err := net.SplitHostPort(c.Listen.SIP); err == nil {
			if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
				c.Media.AdvertiseIP = host
			}
		}
	}
	setInt(&c.Media.RTPTimeoutSeconds, DefaultRTPTimeoutSeconds)
	setInt(&c.Media.HoldTimeoutSeconds, DefaultHoldTimeoutSeconds)
	setString(&c.SIP.Realm, DefaultRealm)
	setInt(&c.SIP.MaxCalls, DefaultMaxCalls)
	c.Callback.applyDefaults()
	c.Recording.applyDefaults()
	if len(c.SIP.DigestAlgorithms) == 0 {
		c.SIP.DigestAlgorithms = []string{"MD5"}
	}
	c.Security.applyDefaults()
	setString(&c.Identity.Mode, ModeOffer)
	setString(&c.Identity.ResponseMode, ResponseDirectPostJWT)
	if c.Identity.Claims == nil {
		c.Identity.Claims = append([]string(nil), defaultClaims...)
	}
	if c.Identity.VCTs == nil {
		c.Identity.VCTs = append([]string(nil), defaultVCTs...)
	}
	setInt(&c.Identity.WaitSeconds, DefaultWaitSeconds)
	setInt(&c.Identity.StatusListTTLSeconds, DefaultStatusListTTL)
	c.Identity.SMS.applyDefaults()
	setInt(&c.IVR.InterdigitTimeoutMS, DefaultInterdigitTimeoutMS)
	setInt(&c.IVR.MenuTimeoutSeconds, DefaultMenuTimeoutSeconds)
	setInt(&c.IVR.MenuRetries, DefaultMenuRetries)
	for i := range c.Agencies {
		c.Agencies[i].Queue.applyDefaults()
	}
	for i := range c.Agents {
		a := &c.Agents[i]
		setString(&a.Role, DefaultRole)
		setString(&a.Name, a.ID)
	}
	c.applyClusterDefaults()
}

func setString(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}
