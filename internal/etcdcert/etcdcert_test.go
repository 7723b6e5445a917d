package etcdcert

import (
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/internal/pemcert"
)

// The certificates WriteSet makes verify as a member and a node check them.
func TestCertSetVerifies(t *testing.T) {
	_, f, err := WriteSet(t.TempDir(), []net.IP{net.ParseIP("127.0.0.3")}, []string{"node-a"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyWith(f.CA, f.ServerCert, "127.0.0.3"); err != nil {
		t.Errorf("server certificate for 127.0.0.3: %v", err)
	}
	if err := verifyWith(f.CA, f.ServerCert, "127.0.0.4"); err == nil {
		t.Error("server certificate verified for 127.0.0.4, an address it does not name")
	}
	if err := verifyWith(f.CA, f.ClientCert["node-a"], ""); err != nil {
		t.Errorf("client certificate: %v", err)
	}
}

// verifyWith checks certFile against caFile as TLS would: for host when
// given (a server), else as a client certificate.
func verifyWith(caFile, certFile, host string) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	certs, err := pemcert.Parse(raw)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	usage := x509.ExtKeyUsageClientAuth
	if host != "" {
		usage = x509.ExtKeyUsageServerAuth
	}
	_, err = certs[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}
