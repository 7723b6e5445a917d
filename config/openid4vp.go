package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/frontdoor-project/frontdoor/internal/pemcert"
	"github.com/frontdoor-project/frontdoor/internal/weborigin"
	"net/url"
	"os"
	"path/filepath"
)

// The identity.* OpenID4VP keys: public_url is where wallets reach this
// server (request_uri and response_uri are built under it); the verifier
// certificate (PEM, leaf first; a root at the end is left out of x5c) and
// P-256 key sign request objects, and their relative paths resolve against
// the data directory (-data) because the demo's are generated there by
// `make run`; mdoc_trust_anchors are IACA roots for the mDL verifier,
// relative to the config file like jwks_file; expected_origins are the
// caller page's web origins for the Digital Credentials API, written as
// browsers send them in the Origin header.

// OpenID4VP response modes.
const (
	ResponseDirectPost    = "direct_post"
	ResponseDirectPostJWT = "direct_post.jwt"
)

// Enabled reports whether the verifier certificate and key are configured.
func (o Identity) OpenID4VPEnabled() bool { return o.VerifierCertFile != "" && o.VerifierKeyFile != "" }

// DataFile resolves a verifier file against the data directory.
func DataFile(dataDir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dataDir, p)
}

func (c *Config) validateOpenID4VP(v *validator) {
	o := c.Identity
	switch o.ResponseMode {
	case ResponseDirectPost, ResponseDirectPostJWT:
	default:
		v.errf("identity.response_mode", "%q must be direct_post.jwt or direct_post", o.ResponseMode)
	}
	if (o.VerifierCertFile == "") != (o.VerifierKeyFile == "") {
		key := "identity.verifier_key_file"
		if o.VerifierCertFile == "" {
			key = "identity.verifier_cert_file"
		}
		v.errf(key, "required with the other verifier file (both or neither turn OpenID4VP on)")
	}
	if o.PublicURL != "" {
		if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			v.errf("identity.public_url", "%q must be an http(s) URL without query or fragment", o.PublicURL)
		}
	} else if o.OpenID4VPEnabled() {
		v.errf("identity.public_url", "required when the verifier files are set (request_uri is built under it)")
	}
	// Relative verifier files live in the data directory, which only serve
	// knows; absolute ones are checked here.
	if filepath.IsAbs(o.VerifierCertFile) {
		if err := checkCertFile(o.VerifierCertFile); err != nil {
			v.errf("identity.verifier_cert_file", "%v", err)
		}
	}
	if filepath.IsAbs(o.VerifierKeyFile) {
		if err := checkKeyFile(o.VerifierKeyFile); err != nil {
			v.errf("identity.verifier_key_file", "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, origin := range o.ExpectedOrigins {
		p := fmt.Sprintf("identity.expected_origins[%d]", i)
		if _, err := weborigin.Parse(origin); err != nil {
			v.errf(p, "%v", err)
		} else if seen[origin] {
			v.errf(p, "%q is listed twice", origin)
		}
		seen[origin] = true
	}
	for i, f := range o.MdocTrustAnchors {
		p := fmt.Sprintf("identity.mdoc_trust_anchors[%d]", i)
		if f == "" {
			v.errf(p, "empty file name")
			continue
		}
		data, err := c.ReadFile(f)
		if err != nil {
			v.errf(p, "cannot read %s: %v", c.Resolve(f), unwrapPathError(err))
			continue
		}
		if _, err := ParseCertificates(data); err != nil {
			v.errf(p, "%s: %v", c.Resolve(f), err)
		}
	}
}

// ParseCertificates reads every CERTIFICATE block of a PEM file.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) { return pemcert.Parse(data) }

func checkCertFile(path string) error {
	data, err := readLocal(path)
	if err != nil {
		return err
	}
	_, err = ParseCertificates(data)
	return err
}

func checkKeyFile(path string) error {
	data, err := readLocal(path)
	if err != nil {
		return err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return errors.New("no PEM block")
	}
	var key any
	if b.Type == "EC PRIVATE KEY" {
		key, err = x509.ParseECPrivateKey(b.Bytes)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	if ec, ok := key.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P256() {
		return errors.New("not a P-256 private key (ES256 needs one)")
	}
	return nil
}

func readLocal(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPathError(err))
	}
	return data, nil
}
