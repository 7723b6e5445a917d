package config

import (
	"fmt"
	"strings"
)

// Callback configures callbacks (virtual hold): when the estimated wait is long
// the IVR offers to call the citizen back, keeping their place in the queue, and
// frontdoor calls back through an outbound SIP trunk when an agent takes the call.
type Callback struct {
	// Trunk is the outbound SIP trunk, host:port; empty turns callbacks off.
	Trunk     string `yaml:"trunk"`
	Transport string `yaml:"transport"` // udp (default) or tcp
	// Username and Password answer the trunk's digest challenge, if it sends one.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// OfferWhenWaitSeconds: offer a callback when the caller's estimated wait is at
	// least this long, or unknown because nobody works the queue (default 120).
	OfferWhenWaitSeconds int `yaml:"offer_when_wait_seconds"`
	Retries              int `yaml:"retries"`             // further attempts after an unanswered callback (default 2)
	RetryAfterSeconds    int `yaml:"retry_after_seconds"` // between attempts (default 120)
	RingSeconds          int `yaml:"ring_seconds"`        // how long the citizen's phone rings (default 30)
	// Destination policy (toll fraud: the number comes from a spoofable From or
	// the keypad). A number is called back only if it starts with one of
	// AllowedPrefixes, with none of DeniedPrefixes, and has MinDigits..MaxDigits
	// digits. Defaults allow national numbers ("0", 8-12 digits) and refuse
	// international ones ("00", "+"), premium ranges included.
	AllowedPrefixes []string `yaml:"allowed_prefixes"`
	DeniedPrefixes  []string `yaml:"denied_prefixes"`
	MinDigits       int      `yaml:"min_digits"`
	MaxDigits       int      `yaml:"max_digits"`
	// PerNumberSeconds: one booking per number in this period (default 3600).
	PerNumberSeconds int `yaml:"per_number_seconds"`
}

// Callback defaults.
const (
	DefaultCallbackOfferWhen  = 120
	DefaultCallbackRetries    = 2
	DefaultCallbackRetryAfter = 120
	DefaultCallbackRing       = 30
	DefaultCallbackMinDigits  = 8
	DefaultCallbackMaxDigits  = 12
	DefaultCallbackPerNumber  = 3600
)

// Default callback destination policy: national numbers only.
var (
	defaultCallbackAllowed = []string{"0"}
	defaultCallbackDenied  = []string{"00", "+"}
)

func (cb *Callback) applyDefaults() {
	setString(&cb.Transport, "udp")
	setInt(&cb.OfferWhenWaitSeconds, DefaultCallbackOfferWhen)
	setInt(&cb.Retries, DefaultCallbackRetries)
	setInt(&cb.RetryAfterSeconds, DefaultCallbackRetryAfter)
	setInt(&cb.RingSeconds, DefaultCallbackRing)
	if cb.AllowedPrefixes == nil {
		cb.AllowedPrefixes = append([]string(nil), defaultCallbackAllowed...)
	}
	if cb.DeniedPrefixes == nil {
		cb.DeniedPrefixes = append([]string(nil), defaultCallbackDenied...)
	}
	setInt(&cb.MinDigits, DefaultCallbackMinDigits)
	setInt(&cb.MaxDigits, DefaultCallbackMaxDigits)
	setInt(&cb.PerNumberSeconds, DefaultCallbackPerNumber)
}

// CallbackAllowed tells whether number may be called back under the policy.
func (cb Callback) CallbackAllowed(number string) bool {
	digits := strings.TrimPrefix(number, "+")
	if number == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	if len(digits) < cb.MinDigits || (cb.MaxDigits > 0 && len(digits) > cb.MaxDigits) {
		return false
	}
	for _, p := range cb.DeniedPrefixes {
		if strings.HasPrefix(number, p) {
			return false
		}
	}
	for _, p := range cb.AllowedPrefixes {
		if strings.HasPrefix(number, p) {
			return true
		}
	}
	return false
}

func (cb *Callback) validate(v *validator) {
	if cb.Trunk != "" {
		checkHostPort(v, "callback.trunk", cb.Trunk)
	}
	if cb.Transport != "udp" && cb.Transport != "tcp" {
		v.errf("callback.transport", "%q must be udp or tcp", cb.Transport)
	}
	notNegative(v, "callback.offer_when_wait_seconds", cb.OfferWhenWaitSeconds)
	notNegative(v, "callback.retries", cb.Retries)
	notNegative(v, "callback.retry_after_seconds", cb.RetryAfterSeconds)
	notNegative(v, "callback.ring_seconds", cb.RingSeconds)
	notNegative(v, "callback.min_digits", cb.MinDigits)
	notNegative(v, "callback.max_digits", cb.MaxDigits)
	notNegative(v, "callback.per_number_seconds", cb.PerNumberSeconds)
	if cb.MaxDigits > 0 && cb.MaxDigits < cb.MinDigits {
		v.errf("callback.max_digits", "%d is below min_digits (%d): no number could be called back", cb.MaxDigits, cb.MinDigits)
	}
	if cb.Trunk != "" && len(cb.AllowedPrefixes) == 0 {
		v.errf("callback.allowed_prefixes", "is empty: no number could be called back")
	}
	for _, list := range []struct {
		key string
		ps  []string
	}{{"callback.allowed_prefixes", cb.AllowedPrefixes}, {"callback.denied_prefixes", cb.DeniedPrefixes}} {
		for i, p := range list.ps {
			if p == "" || strings.Trim(strings.TrimPrefix(p, "+"), "0123456789") != "" {
				v.errf(fmt.Sprintf("%s[%d]", list.key, i), "%q must be digits with an optional leading +", p)
			}
		}
	}
}
