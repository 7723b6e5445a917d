package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/frontdoor-project/frontdoor/agents"
)

var (
	agencyIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	agentIDRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	digitRE    = regexp.MustCompile(`^[0-9*]{1,2}$`)
	numberRE   = regexp.MustCompile(`^\+?[0-9]+$`)
)

// minAdminToken keeps a guessable admin token out of production configs.
const minAdminToken = 16

func (c *Config) validate(v *validator) {
	c.validateListen(v)
	c.validateMedia(v)
	numbers := map[string]string{} // dialled number -> its owner
	v.claim("number", c.Number, numberRE, "be digits (an optional leading +)", numbers, "the front-door number")
	if t := c.API.AdminToken; t != "" && len(t) < minAdminToken {
		v.errf("api.admin_token", "must be at least %d characters (or empty to disable)", minAdminToken)
	}
	if strings.ContainsAny(c.SIP.Realm, "\"\\:\r\n") {
		v.errf("sip.realm", "%q must not contain quotes, backslashes, colons or line breaks", c.SIP.Realm)
	}
	notNegative(v, "sip.max_calls", c.SIP.MaxCalls)
	seenAlg := map[string]bool{}
	for i, a := range c.SIP.DigestAlgorithms {
		path := fmt.Sprintf("sip.digest_algorithms[%d]", i)
		switch {
		case a != "MD5" && a != "SHA-256":
			v.errf(path, "%q is not a digest algorithm (MD5 or SHA-256)", a)
		case seenAlg[a]:
			v.errf(path, "%q is listed twice", a)
		}
		seenAlg[a] = true
	}
	c.Security.validate(v)
	c.validateTLS(v)
	c.validateIdentity(v)
	c.validateOpenID4VP(v)
	c.validateSMS(v)
	c.validateIVR(v)
	c.Callback.validate(v)
	c.Recording.validate(v)
	ids := c.validateAgencies(v, numbers)
	c.validateAgents(v, ids, numbers)
	c.validateCluster(v)
}

func (c *Config) validateListen(v *validator) {
	checkHostPort(v, "listen.sip", c.Listen.SIP)
	checkHostPort(v, "listen.http", c.Listen.HTTP)
	if c.Listen.SIP == c.Listen.HTTP {
		v.errf("listen.http", "%q is also listen.sip (SIP listens on TCP too)", c.Listen.HTTP)
	}
}

func checkHostPort(v *validator, path, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errf(path, "%q is not host:port", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.errf(path, "%q: port must be a number 0..65535", addr)
	}
}

func (c *Config) validateMedia(v *validator) {
	if _, _, err := parsePortRange(c.Media.RTPPorts); err != nil {
		v.errf("media.rtp_ports", "%v", err)
	}
	switch ip := net.ParseIP(c.Media.AdvertiseIP); {
	case c.Media.AdvertiseIP == "":
		v.errf("media.advertise_ip", "required when listen.sip has no specific IP address")
	case ip == nil:
		v.errf("media.advertise_ip", "%q is not an IP address", c.Media.AdvertiseIP)
	case ip.IsUnspecified():
		v.errf("media.advertise_ip", "%q cannot be reached; give the address phones should send RTP to", c.Media.AdvertiseIP)
	}
	notNegative(v, "media.rtp_timeout_seconds", c.Media.RTPTimeoutSeconds)
	notNegative(v, "media.hold_timeout_seconds", c.Media.HoldTimeoutSeconds)
}

func (c *Config) validateIdentity(v *validator) {
	id := c.Identity
	switch id.Mode {
	case ModeOff, ModeOffer, ModeRequire:
	default:
		v.errf("identity.mode", "%q must be off, offer or require", id.Mode)
	}
	if id.Mode != ModeOff {
		hint := ""
		if _, written := v.lines["identity.mode"]; !written {
			// A first config often leaves identity out and cannot tell
			// where "offer" came from, nor how to do without.
			hint = "; offer is the default, identity.mode: off skips the identity step"
		}
		if id.VerifierID == "" {
			v.errf("identity.verifier_id", "required when identity.mode is %s (it is the KB-JWT aud)%s", id.Mode, hint)
		}
		if len(id.Issuers) == 0 {
			v.errf("identity.issuers", "at least one issuer is needed when identity.mode is %s%s", id.Mode, hint)
		}
	}
	seen := map[string]bool{}
	for i, iss := range id.Issuers {
		p := fmt.Sprintf("identity.issuers[%d]", i)
		switch {
		case iss.Iss == "":
			v.errf(p+".iss", "required")
		case seen[iss.Iss]:
			v.errf(p+".iss", "%q is listed twice", iss.Iss)
		}
		seen[iss.Iss] = true
		if iss.JWKSFile == "" {
			v.errf(p+".jwks_file", "required")
		} else if _, err := c.ReadFile(iss.JWKSFile); err != nil {
			v.errf(p+".jwks_file", "cannot read %s: %v", c.Resolve(iss.JWKSFile), unwrapPathError(err))
		}
	}
	claims := map[string]bool{}
	for i, cl := range id.Claims {
		p := fmt.Sprintf("identity.claims[%d]", i)
		switch {
		case cl == "":
			v.errf(p, "empty claim name")
		case claims[cl]:
			v.errf(p, "%q is listed twice", cl)
		}
		claims[cl] = true
	}
	notNegative(v, "identity.wait_seconds", id.WaitSeconds)
	notNegative(v, "identity.status_list_ttl_seconds", id.StatusListTTLSeconds)
	if id.PushURL != "" {
		if u, err := url.Parse(id.PushURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errf("identity.push_url", "%q must be an http(s) URL", id.PushURL)
		}
	}
	for i, vct := range id.VCTs {
		if vct == "" {
			v.errf(fmt.Sprintf("identity.vcts[%d]", i), "empty credential type")
		}
	}
	for i, prefix := range id.StatusListAllowed {
		u, err := url.Parse(prefix)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.errf(fmt.Sprintf("identity.status_list_allowed[%d]", i), "%q must be an http(s) URL prefix", prefix)
		}
	}
}

