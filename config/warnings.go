package config

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/frontdoor-project/frontdoor/agents"
)

// warnings are what works but must not go to production: plain-text
// passwords, and trust in the demo issuer whose private key is committed
// (config/keys/*DEMO-ONLY*). check-config prints them to stderr as
// "FILE:LINE: warning: ..." and still says ok.
func (c *Config) warnings(v *validator) Problems {
	w := &validator{file: v.file, lines: v.lines}
	warn := func(path, format string, args ...any) {
		w.add(w.lineOf(path), "warning: "+path+": "+fmt.Sprintf(format, args...))
	}
	for i, a := range c.Agents {
		if agents.IsPlain(a.Password) {
			warn(fmt.Sprintf("agents[%d].password", i),
				"plain text; store a bcrypt hash (frontdoor hash-password -bcrypt) or the ha1: form (frontdoor hash-password -id %s)", a.ID)
		}
	}
	demo, _ := demoKeys.ReadFile("keys/issuer.jwks.json")
	for i, iss := range c.Identity.Issuers {
		if iss.JWKSFile == "" {
			continue
		}
		data, err := c.ReadFile(iss.JWKSFile)
		if strings.Contains(iss.JWKSFile, "DEMO-ONLY") || (err == nil && len(demo) > 0 && bytes.Equal(bytes.TrimSpace(data), bytes.TrimSpace(demo))) {
			warn(fmt.Sprintf("identity.issuers[%d].jwks_file", i),
				"the demo issuer's keys: its private key is committed (config/keys/issuer.DEMO-ONLY.private.jwk.json), so anyone can mint credentials it accepts")
		}
	}
	for _, f := range []struct{ path, file string }{{"tls.cert_file", c.TLS.CertFile}, {"tls.key_file", c.TLS.KeyFile}} {
		if strings.Contains(f.file, "DEMO-ONLY") {
			warn(f.path, "a committed demo key")
		}
	}
	if c.Identity.SMS.Enabled() && len(c.Identity.SMS.AllowedPrefixes) == 0 {
		warn("identity.sms.allowed_prefixes", "empty: any asserted number may be texted, premium ranges too (SMS pumping); list your mobile ranges")
	}
	sort.SliceStable(w.problems, func(i, j int) bool { return w.problems[i].Line < w.problems[j].Line })
	return w.problems
}
