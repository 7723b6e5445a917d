package config

import (
	"strings"
	"testing"
)

// Refusals of the settings added for digest algorithms, callbacks, recording and
// the wallet push, each exactly as check-config prints it.
func TestNewSectionRefusals(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"digest algorithms", minimal + "sip: { digest_algorithms: [MD5, SHA-1, MD5] }\n",
			`f.yaml:7: sip.digest_algorithms[1]: "SHA-1" is not a digest algorithm (MD5 or SHA-256)
f.yaml:7: sip.digest_algorithms[2]: "MD5" is listed twice`},
		{"callback", minimal + "callback: { trunk: nowhere, transport: sctp, retries: -1, ring_seconds: -5 }\n",
			`f.yaml:7: callback.trunk: "nowhere" is not host:port
f.yaml:7: callback.transport: "sctp" must be udp or tcp
f.yaml:7: callback.retries: -1 must not be negative (leave it out for the default)
f.yaml:7: callback.ring_seconds: -5 must not be negative (leave it out for the default)`},
		{"recording", minimal + "recording: { retention_days: -1 }\n",
			`f.yaml:7: recording.retention_days: must not be negative`},
		{"identity push and types", strings.Replace(minimal, `identity: { mode: "off" }`, `identity: { mode: "off", push_url: "ftp://x", vcts: [""] }`, 1),
			`f.yaml:2: identity.push_url: "ftp://x" must be an http(s) URL
f.yaml:2: identity.vcts[0]: empty credential type`},
	}
	for _, c := range cases {
		_, err := Parse("testdata/f.yaml", []byte(c.yaml))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if got := strings.ReplaceAll(err.Error(), "testdata/f.yaml", "f.yaml"); got != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}
