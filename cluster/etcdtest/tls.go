package etcdtest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/etcdcert"
)

// certValidity is how long a test's certificates are valid.
const certValidity = 24 * time.Hour

// TLS is a TLS cluster's certificates, made for the test: what a frontdoor
// node's cluster.tls names, and a CA to issue more (expired, say) from.
type TLS struct {
	Dir                   string // where the files are
	CA                    string // the CA certificate (cluster.tls.ca_file)
	ClientCert, ClientKey string // a client certificate of that CA (cluster.tls.cert_file, key_file)
	ServerCert, ServerKey string // every member's, for 127.0.0.1
	ca                    *etcdcert.CA
	client                *tls.Config // for Cluster.Client
}

func newTLS(dir string) (*TLS, error) {
	ca, files, err := etcdcert.WriteSet(dir, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"client"}, certValidity)
	if err != nil {
		return nil, err
	}
	t := &TLS{Dir: dir, CA: files.CA, ClientCert: files.ClientCert["client"], ClientKey: files.ClientKey["client"],
		ServerCert: files.ServerCert, ServerKey: files.ServerKey, ca: ca}
	pair, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	t.client = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	return t, nil
}

// IssueClient writes a client certificate of the cluster's CA named name,
// valid from notBefore to notAfter, and returns its files.
func (t *TLS) IssueClient(tb testing.TB, name string, notBefore, notAfter time.Time) (certFile, keyFile string) {
	tb.Helper()
	is, err := t.ca.Client(name, notBefore, notAfter)
	if err == nil {
		certFile, keyFile, err = is.Write(t.Dir, name)
	}
	if err != nil {
		tb.Fatalf("etcdtest: client certificate %s: %v", name, err)
	}
	return certFile, keyFile
}

// OtherCA writes the certificate of a CA that signed nothing of this
// cluster's (a node trusting it refuses the members) and a client
// certificate it issued (the members refuse that).
func (t *TLS) OtherCA(tb testing.TB) (caFile, certFile, keyFile string) {
	tb.Helper()
	dir := filepath.Join(t.Dir, "other")
	_, files, err := etcdcert.WriteSet(dir, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"stranger"}, certValidity)
	if err != nil {
		tb.Fatalf("etcdtest: other CA: %v", err)
	}
	return files.CA, files.ClientCert["stranger"], files.ClientKey["stranger"]
}

// TLS is the cluster's certificates; nil for a plain cluster.
func (c *Cluster) TLS() *TLS { return c.tls }

func (c *Cluster) scheme() string {
	if c.tls != nil {
		return "https"
	}
	return "http"
}

// tlsFlags are fdetcd's TLS flags for a member of this cluster.
func (c *Cluster) tlsFlags() []string {
	if c.tls == nil {
		return nil
	}
	t := c.tls
	// Peers authenticate each other: etcd takes the peer CA for both ends.
	flags := []string{"-cert-file", t.ServerCert, "-key-file", t.ServerKey,
		"-peer-cert-file", t.ServerCert, "-peer-key-file", t.ServerKey, "-peer-trusted-ca-file", t.CA, "-peer-client-cert-auth"}
	if c.opts.ClientCertAuth {
		flags = append(flags, "-trusted-ca-file", t.CA, "-client-cert-auth")
	}
	return flags
}
