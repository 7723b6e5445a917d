package mdoc

import (
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// TestWireShape pins the ISO 18013-5 encodings other implementations
// (e.g. @animo-id/mdoc) expect, independent of our own decoder structs.
func TestWireShape(t *testing.T) {
	f := newFixture(t)
	resp := f.present(t, f.doc, f.holder, f.tr, f.req)
	var r struct {
		Documents []struct {
			IssuerSigned struct {
				NameSpaces map[string][]cbor.RawTag `cbor:"nameSpaces"`
				IssuerAuth []cbor.RawMessage        `cbor:"issuerAuth"`
			} `cbor:"issuerSigned"`
			DeviceSigned struct {
				NameSpaces cbor.RawTag `cbor:"nameSpaces"`
				DeviceAuth struct {
					DeviceSignature []cbor.RawMessage `cbor:"deviceSignature"`
				} `cbor:"deviceAuth"`
			} `cbor:"deviceSigned"`
		} `cbor:"documents"`
	}
	if err := cb.dec.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	d := r.Documents[0]
	for _, it := range d.IssuerSigned.NameSpaces[NamespaceMDL] {
		if it.Number != 24 {
			t.Errorf("IssuerSignedItemBytes tag %d, want 24", it.Number)
		}
	}
	if d.DeviceSigned.NameSpaces.Number != 24 {
		t.Errorf("DeviceNameSpacesBytes tag %d", d.DeviceSigned.NameSpaces.Number)
	}
	if len(d.IssuerSigned.IssuerAuth) != 4 || len(d.DeviceSigned.DeviceAuth.DeviceSignature) != 4 {
		t.Fatal("COSE_Sign1 must be an untagged 4-element array")
	}
	if string(d.DeviceSigned.DeviceAuth.DeviceSignature[2]) != "\xf6" {
		t.Error("deviceSignature payload must be detached (null)")
	}
	var payload []byte
	if err := cb.dec.Unmarshal(d.IssuerSigned.IssuerAuth[2], &payload); err != nil {
		t.Fatal(err)
	}
	var msoTag cbor.Tag
	if err := cb.dec.Unmarshal(payload, &msoTag); err != nil || msoTag.Number != 24 {
		t.Fatalf("MSO payload not tag 24: %v %d", err, msoTag.Number)
	}
	var mso struct {
		ValidityInfo  map[string]cbor.RawTag `cbor:"validityInfo"`
		DeviceKeyInfo struct {
			DeviceKey map[int]any `cbor:"deviceKey"`
		} `cbor:"deviceKeyInfo"`
	}
	if err := cb.dec.Unmarshal(msoTag.Content.([]byte), &mso); err != nil {
		t.Fatal(err)
	}
	for k, v := range mso.ValidityInfo {
		if v.Number != 0 {
			t.Errorf("validityInfo.%s tag %d, want 0 (tdate)", k, v.Number)
		}
	}
	dk := mso.DeviceKeyInfo.DeviceKey
	if dk[1] != uint64(2) || dk[-1] != uint64(1) {
		t.Errorf("deviceKey kty %v crv %v, want 2 and 1", dk[1], dk[-1])
	}
}

func TestKeyPairPEMRoundTrip(t *testing.T) {
	iaca, err := NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := NewDocumentSigner(iaca)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "ds.pem"), filepath.Join(dir, "ds.key")
	if err := ds.Save(cert, key); err != nil {
		t.Fatal(err)
	}
	back, err := LoadKeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Cert.Equal(ds.Cert) || !back.Key.Equal(ds.Key) {
		t.Fatal("key pair changed in a PEM round trip")
	}
	root := filepath.Join(dir, "iaca.pem")
	if err := iaca.Save(root, filepath.Join(dir, "iaca.key")); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadTrustAnchors(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyPair(root, key); err == nil {
		t.Fatal("mismatched certificate and key accepted")
	}
	if _, err := back.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("loaded DS does not chain to the loaded IACA: %v", err)
	}
}
