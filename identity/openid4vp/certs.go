package openid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/frontdoor-project/frontdoor/internal/pemcert"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// ClientIDPrefix is the OpenID4VP 1.0 §5.9.3 client identifier prefix this
// verifier uses: the client is named by the hash of its certificate, so
// no DNS name has to match the certificate's SAN.
const ClientIDPrefix = "x509_hash:"

// ClientID is x509_hash:<base64url(SHA-256(leaf DER))>, unpadded.
func ClientID(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.Raw)
	return ClientIDPrefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// LoadChain reads a PEM file of certificates, leaf first.
func LoadChain(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verifier certificate: %w", err)
	}
	return ParseChain(data)
}

// ParseChain parses PEM certificates, leaf first.
func ParseChain(data []byte) ([]*x509.Certificate, error) {
	chain, err := pemcert.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("verifier certificate: %w", err)
	}
	return chain, nil
}

// LoadKey reads a PEM P-256 private key (PKCS#8 or SEC 1).
func LoadKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return ParseKey(data)
}

// ParseKey parses a PEM P-256 private key (PKCS#8 or SEC 1).
func ParseKey(data []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("verifier key: no PEM block")
	}
	var key any
	var err error
	switch b.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("verifier key: not a P-256 key (ES256 needs one)")
	}
	return ec, nil
}

// CheckPair reports whether key is the leaf certificate's key, so a
// misconfigured pair fails at start-up rather than at every wallet.
func CheckPair(chain []*x509.Certificate, key *ecdsa.PrivateKey) error {
	pub, ok := chain[0].PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("verifier key does not match the certificate's leaf")
	}
	return nil
}

// withoutRoot is the chain for x5c: HAIP and RFC 7515 leave the trust
// anchor out, the wallet must already hold it.
func withoutRoot(chain []*x509.Certificate) []*x509.Certificate {
	if n := len(chain); n > 1 {
		last := chain[n-1]
		if last.CheckSignatureFrom(last) == nil {
			return chain[:n-1]
		}
	}
	return chain
}

// DemoChain makes a demo root CA and a verifier certificate it signs, for
// `make run`. It writes certPath (leaf then root, PEM), keyPath (the
// leaf's PKCS#8 key, mode 0600) and rootPath (the root alone, for wallets
// to trust). Existing files are kept: the demo identity must not change
// under wallets that learned it.
func DemoChain(certPath, keyPath, rootPath, name string, now time.Time) error {
	if exists(certPath) && exists(keyPath) && exists(rootPath) {
		return nil
	}
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("demo root key: %w", err)
	}
	root := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "frontdoor demo root (DEMO ONLY)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("demo root: %w", err)
	}
	root, _ = x509.ParseCertificate(rootDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("demo verifier key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(2, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, DNSNames: []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("demo verifier certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return fmt.Errorf("demo verifier key: %w", err)
	}
	certPEM := append(pemOf("CERTIFICATE", leafDER), pemOf("CERTIFICATE", rootDER)...)
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return fmt.Errorf("demo verifier certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, pemOf("PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("demo verifier key: %w", err)
	}
	if err := os.WriteFile(rootPath, pemOf("CERTIFICATE", rootDER), 0o644); err != nil {
		return fmt.Errorf("demo root: %w", err)
	}
	return nil
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// DemoVerifier makes a demo chain in dir and loads it: the leaf chain and its
// key for signing requests, and the root's path for wallets to trust. For
// tests and demos that need a verifier of their own.
func DemoVerifier(dir, name string, now time.Time) (chain []*x509.Certificate, key *ecdsa.PrivateKey, rootPath string, err error) {
	cert, keyPath, rootPath := filepath.Join(dir, "v.pem"), filepath.Join(dir, "v.key"), filepath.Join(dir, "root.pem")
	if err := DemoChain(cert, keyPath, rootPath, name, now); err != nil {
		return nil, nil, "", err
	}
	if chain, err = LoadChain(cert); err != nil {
		return nil, nil, "", err
	}
	if key, err = LoadKey(keyPath); err != nil {
		return nil, nil, "", err
	}
	return chain, key, rootPath, nil
}
