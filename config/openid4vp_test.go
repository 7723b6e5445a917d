package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenID4VPRefusals(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(minimal, `identity: { mode: "off" }`, `identity:
  mode: "off"
  public_url: "ftp://x"
  verifier_cert_file: `+junk+`
  verifier_key_file: /nonexistent/v.key
  response_mode: query
  mdoc_trust_anchors: ["", keys/none.pem]
  expected_origins: ["https://call.example/", "https://ok.example", "https://ok.example", "ftp://x"]`, 1)
	_, err := Parse("testdata/f.yaml", []byte(yaml))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v, want Problems", err)
	}
	got := strings.ReplaceAll(err.Error(), junk, "JUNK")
	for _, want := range []string{
		`f.yaml:7: identity.response_mode: "query" must be direct_post.jwt or direct_post`,
		`f.yaml:4: identity.public_url: "ftp://x" must be an http(s) URL without query or fragment`,
		`f.yaml:5: identity.verifier_cert_file: no PEM CERTIFICATE block`,
		`f.yaml:6: identity.verifier_key_file: cannot read /nonexistent/v.key: no such file or directory`,
		`f.yaml:8: identity.mdoc_trust_anchors[0]: empty file name`,
		`f.yaml:8: identity.mdoc_trust_anchors[1]: cannot read testdata/keys/none.pem: no such file or directory`,
		`f.yaml:9: identity.expected_origins[0]: "https://call.example/" is not an origin as browsers send it; write "https://call.example"`,
		`f.yaml:9: identity.expected_origins[2]: "https://ok.example" is listed twice`,
		`f.yaml:9: identity.expected_origins[3]: "ftp://x" is not an http(s) origin (scheme://host[:port])`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestOpenID4VPNeedsBothFilesAndAPublicURL(t *testing.T) {
	yaml := strings.Replace(minimal, `identity: { mode: "off" }`, `identity: { mode: "off", verifier_cert_file: v.pem }`, 1)
	_, err := Parse("testdata/f.yaml", []byte(yaml))
	if err == nil || !strings.Contains(err.Error(), "identity.verifier_key_file: required with the other verifier file") {
		t.Fatalf("got %v", err)
	}
	yaml = strings.Replace(minimal, `identity: { mode: "off" }`, `identity: { mode: "off", verifier_cert_file: v.pem, verifier_key_file: v.key }`, 1)
	_, err = Parse("testdata/f.yaml", []byte(yaml))
	if err == nil || !strings.Contains(err.Error(), "identity.public_url: required when the verifier files are set") {
		t.Fatalf("got %v", err)
	}
	cfg, err := Parse("testdata/f.yaml", []byte(minimal))
	if err != nil || cfg.Identity.ResponseMode != ResponseDirectPostJWT || cfg.Identity.OpenID4VPEnabled() {
		t.Fatalf("defaults: %v %+v", err, cfg)
	}
	if got := DataFile("/srv/data", "verifier.pem"); got != filepath.Join("/srv/data", "verifier.pem") {
		t.Fatalf("DataFile %q", got)
	}
}
