package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// SMS configures identity.sms: the IVR offers a caller whose number a
// trusted trunk asserted to text them the OpenID4VP wallet link (with the
// match number the IVR says), through a site's SMS gateway webhook and/or
// SIP MESSAGE (RFC 3428) through the carrier. On when webhook_url or
// trunk.uri is set.
type SMS struct {
	// WebhookURL gets POST {"to","text","link","match","call_id"}; a 2xx
	// means the gateway took the text.
	WebhookURL string   `yaml:"webhook_url"`
	Trunk      SMSTrunk `yaml:"trunk"`
	// Text is the message; {link} (required) and {match} are filled in.
	Text string `yaml:"text"`
	// TimeoutSeconds bounds each channel's attempt; the caller hears
	// silence meanwhile, so it stays short (default 3, at most 10).
	TimeoutSeconds int `yaml:"timeout_seconds"`
	// PerNumberPerHour caps the texts one number gets in an hour, however
	// many calls ask (default 3).
	PerNumberPerHour int `yaml:"per_number_per_hour"`
	// AllowedPrefixes, if set, are the only destinations offered a text
	// (e.g. the country's mobile ranges), against SMS pumping. Empty: any
	// asserted number.
	AllowedPrefixes []string `yaml:"allowed_prefixes"`
}

// SMSTrunk is where SIP MESSAGE texts go.
type SMSTrunk struct {
	// URI is the MESSAGE Request-URI; {number} is replaced by the caller's
	// number, e.g. sip:{number}@sms.carrier.example:5060. Without
	// {number} (a proxy's URI) the number is only in To.
	URI string `yaml:"uri"`
	// From is the sender, a sip: URI (default: the front-door number at
	// media.advertise_ip).
	From      string `yaml:"from"`
	Transport string `yaml:"transport"` // udp (default) or tcp
	// Username and Password answer a 401/407 digest challenge, if the trunk sends one.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// SMS defaults and bounds.
const (
	DefaultSMSText           = "Government call center: to verify your ID for your call, open this link with your ID wallet: {link} The call center told you the number {match}."
	DefaultSMSTimeoutSeconds = 3
	DefaultSMSPerNumber      = 3
	maxSMSTimeoutSeconds     = 10
	// maxSMSText keeps a text with its link (about 250 characters) inside
	// RFC 3428's 1300 bytes for a MESSAGE over UDP.
	maxSMSText = 600
)

var smsPlaceholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// Enabled reports whether a channel is configured.
func (s SMS) Enabled() bool { return s.WebhookURL != "" || s.Trunk.URI != "" }

func (s *SMS) applyDefaults() {
	if !s.Enabled() {
		return
	}
	setString(&s.Text, DefaultSMSText)
	setInt(&s.TimeoutSeconds, DefaultSMSTimeoutSeconds)
	setInt(&s.PerNumberPerHour, DefaultSMSPerNumber)
	if s.Trunk.URI != "" {
		setString(&s.Trunk.Transport, "udp")
	}
}

func (c *Config) validateSMS(v *validator) {
	const p = "identity.sms"
	s := c.Identity.SMS
	if _, present := v.lines[p]; present && !s.Enabled() {
		v.errf(p, "needs webhook_url or trunk.uri (or leave the section out)")
		return
	}
	if !s.Enabled() {
		return
	}
	if c.Identity.Mode == ModeOff {
		v.errf(p, "identity.mode is off: no caller would be offered a text")
	}
	if !c.Identity.OpenID4VPEnabled() {
		v.errf(p, "needs OpenID4VP (identity.verifier_cert_file and verifier_key_file): the text carries the wallet link")
	}
	if s.WebhookURL != "" {
		if u, err := url.Parse(s.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errf(p+".webhook_url", "%q must be an http(s) URL", s.WebhookURL)
		}
	}
	s.Trunk.validate(v, p+".trunk")
	if !strings.Contains(s.Text, "{link}") {
		v.errf(p+".text", "must contain {link}: the text is there to carry the wallet link")
	}
	for _, ph := range smsPlaceholderRE.FindAllString(s.Text, -1) {
		if ph != "{link}" && ph != "{match}" {
			v.errf(p+".text", "unknown placeholder %s (known: {link}, {match})", ph)
		}
	}
	if n := len(s.Text); n > maxSMSText {
		v.errf(p+".text", "is %d bytes; at most %d leave room for the link in one MESSAGE", n, maxSMSText)
	}
	if s.TimeoutSeconds < 0 || s.TimeoutSeconds > maxSMSTimeoutSeconds {
		v.errf(p+".timeout_seconds", "%d must be 1..%d: the caller waits in silence meanwhile", s.TimeoutSeconds, maxSMSTimeoutSeconds)
	}
	notNegative(v, p+".per_number_per_hour", s.PerNumberPerHour)
	for i, pre := range s.AllowedPrefixes {
		if pre == "" || strings.Trim(strings.TrimPrefix(pre, "+"), "0123456789") != "" {
			v.errf(fmt.Sprintf("%s.allowed_prefixes[%d]", p, i), "%q must be digits with an optional leading +", pre)
		}
	}
}

func (t SMSTrunk) validate(v *validator, p string) {
	if t.URI == "" {
		if t.From != "" || t.Username != "" || t.Password != "" || t.Transport != "" {
			v.errf(p+".uri", "required when the trunk section is set")
		}
		return
	}
	if err := checkSIPURI(strings.ReplaceAll(t.URI, "{number}", "0")); err != nil {
		v.errf(p+".uri", "%q: %v", t.URI, err)
	} else if i := strings.Index(t.URI, "{number}"); i >= 0 && !strings.HasSuffix(t.URI[:i], ":") {
		v.errf(p+".uri", "%q: {number} must be the user part (sip:{number}@host)", t.URI)
	}
	if t.From != "" {
		if err := checkSIPURI(t.From); err != nil {
			v.errf(p+".from", "%q: %v", t.From, err)
		}
	}
	if t.Transport != "udp" && t.Transport != "tcp" {
		v.errf(p+".transport", "%q must be udp or tcp", t.Transport)
	}
	if t.Password != "" && t.Username == "" {
		v.errf(p+".password", "needs username as well")
	}
}

// checkSIPURI accepts a sip: URI with a host.
func checkSIPURI(s string) error {
	if !strings.HasPrefix(s, "sip:") {
		return fmt.Errorf("must be a sip: URI")
	}
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(s, &u); err != nil {
		return fmt.Errorf("not a SIP URI: %v", err)
	}
	if u.Host == "" {
		return fmt.Errorf("has no host")
	}
	return nil
}
