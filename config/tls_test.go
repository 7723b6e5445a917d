package config

import (
	"strings"
	"testing"
)

// What a broken tls: section looks like to check-config.
func TestTLSRefusals(t *testing.T) {
	base := "number: \"110\"\nagencies: [{ id: tax, name: Tax }]\nidentity: { mode: off }\n"
	cases := []struct{ yaml, want string }{
		{"tls: { sip: \"127.0.0.1:5061\" }\n", "f.yaml:4: tls.cert_file: required when tls.sip or tls.https is set"},
		{"tls: { https: true, cert_file: nope.pem, key_file: nope.key }\n", "f.yaml:4: tls.cert_file: cannot load nope.pem with nope.key"},
		{"tls: { cert_file: a.pem, key_file: a.key }\n", "f.yaml:4: tls: cert_file and key_file are set but neither"},
		{"tls: { sip: \"127.0.0.1:5060\", https: true, cert_file: a, key_file: b }\n", `tls.sip: "127.0.0.1:5060" is also listen.sip`},
		{"tls: { sip: nohostport, cert_file: a, key_file: b }\n", `tls.sip: "nohostport" is not host:port`},
	}
	for _, c := range cases {
		_, err := Parse("f.yaml", []byte(base+c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", strings.TrimSpace(c.yaml), err, c.want)
		}
	}
}