func (c *Config) validateIVR(v *validator) {
	notNegative(v, "ivr.interdigit_timeout_ms", c.IVR.InterdigitTimeoutMS)
	notNegative(v, "ivr.menu_timeout_seconds", c.IVR.MenuTimeoutSeconds)
	notNegative(v, "ivr.menu_retries", c.IVR.MenuRetries)
	if d := c.IVR.PromptsDir; d != "" {
		if fi, err := os.Stat(c.Resolve(d)); err != nil {
			v.errf("ivr.prompts_dir", "cannot read %s: %v", c.Resolve(d), unwrapPathError(err))
		} else if !fi.IsDir() {
			v.errf("ivr.prompts_dir", "%s is not a directory", c.Resolve(d))
		}
	}
}

// validateAgencies returns the set of valid agency ids, for skills and
// queue cross-references.
func (c *Config) validateAgencies(v *validator, numbers map[string]string) map[string]bool {
	if len(c.Agencies) == 0 {
		v.errf("agencies", "at least one agency is required")
	}
	ids := map[string]bool{}
	for _, a := range c.Agencies {
		if agencyIDRE.MatchString(a.ID) {
			ids[a.ID] = true
		}
	}
	taken := map[string]string{}
	digits := map[string]string{}
	for i, a := range c.Agencies {
		p := fmt.Sprintf("agencies[%d]", i)
		v.claim(p+".id", a.ID, agencyIDRE, "match [a-z0-9-]+", taken, "the id of "+p)
		if a.Name == "" {
			v.errf(p+".name", "required")
		}
		if a.Digit != "" {
			v.claim(p+".digit", a.Digit, digitRE, "be 1 or 2 of the keys 0-9 and * (# ends the choice)", digits, "the choice for "+a.ID)
		}
		for j, n := range a.Numbers {
			v.claim(fmt.Sprintf("%s.numbers[%d]", p, j), n, numberRE, "be digits (an optional leading +)", numbers, "a number of "+a.ID)
		}
		a.Queue.validate(v, p+".queue", ids)
	}
	return ids
}

func (c *Config) validateAgents(v *validator, agencies map[string]bool, numbers map[string]string) {
	// Agent ids share the SIP user namespace with dialled numbers.
	taken := maps.Clone(numbers)
	for i, a := range c.Agents {
		p := fmt.Sprintf("agents[%d]", i)
		v.claim(p+".id", a.ID, agentIDRE, "match [A-Za-z0-9._-]+", taken, "the id of "+p)
		if err := agents.CheckPasswordForm(a.Password); err != nil {
			v.errf(p+".password", "%v", err)
		}
		if a.SIPHA1 != "" {
			if !agents.IsBcrypt(a.Password) {
				v.errf(p+".sip_ha1", "only for a bcrypt password (plain and ha1: passwords serve SIP digest themselves)")
			} else if !agents.IsHA1Form(a.SIPHA1) || agents.CheckHA1Form(a.SIPHA1) != nil {
				v.errf(p+".sip_ha1", "must be the ha1: form made by frontdoor hash-password -id %s", a.ID)
			}
		}
		if _, err := agents.ParseRole(a.Role); err != nil {
			v.errf(p+".role", "%v", err)
		}
		for _, agency := range sortedKeys(a.Skills) {
			level := a.Skills[agency]
			sp := p + ".skills." + agency
			if !agencies[agency] {
				v.errf(sp, "no agency %q is configured", agency)
			}
			if level < 1 || level > 10 {
				v.errf(sp, "level %d must be 1..10", level)
			}
		}
	}
}

// claim checks a value that must match re and belong to one owner only;
// taken maps each value seen so far to a description of its owner.
func (v *validator) claim(path, val string, re *regexp.Regexp, rule string, taken map[string]string, owner string) {
	switch other, dup := taken[val]; {
	case val == "":
		v.errf(path, "required")
	case !re.MatchString(val):
		v.errf(path, "%q must %s", val, rule)
	case dup:
		v.errf(path, "%q is already %s", val, other)
	default:
		taken[val] = owner
	}
}

func notNegative(v *validator, path string, n int) {
	if n < 0 {
		v.errf(path, "%d must not be negative (leave it out for the default)", n)
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
