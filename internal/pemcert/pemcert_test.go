package pemcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	other := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}})
	certs, err := Parse(append(append(append([]byte{}, cert...), other...), cert...))
	if err != nil || len(certs) != 2 || certs[0].Subject.CommonName != "t" {
		t.Fatalf("got %d certs, %v", len(certs), err)
	}
	for name, data := range map[string][]byte{
		"empty":    nil,
		"key only": other,
		"garbage":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")}),
	} {
		if _, err := Parse(data); err == nil || !strings.Contains(err.Error(), "certificate") && !strings.Contains(err.Error(), "CERTIFICATE") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
