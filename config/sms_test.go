package config

import (
	"strings"
	"testing"
)

// smsYAML is minimal with identity on (offer, OpenID4VP files in the data
// directory) and sms as given; identity.sms starts on line 6.
func smsYAML(sms string) string {
	return strings.Replace(minimal, `identity: { mode: "off" }`, `identity:
  mode: offer
  verifier_id: "https://frontdoor.example"
  issuers: [{ iss: "https://id.example", jwks_file: keys/issuer.jwks.json }]
  sms:
`+sms+`
  public_url: "https://frontdoor.example"
  verifier_cert_file: verifier.pem
  verifier_key_file: verifier.key`, 1)
}

func TestSMSDefaults(t *testing.T) {
	cfg, err := Parse("testdata/f.yaml", []byte(smsYAML(`    webhook_url: "https://sms.example/send"
    trunk: { uri: "sip:{number}@sms.carrier.example:5060" }`)))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Identity.SMS
	if !s.Enabled() || s.Text != DefaultSMSText || s.TimeoutSeconds != 3 || s.PerNumberPerHour != 3 || s.Trunk.Transport != "udp" {
		t.Fatalf("defaults: %+v", s)
	}
	if len(cfg.Warnings) == 0 || !strings.Contains(cfg.Warnings[0].String(), "f.yaml:6: warning: identity.sms.allowed_prefixes: empty: any asserted number may be texted") {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	cfg, err = Parse("testdata/f.yaml", []byte(minimal))
	if err != nil || cfg.Identity.SMS.Enabled() || cfg.Identity.SMS.Text != "" {
		t.Fatalf("no sms section: %v %+v", err, cfg.Identity.SMS)
	}
}

// Each identity.sms refusal as check-config prints it, at the key's line.
func TestSMSRefusals(t *testing.T) {
	cases := []struct{ name, sms, want string }{
		{"no channel", `    text: "hello {link}"`,
			`f.yaml:6: identity.sms: needs webhook_url or trunk.uri (or leave the section out)`},
		{"bad values", `    webhook_url: "ftp://sms.example"
    trunk:
      uri: "sips:{number}@carrier.example"
      from: "frontdoor"
      transport: sctp
      password: secret
    text: "Call {agent}"
    timeout_seconds: 30
    per_number_per_hour: -1
    allowed_prefixes: ["+82", "01x"]`,
			`f.yaml:7: identity.sms.webhook_url: "ftp://sms.example" must be an http(s) URL
f.yaml:9: identity.sms.trunk.uri: "sips:{number}@carrier.example": must be a sip: URI
f.yaml:10: identity.sms.trunk.from: "frontdoor": must be a sip: URI
f.yaml:11: identity.sms.trunk.transport: "sctp" must be udp or tcp
f.yaml:12: identity.sms.trunk.password: needs username as well
f.yaml:13: identity.sms.text: must contain {link}: the text is there to carry the wallet link
f.yaml:13: identity.sms.text: unknown placeholder {agent} (known: {link}, {match})
f.yaml:14: identity.sms.timeout_seconds: 30 must be 1..10: the caller waits in silence meanwhile
f.yaml:15: identity.sms.per_number_per_hour: -1 must not be negative (leave it out for the default)
f.yaml:16: identity.sms.allowed_prefixes[1]: "01x" must be digits with an optional leading +`},
		{"number not the user part", `    trunk: { uri: "sip:sms.example;user={number}" }`,
			`f.yaml:7: identity.sms.trunk.uri: "sip:sms.example;user={number}": {number} must be the user part (sip:{number}@host)`},
		{"trunk keys without uri", `    webhook_url: "https://sms.example/send"
    trunk: { from: "sip:110@frontdoor.example" }`,
			`f.yaml:8: identity.sms.trunk.uri: required when the trunk section is set`},
		{"text too long", `    webhook_url: "https://sms.example/send"
    text: "{link} ` + strings.Repeat("x", 600) + `"`,
			`f.yaml:8: identity.sms.text: is 607 bytes; at most 600 leave room for the link in one MESSAGE`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("testdata/f.yaml", []byte(smsYAML(c.sms)))
			if err == nil {
				t.Fatal("accepted")
			}
			if got := strings.ReplaceAll(err.Error(), "testdata/f.yaml", "f.yaml"); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// A text needs the wallet link, so OpenID4VP must be on, and identity too.
func TestSMSNeedsOpenID4VP(t *testing.T) {
	yaml := strings.Replace(minimal, `identity: { mode: "off" }`,
		`identity: { mode: "off", sms: { webhook_url: "https://sms.example/send" } }`, 1)
	_, err := Parse("testdata/f.yaml", []byte(yaml))
	want := `f.yaml:2: identity.sms: identity.mode is off: no caller would be offered a text
f.yaml:2: identity.sms: needs OpenID4VP (identity.verifier_cert_file and verifier_key_file): the text carries the wallet link`
	if err == nil || strings.ReplaceAll(err.Error(), "testdata/f.yaml", "f.yaml") != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}
