package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
)

// probeTimeout bounds explaining one endpoint that the etcd client could not use.
const probeTimeout = 3 * time.Second

// http2Hello is an HTTP/2 client's first bytes: the connection preface and an
// empty SETTINGS frame. An etcd member answers with its own SETTINGS frame.
var http2Hello = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")

// frameSettings is the HTTP/2 frame type of SETTINGS.
const frameSettings = 0x4

// explainEtcd says why no etcd endpoint answered the client (which, retrying
// until its deadline, says only "context deadline exceeded"): it connects to
// each as the client does and names what failed in the terms of cluster.etcd
// and cluster.tls. clientErr is the client's error, kept when no endpoint
// shows a reason.
func explainEtcd(ctx context.Context, cfg *config.Config, tlsConf *tls.Config, clientErr error) error {
	eps := cfg.Cluster.Etcd
	reasons := make([]string, len(eps))
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			if err := probeEndpoint(pctx, ep, tlsConf); err != nil {
				reasons[i] = explainProbe(cfg, err)
			}
		})
	}
	wg.Wait()
	same := true
	parts := make([]string, len(eps))
	for i := range reasons {
		if reasons[i] == "" {
			reasons[i] = fmt.Sprintf("no answer within %s (%v)", etcdDialTimeout, clientErr)
		}
		same = same && reasons[i] == reasons[0]
		parts[i] = eps[i] + ": " + reasons[i]
	}
	if same {
		return fmt.Errorf("cluster: cannot use etcd at %s: %s", strings.Join(eps, ", "), reasons[0])
	}
	return fmt.Errorf("cluster: cannot use etcd: %s", strings.Join(parts, "; "))
}

// probeError is where a probe failed: connecting, the TLS handshake, or the
// member's first answer; https tells which kind of endpoint it was.
type probeError struct {
	stage string // "connect", "handshake" or "answer"
	https bool
	err   error
}

func (e *probeError) Error() string { return e.stage + ": " + e.err.Error() }

// probeEndpoint connects to ep as the etcd client would (TLS for https://),
// says hello in HTTP/2 and reads the member's first frame.
func probeEndpoint(ctx context.Context, ep string, tlsConf *tls.Config) error {
	u, err := url.Parse(ep)
	if err != nil {
		return &probeError{"connect", false, err}
	}
	https := u.Scheme == "https"
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return &probeError{"connect", https, err}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if https {
		conf := &tls.Config{MinVersion: tls.VersionTLS12}
		if tlsConf != nil {
			conf = tlsConf.Clone()
		}
		conf.ServerName, conf.NextProtos = u.Hostname(), []string{"h2"}
		tc := tls.Client(conn, conf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return &probeError{"handshake", https, err}
		}
		conn = tc
	}
	// With TLS 1.3 a member refuses a client certificate after the
	// handshake: the refusal is what the first read returns.
	if _, err := conn.Write(http2Hello); err != nil {
		return &probeError{"answer", https, err}
	}
	var hdr [9]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return &probeError{"answer", https, err}
	}
	if hdr[3] != frameSettings {
		return &probeError{"answer", https, fmt.Errorf("first bytes %q are no HTTP/2 SETTINGS frame", hdr[:])}
	}
	return nil
}

// explainProbe turns a failed probe into what to change in the config.
func explainProbe(cfg *config.Config, err error) string {
	var pe *probeError
	if !errors.As(err, &pe) {
		return err.Error()
	}
	t := cfg.Cluster.TLS
	caFile, certFile := cfg.Resolve(t.CAFile), cfg.Resolve(t.CertFile)
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		header    tls.RecordHeaderError
	)
	msg := pe.err.Error()
	switch {
	case pe.stage == "connect":
		return "cannot connect: " + msg
	case errors.As(pe.err, &unknownCA) && t.CAFile == "":
		return "the member's certificate is not signed by a CA this system trusts: set cluster.tls.ca_file to the CA that signed it (" + msg + ")"
	case errors.As(pe.err, &unknownCA):
		return "the member's certificate is not signed by the CA in cluster.tls.ca_file " + caFile + " (" + msg + ")"
	case errors.As(pe.err, &hostname):
		return "the member's certificate does not name the address in cluster.etcd (" + msg + ")"
	case errors.As(pe.err, &invalid) && invalid.Reason == x509.Expired:
		return "the member's certificate has expired or is not yet valid (" + msg + ")"
	case strings.Contains(msg, "remote error: tls: certificate required"):
		return "the member requires a client certificate: set cluster.tls.cert_file and key_file (" + msg + ")"
	case strings.Contains(msg, "remote error: tls:") && t.CertFile != "":
		return "the member refused the client certificate in cluster.tls.cert_file " + certFile + " (" + msg + ")"
	case pe.https && (errors.As(pe.err, &header) || errors.Is(pe.err, io.EOF)) && pe.stage == "handshake":
		return "the member does not answer in TLS: for a plain member write http:// and leave cluster.tls out (" + msg + ")"
	case !pe.https && pe.stage == "answer":
		return "the member does not answer as plain etcd: if it serves TLS, write https:// and set cluster.tls (" + msg + ")"
	case pe.https:
		return "TLS with the member failed (cluster.tls): " + msg
	}
	return msg
}
