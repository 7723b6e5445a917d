package config

import (
	"crypto/tls"
	"fmt"
)

// TLS configures SIP over TLS and HTTPS. The certificate and key are PEM files
// (relative paths resolve against the config file's directory).
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	SIP      string `yaml:"sip"`   // host:port for SIP over TLS; empty = none
	HTTPS    bool   `yaml:"https"` // serve listen.http over TLS
}

// Enabled tells whether anything is served over TLS.
func (t TLS) Enabled() bool { return t.SIP != "" || t.HTTPS }

// TLSServerConfig loads the certificate for serving (TLS 1.2 at least).
func (c *Config) TLSServerConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.Resolve(c.TLS.CertFile), c.Resolve(c.TLS.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func (c *Config) validateTLS(v *validator) {
	t := c.TLS
	if t.SIP != "" {
		checkHostPort(v, "tls.sip", t.SIP)
		if t.SIP == c.Listen.SIP {
			v.errf("tls.sip", "%q is also listen.sip (SIP listens on TCP there)", t.SIP)
		}
		if t.SIP == c.Listen.HTTP {
			v.errf("tls.sip", "%q is also listen.http", t.SIP)
		}
	}
	if !t.Enabled() {
		if t.CertFile != "" || t.KeyFile != "" {
			v.errf("tls", "cert_file and key_file are set but neither tls.sip nor tls.https uses them")
		}
		return
	}
	if t.CertFile == "" {
		v.errf("tls.cert_file", "required when tls.sip or tls.https is set")
	}
	if t.KeyFile == "" {
		v.errf("tls.key_file", "required when tls.sip or tls.https is set")
	}
	if t.CertFile != "" && t.KeyFile != "" {
		if _, err := c.TLSServerConfig(); err != nil {
			v.errf("tls.cert_file", "cannot load %s with %s: %v", c.Resolve(t.CertFile), c.Resolve(t.KeyFile), unwrapPathError(err))
		}
	}
}
