package mdoc

import (
	"crypto/elliptic"
	"encoding/hex"
	"testing"
	"time"

	"github.com/veraison/go-cose"
)

// mutate decodes a DeviceResponse, lets change edit it, and re-encodes it.
// Tag-24 items keep their bytes, so only what change touches differs.
func mutate(t *testing.T, resp []byte, change func(*deviceResponse)) []byte {
	t.Helper()
	var r deviceResponse
	if err := cb.dec.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	change(&r)
	out, err := cb.enc.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func encodeSign1(t *testing.T, m *cose.Sign1Message) []byte {
	t.Helper()
	b, err := (*cose.UntaggedSign1Message)(m).MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withDeviceKey(t *testing.T, f *fixture, curve elliptic.Curve) ([]byte, VerifyOptions) {
	holder := mustKey(t, curve)
	doc := f.issue(t, IssueOptions{DeviceKey: &holder.PublicKey})
	return f.present(t, doc, holder, f.tr, f.req), f.opts()
}

func TestVerifyRefusals(t *testing.T) {
	f := newFixture(t)
	good := f.present(t, f.doc, f.holder, f.tr, f.req)

	otherIACA, err := NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	foreignDS, err := NewDocumentSigner(otherIACA)
	if err != nil {
		t.Fatal(err)
	}
	expiredDS, err := newDocumentSigner(f.iaca, f.now.AddDate(-2, 0, 0), f.now.AddDate(-1, 0, 0), elliptic.P256())
	if err != nil {
		t.Fatal(err)
	}
	p384DS, err := newDocumentSigner(f.iaca, f.now.Add(-time.Hour), f.now.AddDate(1, 0, 0), elliptic.P384())
	if err != nil {
		t.Fatal(err)
	}

	caAsSigner, err := newIACA("a root posing as a document signer", f.now.Add(-time.Hour), f.now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.pool.AddCert(caAsSigner.Cert)

	cases := []struct {
		name string
		code string
		resp func(t *testing.T) ([]byte, VerifyOptions)
	}{
		{"malformed bytes", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return []byte{0xa1, 0x67, 'v', 'e', 'r'}, f.opts()
		}},
		{"not cbor at all", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return []byte(`{"version":"1.0"}`), f.opts()
		}},
		{"wrong version", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) { r.Version = "2.0" }), f.opts()
		}},
		{"error status", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) { r.Status = 10 }), f.opts()
		}},
		{"no documents", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) { r.Documents = nil }), f.opts()
		}},
		{"wrong doctype", CodeBadDocType, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{DocType: "org.example.loyalty.1"})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"DS from another root", CodeUntrusted, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{Signer: foreignDS})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"signer certificate is a CA", CodeUntrusted, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{Signer: caAsSigner})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"oversized response", CodeMalformed, func(t *testing.T) ([]byte, VerifyOptions) {
			return make([]byte, MaxResponseSize+1), f.opts()
		}},
		{"expired DS certificate", CodeCertExpired, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{Signer: expiredDS})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"tampered issuer signature", CodeBadIssuerSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) {
				m, err := decodeSign1(r.Documents[0].IssuerSigned.IssuerAuth)
				if err != nil {
					t.Fatal(err)
				}
				m.Signature[5] ^= 0x01
				r.Documents[0].IssuerSigned.IssuerAuth = encodeSign1(t, m)
			}), f.opts()
		}},
		{"MSO expired", CodeMSOExpired, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{ValidFrom: f.now.AddDate(-1, 0, 0), ValidUntil: f.now.Add(-time.Minute)})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"MSO not yet valid", CodeMSONotYetValid, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{ValidFrom: f.now.Add(time.Hour)})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
		{"altered element value", CodeBadDigest, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) {
				items := r.Documents[0].IssuerSigned.NameSpaces[NamespaceMDL]
				for i, raw := range items {
					var it issuerSignedItem
					if err := cb.dec.Unmarshal(raw.Inner, &it); err != nil {
						t.Fatal(err)
					}
					if it.ElementIdentifier == "family_name" {
						it.ElementValue = "Musterfrau"
						if items[i], err = newTagged24(it); err != nil {
							t.Fatal(err)
						}
					}
				}
			}), f.opts()
		}},
		{"device signature over another nonce", CodeBadDeviceSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			tr := f.tr
			tr.Nonce = "another-nonce"
			return f.present(t, f.doc, f.holder, tr, f.req), f.opts()
		}},
		{"device signature for another client_id", CodeBadDeviceSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			tr := f.tr
			tr.ClientID = "x509_hash:BBBB"
			return f.present(t, f.doc, f.holder, tr, f.req), f.opts()
		}},
		{"device signature for another response_uri", CodeBadDeviceSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			tr := f.tr
			tr.ResponseURI = "https://evil.example/response"
			return f.present(t, f.doc, f.holder, tr, f.req), f.opts()
		}},
		{"device signature without the encryption key thumbprint", CodeBadDeviceSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			tr := f.tr
			tr.JWKThumbprint = nil
			return f.present(t, f.doc, f.holder, tr, f.req), f.opts()
		}},
		{"device signature by another key", CodeBadDeviceSignature, func(t *testing.T) ([]byte, VerifyOptions) {
			return f.present(t, f.doc, mustKey(t, elliptic.P256()), f.tr, f.req), f.opts()
		}},
		{"no deviceSigned", CodeMissingDeviceAuth, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) { r.Documents[0].DeviceSigned = nil }), f.opts()
		}},
		{"deviceMac instead of deviceSignature", CodeMissingDeviceAuth, func(t *testing.T) ([]byte, VerifyOptions) {
			return mutate(t, good, func(r *deviceResponse) {
				da := &r.Documents[0].DeviceSigned.DeviceAuth
				da.DeviceMac, da.DeviceSignature = da.DeviceSignature, nil
			}), f.opts()
		}},
		{"missing claim", CodeMissingClaims, func(t *testing.T) ([]byte, VerifyOptions) {
			return f.present(t, f.doc, f.holder, f.tr, map[string][]string{NamespaceMDL: {"given_name", "family_name"}}), f.opts()
		}},
		{"unrequested claim", CodeUnrequestedClaims, func(t *testing.T) ([]byte, VerifyOptions) {
			req := map[string][]string{NamespaceMDL: {"given_name", "family_name", "birth_date", "age_over_18"}}
			return f.present(t, f.doc, f.holder, f.tr, req), f.opts()
		}},
		{"device signature ES384", CodeBadAlg, func(t *testing.T) ([]byte, VerifyOptions) {
			return withDeviceKey(t, f, elliptic.P384())
		}},
		{"issuer signature ES384", CodeBadAlg, func(t *testing.T) ([]byte, VerifyOptions) {
			doc := f.issue(t, IssueOptions{Signer: p384DS})
			return f.present(t, doc, f.holder, f.tr, f.req), f.opts()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, opts := tc.resp(t)
			res, err := Verify(resp, opts)
			if err == nil {
				t.Fatalf("verified %+v, want refusal %s", res, tc.code)
			}
			r, ok := AsRefusal(err)
			if !ok {
				t.Fatalf("error %v is not a Refusal", err)
			}
			if r.Code != tc.code {
				t.Fatalf("refusal %v, want code %s", r, tc.code)
			}
			t.Logf("refused: %v", r)
		})
	}
}

