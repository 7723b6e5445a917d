package config

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
}

// Callback defaults.
const (
	DefaultCallbackOfferWhen  = 120
	DefaultCallbackRetries    = 2
	DefaultCallbackRetryAfter = 120
	DefaultCallbackRing       = 30
)

func (cb *Callback) applyDefaults() {
	setString(&cb.Transport, "udp")
	setInt(&cb.OfferWhenWaitSeconds, DefaultCallbackOfferWhen)
	setInt(&cb.Retries, DefaultCallbackRetries)
	setInt(&cb.RetryAfterSeconds, DefaultCallbackRetryAfter)
	setInt(&cb.RingSeconds, DefaultCallbackRing)
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
}
