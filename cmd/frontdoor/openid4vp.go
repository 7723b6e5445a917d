package main

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/dashboard"
	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
)

// newOpenID4VP builds the OpenID4VP verifier; nil when identity is off or
// no verifier certificate and key are configured.
func newOpenID4VP(cfg *config.Config, dataDir string, svc *identity.Service) (*openid4vp.Verifier, error) {
	id := cfg.Identity
	if svc == nil || !id.OpenID4VPEnabled() {
		return nil, nil
	}
	if cfg.Path == config.DemoPath {
		// `make run` makes this chain before serving; the embedded demo
		// (`frontdoor serve` without -config, from any directory) must too.
		root := config.DataFile(dataDir, "verifier-root.pem")
		if err := openid4vp.DemoChain(config.DataFile(dataDir, id.VerifierCertFile), config.DataFile(dataDir, id.VerifierKeyFile),
			root, "frontdoor demo verifier (DEMO ONLY)", time.Now()); err != nil {
			return nil, fmt.Errorf("identity.verifier_cert_file: the demo certificate: %w", err)
		}
	}
	chain, err := openid4vp.LoadChain(config.DataFile(dataDir, id.VerifierCertFile))
	if err != nil {
		return nil, fmt.Errorf("identity.verifier_cert_file (make run or fdwallet verifier-cert makes a demo one): %w", err)
	}
	key, err := openid4vp.LoadKey(config.DataFile(dataDir, id.VerifierKeyFile))
	if err != nil {
		return nil, fmt.Errorf("identity.verifier_key_file: %w", err)
	}
	var anchors []*x509.Certificate
	for _, f := range id.MdocTrustAnchors {
		raw, err := cfg.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("identity.mdoc_trust_anchors %s: %w", f, err)
		}
		certs, err := config.ParseCertificates(raw)
		if err != nil {
			return nil, fmt.Errorf("identity.mdoc_trust_anchors %s: %w", f, err)
		}
		anchors = append(anchors, certs...)
	}
	return openid4vp.New(openid4vp.Config{
		Service: svc, PublicURL: id.PublicURL, Chain: chain, Key: key, ResponseMode: id.ResponseMode,
		VCTs: id.VCTs, Claims: id.Claims, ExpectedOrigins: id.ExpectedOrigins, Mdoc: openid4vp.NewMdocChecker(anchors, nil),
	})
}

// dashOpenID4VP hands the verifier to the HTTP edge; a nil interface when off.
func dashOpenID4VP(v *openid4vp.Verifier) dashboard.OpenID4VP {
	if v == nil {
		return nil
	}
	return v
}

// identityResults are every result label of
// frontdoor_identity_verifications_total, pre-registered at zero.
func identityResults() []string {
	out := append([]string{identity.ResultVerified}, identity.Codes...)
	out = append(out, openid4vp.Codes...)
	return append(out, mdoc.Codes...)
}
