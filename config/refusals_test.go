package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Each refusal as an operator sees it from `frontdoor check-config`.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "unknown keys, every one with its line",
			yaml: minimal + "listen:\n  sip: 127.0.0.1:5060\n  htp: 127.0.0.1:80\nqueues: []\n",
			want: `f.yaml:9: listen: unknown key "htp" (known: http, sip)
f.yaml:10: unknown key "queues" (known: agencies, agents, api, callback, cluster, identity, ivr, listen, media, number, recording, security, sip, tls)`,
		},
		{
			name: "callback destination policy",
			yaml: minimal + "callback: { trunk: \"127.0.0.1:5070\", allowed_prefixes: [\"0x\"], denied_prefixes: [\"\"], min_digits: 10, max_digits: 5 }\n",
			want: `f.yaml:7: callback.max_digits: 5 is below min_digits (10): no number could be called back
f.yaml:7: callback.allowed_prefixes[0]: "0x" must be digits with an optional leading +
f.yaml:7: callback.denied_prefixes[0]: "" must be digits with an optional leading +`,
		},
		{
			name: "unknown key inside an agency's queue",
			yaml: strings.Replace(minimal, `numbers: ["126"] }`, `numbers: ["126"], queue: { stratgy: x } }`, 1),
			// The queue's keys belong to the routing work; the list is the struct's.
			want: `f.yaml:4: agencies[0].queue: unknown key "stratgy" (known: ` + knownKeys(yamlFields(reflect.TypeFor[Queue]())) + `)`,
		},
		{
			name: "bad digits",
			yaml: withAgencies("  - { id: customs, name: Customs, digit: \"1#\" }\n  - { id: civil, name: Civil, digit: \"123\" }\n  - { id: labor, name: Labor, digit: \"1\" }\n"),
			want: `f.yaml:7: agencies[1].digit: "1#" must be 1 or 2 of the keys 0-9 and * (# ends the choice)
f.yaml:8: agencies[2].digit: "123" must be 1 or 2 of the keys 0-9 and * (# ends the choice)
f.yaml:9: agencies[3].digit: "1" is already the choice for tax`,
		},
		{
			name: "duplicate numbers",
			yaml: withAgencies("  - { id: customs, name: Customs, numbers: [\"126\", \"110\", \"12a\"] }\n"),
			want: `f.yaml:7: agencies[1].numbers[0]: "126" is already a number of tax
f.yaml:7: agencies[1].numbers[1]: "110" is already the front-door number
f.yaml:7: agencies[1].numbers[2]: "12a" must be digits (an optional leading +)`,
		},
		{
			name: "bad skills",
			yaml: minimal + "  - id: \"1002\"\n    password: pw\n    skills:\n      tax: 11\n      customs: 2\n      civil: 0\n",
			want: `f.yaml:10: agents[1].skills.tax: level 11 must be 1..10
f.yaml:11: agents[1].skills.customs: no agency "customs" is configured
f.yaml:12: agents[1].skills.civil: no agency "civil" is configured
f.yaml:12: agents[1].skills.civil: level 0 must be 1..10`,
		},
		{
			name: "bad YAML syntax",
			yaml: "number: \"110\"\nagencies: [\n  { id: tax,\n    name: Tax ]\n",
			want: `f.yaml:3: did not find expected ',' or '}'`,
		},
		{
			name: "tab indentation",
			yaml: "number: \"110\"\nlisten:\n\tsip: x\n",
			want: `f.yaml:3: found character that cannot start any token`,
		},
		{
			name: "duplicate key",
			yaml: minimal + "number: \"111\"\n",
			want: `f.yaml:7: number: mapping key "number" already defined at line 1`,
		},
		{
			name: "wrong kind of value",
			yaml: minimal + "sip: { max_calls: lots }\n",
			want: `f.yaml:7: sip.max_calls: "lots" is given, but this key takes a whole number`,
		},
		{
			// Several keys on one line: the problem names the one that is wrong,
			// in the reference's words, not Go's.
			name: "wrong kinds in flow mappings",
			yaml: minimalHead + "agencies: [{ id: tax, name: Tax, digit: \"1\", numbers: \"126\" }]\n" +
				"agents: [{ id: \"1001\", password: pw, skills: [tax] }]\nmedia: { rtp_ports: [20000, 29999] }\nivr: 5\n",
			want: `f.yaml:3: agencies[0].numbers: "126" is given, but this key takes a list
f.yaml:4: agents[0].skills: a list is given, but this key takes a mapping (key: value)
f.yaml:5: media.rtp_ports: a list is given, but this key takes a single value (text)
f.yaml:6: ivr: "5" is given, but this key takes a mapping of its own keys`,
		},
		{
			name: "not a mapping",
			yaml: "- number\n",
			want: `f.yaml:1: the config must be a mapping of sections (listen, media, agencies, ...)`,
		},
		{
			name: "empty",
			yaml: "\n# nothing\n",
			want: `f.yaml:1: empty config`,
		},
		{
			name: "agency ids",
			yaml: withAgencies("  - { id: Tax_Office, name: X }\n  - { id: tax, name: Y }\n  - { name: Z }\n"),
			want: `f.yaml:7: agencies[1].id: "Tax_Office" must match [a-z0-9-]+
f.yaml:8: agencies[2].id: "tax" is already the id of agencies[0]
f.yaml:9: agencies[3].id: required`,
		},
		{
			name: "agents",
			yaml: minimal + "  - { id: \"1001\", password: x }\n  - { id: \"a b\", password: x, role: boss }\n  - { id: \"126\", password: \"\" }\n  - { id: \"9\", password: \"ha1:abc:def\" }\n  - { id: \"110\", password: x }\n",
			want: `f.yaml:7: agents[1].id: "1001" is already the id of agents[0]
f.yaml:8: agents[2].id: "a b" must match [A-Za-z0-9._-]+
f.yaml:8: agents[2].role: unknown role "boss" (want agent, supervisor or admin)
f.yaml:9: agents[3].id: "126" is already a number of tax
f.yaml:9: agents[3].password: password is empty
f.yaml:10: agents[4].password: hashed password must be ha1:<32 hex digits of MD5>:<64 hex digits of SHA-256> of "id:realm:password"
f.yaml:11: agents[5].id: "110" is already the front-door number`,
		},
		{
			name: "listen and media",
			yaml: "listen: { sip: \"0.0.0.0:5060\", http: \"localhost\" }\nmedia: { rtp_ports: 20001-20000, rtp_timeout_seconds: -1 }\n" + minimal,
			want: `f.yaml:1: listen.http: "localhost" is not host:port
f.yaml:2: media.rtp_ports: "20001-20000" must be lo-hi with 1024 <= lo < hi <= 65535
f.yaml:2: media.advertise_ip: required when listen.sip has no specific IP address
f.yaml:2: media.rtp_timeout_seconds: -1 must not be negative (leave it out for the default)`,
		},
		{
			name: "identity",
			yaml: strings.Replace(minimal, `identity: { mode: "off" }`, `identity:
  mode: require
  issuers:
    - { iss: "https://id.example", jwks_file: keys/missing.json }
    - { iss: "https://id.example" }
  status_list_allowed: ["ftp://x", "https://status.example/"]
  claims: [given_name, given_name]`, 1),
			want: `f.yaml:2: identity.verifier_id: required when identity.mode is require (it is the KB-JWT aud)
f.yaml:5: identity.issuers[0].jwks_file: cannot read testdata/keys/missing.json: no such file or directory
f.yaml:6: identity.issuers[1].iss: "https://id.example" is listed twice
f.yaml:6: identity.issuers[1].jwks_file: required
f.yaml:7: identity.status_list_allowed[0]: "ftp://x" must be an http(s) URL prefix
f.yaml:8: identity.claims[1]: "given_name" is listed twice`,
		},
		{
			name: "identity left out",
			yaml: strings.Replace(minimal, "identity: { mode: \"off\" }\n", "", 1),
			want: `f.yaml:1: identity.verifier_id: required when identity.mode is offer (it is the KB-JWT aud); offer is the default, identity.mode: off skips the identity step
f.yaml:1: identity.issuers: at least one issuer is needed when identity.mode is offer; offer is the default, identity.mode: off skips the identity step`,
		},
		{
			name: "identity mode",
			yaml: strings.Replace(minimal, `mode: "off"`, `mode: maybe`, 1),
			want: `f.yaml:2: identity.mode: "maybe" must be off, offer or require
f.yaml:2: identity.verifier_id: required when identity.mode is maybe (it is the KB-JWT aud)
f.yaml:2: identity.issuers: at least one issuer is needed when identity.mode is maybe`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Named under testdata/ so keys/ resolves to testdata/keys.
			name := "f.yaml"
			cfg, err := Parse("testdata/"+name, []byte(c.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			got := strings.ReplaceAll(err.Error(), "testdata/f.yaml", "f.yaml")
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}
