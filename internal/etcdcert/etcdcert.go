// Package etcdcert makes the throwaway certificates of a TLS etcd cluster for
// tests and demos: one CA, a server certificate the members share (client
// and peer URLs alike, for their IP addresses) and a client certificate per
// frontdoor node. A deployment makes its own with its own PKI (deploy/README.md#etcd-over-tls).
package etcdcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority that issues the cluster's certificates.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// Issued is a certificate and its key, PEM-encoded.
type Issued struct {
	CertPEM, KeyPEM []byte
}

// NewCA makes a CA named cn, valid from an hour ago for valid.
func NewCA(cn string, valid time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(valid),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	der, err := sign(tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, pem: pemBlock("CERTIFICATE", der)}, nil
}

// CertPEM is the CA's certificate: the trusted CA file of members and nodes.
func (ca *CA) CertPEM() []byte { return ca.pem }

// Server issues a certificate etcd members present on their client and peer
// URLs. It names every ip (Go and etcd check IP SANs, not the common name)
// and is also good as a client certificate: a member dialling a peer with
// peer client-cert-auth presents it.
func (ca *CA) Server(cn string, ips []net.IP, notBefore, notAfter time.Time) (Issued, error) {
	return ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: cn}, IPAddresses: ips, NotBefore: notBefore, NotAfter: notAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
}

// Client issues a client certificate for cn (a frontdoor node).
func (ca *CA) Client(cn string, notBefore, notAfter time.Time) (Issued, error) {
	return ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

func (ca *CA) issue(tmpl *x509.Certificate) (Issued, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, fmt.Errorf("key for %s: %w", tmpl.Subject.CommonName, err)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := sign(tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return Issued{}, fmt.Errorf("certificate for %s: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Issued{}, err
	}
	return Issued{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("PRIVATE KEY", keyDER)}, nil
}

func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, key *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	return x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// Write saves the certificate as dir/name.pem and its key as dir/name-key.pem
// (readable by the owner only) and returns the two paths.
func (is Issued) Write(dir, name string) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	if err := os.WriteFile(certFile, is.CertPEM, 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, is.KeyPEM, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// Files are the paths of one set written by WriteSet.
type Files struct {
	CA                    string            // the CA certificate
	ServerCert, ServerKey string            // every member's
	ClientCert, ClientKey map[string]string // by client name
}

// WriteSet makes a CA valid for valid, a server certificate for ips and a
// client certificate for each of clients, and writes them under dir as
// ca.pem, server.pem (+ server-key.pem) and NAME.pem (+ NAME-key.pem). The
// CA's key is not written: the CA returned issues any more.
func WriteSet(dir string, ips []net.IP, clients []string, valid time.Duration) (*CA, Files, error) {
	f := Files{ClientCert: map[string]string{}, ClientKey: map[string]string{}}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, f, err
	}
	ca, err := NewCA("frontdoor etcd CA", valid)
	if err != nil {
		return nil, f, err
	}
	f.CA = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(f.CA, ca.CertPEM(), 0o644); err != nil {
		return nil, f, err
	}
	if err := ca.writeIssued(&f, dir, ips, clients, valid); err != nil {
		return nil, f, err
	}
	return ca, f, nil
}

// writeIssued writes the server certificate and the clients'.
func (ca *CA) writeIssued(f *Files, dir string, ips []net.IP, clients []string, valid time.Duration) error {
	from, until := time.Now().Add(-time.Hour), time.Now().Add(valid)
	srv, err := ca.Server("etcd", ips, from, until)
	if err != nil {
		return err
	}
	if f.ServerCert, f.ServerKey, err = srv.Write(dir, "server"); err != nil {
		return err
	}
	for _, name := range clients {
		if name == "ca" || name == "server" {
			return fmt.Errorf("client name %q is taken by the CA or server files", name)
		}
		cl, err := ca.Client(name, from, until)
		if err != nil {
			return err
		}
		if f.ClientCert[name], f.ClientKey[name], err = cl.Write(dir, name); err != nil {
			return err
		}
	}
	return nil
}