func TestSessionTranscriptShape(t *testing.T) {
	st, err := SessionTranscript(Transcript{ClientID: "c", ResponseURI: "https://r", Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	var v []any
	if err := cb.dec.Unmarshal(st, &v); err != nil {
		t.Fatal(err)
	}
	if len(v) != 3 || v[0] != nil || v[1] != nil {
		t.Fatalf("SessionTranscript %#v", v)
	}
	h, ok := v[2].([]any)
	if !ok || len(h) != 2 || h[0] != "OpenID4VPHandover" {
		t.Fatalf("OpenID4VPHandover %#v", v[2])
	}
	if b, ok := h[1].([]byte); !ok || len(b) != 32 {
		t.Fatalf("handover hash %#v", h[1])
	}
}

// TestSessionTranscriptSpecVector: the non-normative examples of OpenID4VP
// 1.0 Appendix B.2.6.1 (OpenID4VPHandover) and B.2.6.2
// (OpenID4VPDCAPIHandover: origin, nonce and thumbprint; client_id and
// response_uri are ignored), the bytes a conformant wallet signs over.
func TestSessionTranscriptSpecVector(t *testing.T) {
	thumb, _ := hex.DecodeString("4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047")
	redirect := Transcript{
		ClientID:      "x509_san_dns:example.com",
		Nonce:         "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA",
		JWKThumbprint: thumb,
		ResponseURI:   "https://example.com/response",
	}
	dcAPI := redirect
	dcAPI.Origin = "https://example.com"
	for _, tc := range []struct {
		t    Transcript
		want string
	}{
		{redirect, "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8eed494cefdd9d95240d254b046b11b68013722aad38ac"},
		{dcAPI, "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4212f9762c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a"},
	} {
		st, err := SessionTranscript(tc.t)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(st); got != tc.want {
			t.Fatalf("SessionTranscript of %+v\n got %s\nwant %s", tc.t, got, tc.want)
		}
	}
}
