package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/frontdoor-project/frontdoor/internal/pemcert"
	"math/big"
	"os"
	"time"
)

// KeyPair is a certificate and its private key: an IACA root or a
// document signer (DS).
type KeyPair struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// oidDocumentSigner is the mdl document signer extended key usage
// (ISO/IEC 18013-5 Annex B.1.4).
var oidDocumentSigner = asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 2}

// NewDemoIACA makes a self-signed P-256 IACA root valid for ten years.
// Demo and tests only: a real IACA key lives in an HSM.
func NewDemoIACA() (*KeyPair, error) {
	now := time.Now().UTC().Truncate(time.Second)
	return newIACA("frontdoor demo IACA", now.Add(-time.Hour), now.AddDate(10, 0, 0))
}

func newIACA(cn string, notBefore, notAfter time.Time) (*KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate IACA key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Country: []string{"UT"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return createCert(tmpl, tmpl, &key.PublicKey, key, key)
}

// NewDocumentSigner makes a P-256 document signer certificate issued by
// iaca, valid for one year (capped at the IACA's own expiry).
func NewDocumentSigner(iaca *KeyPair) (*KeyPair, error) {
	now := time.Now().UTC().Truncate(time.Second)
	notAfter := now.AddDate(1, 0, 0)
	if notAfter.After(iaca.Cert.NotAfter) {
		notAfter = iaca.Cert.NotAfter
	}
	return newDocumentSigner(iaca, now.Add(-time.Hour), notAfter, elliptic.P256())
}

func newDocumentSigner(iaca *KeyPair, notBefore, notAfter time.Time, curve elliptic.Curve) (*KeyPair, error) {
	if iaca == nil || iaca.Cert == nil || iaca.Key == nil {
		return nil, errors.New("document signer needs an IACA certificate and key")
	}
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate document signer key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:            pkix.Name{CommonName: "frontdoor demo document signer", Country: []string{"UT"}},
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigner},
	}
	return createCert(tmpl, iaca.Cert, &key.PublicKey, iaca.Key, key)
}

func createCert(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer, key *ecdsa.PrivateKey) (*KeyPair, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse created certificate: %w", err)
	}
	return &KeyPair{Cert: cert, Key: key}, nil
}

// CertPEM is the certificate as a PEM "CERTIFICATE" block.
func (kp *KeyPair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Cert.Raw})
}

// KeyPEM is the private key as a PEM "PRIVATE KEY" (PKCS #8) block.
func (kp *KeyPair) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Save writes the certificate and the key (mode 0600) as PEM files.
func (kp *KeyPair) Save(certPath, keyPath string) error {
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(certPath, kp.CertPEM(), 0o644); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("write private key: %w", err)
	}
	return nil
}

// LoadKeyPair reads what Save wrote.
func LoadKeyPair(certPath, keyPath string) (*KeyPair, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	return ParseKeyPairPEM(certPEM, keyPEM)
}

// ParseKeyPairPEM parses one certificate and its PKCS #8 (or SEC 1) EC key.
func ParseKeyPairPEM(certPEM, keyPEM []byte) (*KeyPair, error) {
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM block in private key")
	}
	var key *ecdsa.PrivateKey
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		var k any
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err == nil {
			var ok bool
			if key, ok = k.(*ecdsa.PrivateKey); !ok {
				err = fmt.Errorf("private key is %T, want ECDSA", k)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	if !key.PublicKey.Equal(certs[0].PublicKey) {
		return nil, errors.New("private key does not match the certificate")
	}
	return &KeyPair{Cert: certs[0], Key: key}, nil
}

// ParseCertificatesPEM parses every CERTIFICATE block; at least one.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) { return pemcert.Parse(data) }

// LoadTrustAnchors reads IACA root certificates from PEM files
// (identity.mdoc_trust_anchors) into a pool for VerifyOptions.
func LoadTrustAnchors(paths ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read trust anchor: %w", err)
		}
		certs, err := ParseCertificatesPEM(data)
		if err != nil {
			return nil, fmt.Errorf("trust anchor %s: %w", p, err)
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}
