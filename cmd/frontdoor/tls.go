package main

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/frontdoor-project/frontdoor/config"
)

// listenSIPTLS binds the SIP-over-TLS listener tls.sip asks for (nil: none).
func listenSIPTLS(cfg *config.Config) (net.Listener, error) {
	if cfg.TLS.SIP == "" {
		return nil, nil
	}
	tc, err := cfg.TLSServerConfig()
	if err != nil {
		return nil, err
	}
	l, err := tls.Listen("tcp", cfg.TLS.SIP, tc)
	if err != nil {
		return nil, portTaken(fmt.Errorf("sip tls listen %s: %w", cfg.TLS.SIP, err), "tls.sip")
	}
	return l, nil
}

// httpsListener wraps the HTTP listener in TLS when tls.https is set.
func httpsListener(cfg *config.Config, ln net.Listener) (net.Listener, error) {
	if !cfg.TLS.HTTPS {
		return ln, nil
	}
	tc, err := cfg.TLSServerConfig()
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, tc), nil
}

// httpScheme is how the operator reaches the HTTP side.
func httpScheme(cfg *config.Config) string {
	if cfg.TLS.HTTPS {
		return "https"
	}
	return "http"
}
