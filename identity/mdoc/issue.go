package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// Document is an issued mdoc as a wallet keeps it: the doctype and the
// CBOR IssuerSigned structure (every element, plus IssuerAuth). The
// OpenID4VCI mso_mdoc credential is base64url(IssuerSigned).
type Document struct {
	DocType      string
	IssuerSigned []byte
}

// IssueOptions describe an mdoc to issue.
type IssueOptions struct {
	DocType string // default DocTypeMDL
	// Elements are namespace → element identifier → value; use FullDate
	// for birth_date.
	Elements  map[string]map[string]any
	DeviceKey *ecdsa.PublicKey // the holder key DeviceAuth will be checked with
	Signer    *KeyPair         // the document signer
	// Chain is appended to x5chain after the signer's certificate
	// (intermediates, never the root).
	Chain      []*x509.Certificate
	Signed     time.Time // MSO signing time; default: now
	ValidFrom  time.Time // default: Signed
	ValidUntil time.Time // default: ValidFrom + 1 year
	Rand       io.Reader // default crypto/rand
}

// Issue builds and signs an mdoc: one IssuerSignedItem per element with a
// fresh 32-byte random salt, an MSO with their SHA-256 digests, and an
// IssuerAuth COSE_Sign1 (ES256, x5chain in the unprotected header).
func Issue(opts IssueOptions) (*Document, error) {
	if opts.Signer == nil || opts.Signer.Key == nil || opts.Signer.Cert == nil {
		return nil, errors.New("issue mdoc: no document signer")
	}
	if opts.DeviceKey == nil {
		return nil, errors.New("issue mdoc: no device key")
	}
	if opts.DocType == "" {
		opts.DocType = DocTypeMDL
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Signed.IsZero() {
		opts.Signed = time.Now()
	}
	if opts.ValidFrom.IsZero() {
		opts.ValidFrom = opts.Signed
	}
	if opts.ValidUntil.IsZero() {
		opts.ValidUntil = opts.ValidFrom.AddDate(1, 0, 0)
	}
	deviceKey, err := coseKey(opts.DeviceKey)
	if err != nil {
		return nil, fmt.Errorf("issue mdoc: %w", err)
	}

	nameSpaces := map[string][]tagged24{}
	digests := map[string]map[uint64][]byte{}
	// Digest IDs are numbered across namespaces in sorted order so the
	// same input gives the same layout.
	var id uint64
	for _, ns := range sortedKeys(opts.Elements) {
		digests[ns] = map[uint64][]byte{}
		for _, name := range sortedKeys(opts.Elements[ns]) {
			salt := make([]byte, 32)
			if _, err := io.ReadFull(opts.Rand, salt); err != nil {
				return nil, fmt.Errorf("issue mdoc: salt: %w", err)
			}
			item, err := newTagged24(issuerSignedItem{DigestID: id, Random: salt, ElementIdentifier: name, ElementValue: opts.Elements[ns][name]})
			if err != nil {
				return nil, fmt.Errorf("issue mdoc: element %s/%s: %w", ns, name, err)
			}
			d := sha256.Sum256(item.Raw)
			digests[ns][id] = d[:]
			nameSpaces[ns] = append(nameSpaces[ns], item)
			id++
		}
	}

	mso, err := newTagged24(mobileSecurityObject{
		Version:         "1.0",
		DigestAlgorithm: "SHA-256",
		ValueDigests:    digests,
		DeviceKeyInfo:   deviceKeyInfo{DeviceKey: deviceKey},
		DocType:         opts.DocType,
		ValidityInfo: validityInfo{
			Signed:     opts.Signed.UTC().Truncate(time.Second),
			ValidFrom:  opts.ValidFrom.UTC().Truncate(time.Second),
			ValidUntil: opts.ValidUntil.UTC().Truncate(time.Second),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("issue mdoc: MSO: %w", err)
	}

	x5chain := [][]byte{opts.Signer.Cert.Raw}
	for _, c := range opts.Chain {
		x5chain = append(x5chain, c.Raw)
	}
	var x5 any = x5chain
	if len(x5chain) == 1 {
		x5 = x5chain[0] // a single certificate is a bare bstr (RFC 9360)
	}
	msg := &cose.UntaggedSign1Message{
		Headers: cose.Headers{
			Protected:   cose.ProtectedHeader{cose.HeaderLabelAlgorithm: algFor(opts.Signer.Key)},
			Unprotected: cose.UnprotectedHeader{cose.HeaderLabelX5Chain: x5},
		},
		Payload: mso.Raw,
	}
	if err := signSign1(msg, opts.Signer.Key, opts.Rand); err != nil {
		return nil, fmt.Errorf("issue mdoc: issuer auth: %w", err)
	}
	auth, err := msg.MarshalCBOR()
	if err != nil {
		return nil, fmt.Errorf("issue mdoc: encode issuer auth: %w", err)
	}
	is, err := cb.enc.Marshal(issuerSigned{NameSpaces: nameSpaces, IssuerAuth: auth})
	if err != nil {
		return nil, fmt.Errorf("issue mdoc: encode IssuerSigned: %w", err)
	}
	return &Document{DocType: opts.DocType, IssuerSigned: is}, nil
}

// Present answers an OpenID4VP request: a DeviceResponse (version "1.0",
// status 0) with the requested elements only and a deviceSignature over
// the request's SessionTranscript. Elements the document lacks are left
// out, as a wallet would; the verifier decides whether that is enough.
func Present(doc *Document, holderKey *ecdsa.PrivateKey, t Transcript, requested map[string][]string) ([]byte, error) {
	if doc == nil || holderKey == nil {
		return nil, errors.New("present mdoc: no document or holder key")
	}
	var is issuerSigned
	if err := cb.dec.Unmarshal(doc.IssuerSigned, &is); err != nil {
		return nil, fmt.Errorf("present mdoc: decode IssuerSigned: %w", err)
	}
	disclosed := map[string][]tagged24{}
	for ns, items := range is.NameSpaces {
		for _, it := range items {
			var item issuerSignedItem
			if err := cb.dec.Unmarshal(it.Inner, &item); err != nil {
				return nil, fmt.Errorf("present mdoc: decode element: %w", err)
			}
			if slices.Contains(requested[ns], item.ElementIdentifier) {
				disclosed[ns] = append(disclosed[ns], it)
			}
		}
	}
	is.NameSpaces = disclosed

	st, err := SessionTranscript(t)
	if err != nil {
		return nil, fmt.Errorf("present mdoc: %w", err)
	}
	// No device-signed elements: the mDL claims we want are issuer-signed.
	devNS, err := newTagged24(map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("present mdoc: %w", err)
	}
	payload, err := deviceAuthenticationBytes(st, doc.DocType, devNS)
	if err != nil {
		return nil, fmt.Errorf("present mdoc: %w", err)
	}
	msg := &cose.UntaggedSign1Message{
		Headers: cose.Headers{
			Protected:   cose.ProtectedHeader{cose.HeaderLabelAlgorithm: algFor(holderKey)},
			Unprotected: cose.UnprotectedHeader{},
		},
		Payload: payload,
	}
	if err := signSign1(msg, holderKey, rand.Reader); err != nil {
		return nil, fmt.Errorf("present mdoc: device signature: %w", err)
	}
	msg.Payload = nil // detached: the verifier rebuilds it from its own transcript
	sig, err := msg.MarshalCBOR()
	if err != nil {
		return nil, fmt.Errorf("present mdoc: encode device signature: %w", err)
	}
	resp := deviceResponse{
		Version: "1.0",
		Documents: []document{{
			DocType:      doc.DocType,
			IssuerSigned: is,
			DeviceSigned: &deviceSigned{NameSpaces: devNS, DeviceAuth: deviceAuth{DeviceSignature: sig}},
		}},
		Status: 0,
	}
	out, err := cb.enc.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("present mdoc: encode DeviceResponse: %w", err)
	}
	return out, nil
}

// algFor picks the COSE algorithm matching the key's curve; only ES256
// passes Verify, the others exist so tests can produce refusals.
func algFor(k *ecdsa.PrivateKey) cose.Algorithm {
	switch k.Curve {
	case elliptic.P384():
		return cose.AlgorithmES384
	case elliptic.P521():
		return cose.AlgorithmES512
	default:
		return cose.AlgorithmES256
	}
}

func signSign1(msg *cose.UntaggedSign1Message, key *ecdsa.PrivateKey, r io.Reader) error {
	signer, err := cose.NewSigner(algFor(key), key)
	if err != nil {
		return fmt.Errorf("cose signer: %w", err)
	}
	return msg.Sign(r, nil, signer)
}

// coseKey encodes an EC public key as the COSE_Key ISO 18013-5 wants for
// deviceKey: kty 2 (EC2), crv, and fixed-length x and y.
func coseKey(pub *ecdsa.PublicKey) (cbor.RawMessage, error) {
	var crv cose.Curve
	switch pub.Curve {
	case elliptic.P256():
		crv = cose.CurveP256
	case elliptic.P384():
		crv = cose.CurveP384
	case elliptic.P521():
		crv = cose.CurveP521
	default:
		return nil, errors.New("device key: unsupported curve")
	}
	raw, err := pub.Bytes() // 0x04 || x || y, each padded to the field size
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	n := (len(raw) - 1) / 2
	k := &cose.Key{Type: cose.KeyTypeEC2, Params: map[any]any{
		cose.KeyLabelEC2Curve: crv,
		cose.KeyLabelEC2X:     raw[1 : 1+n],
		cose.KeyLabelEC2Y:     raw[1+n:],
	}}
	b, err := k.MarshalCBOR()
	if err != nil {
		return nil, fmt.Errorf("device key: encode COSE_Key: %w", err)
	}
	return b, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
