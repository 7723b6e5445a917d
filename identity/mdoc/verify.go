package mdoc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// VerifyOptions are what Verify checks a DeviceResponse against.
type VerifyOptions struct {
	// TrustAnchors are the IACA roots (identity.mdoc_trust_anchors).
	TrustAnchors *x509.CertPool
	// Now is the verification time: certificates and the MSO validity are
	// checked at it. Required, so tests and replays pick their clock.
	Now time.Time
	// DocType expected; default DocTypeMDL.
	DocType string
	// Requested is namespace → element identifiers, as in the DCQL query.
	// Every one must be disclosed and nothing else may be; empty means
	// nothing may be disclosed (use DefaultRequest for frontdoor's query).
	Requested map[string][]string
	// Transcript is the OpenID4VP request the device signature must cover.
	Transcript Transcript
}

// Result is a verified document.
type Result struct {
	DocType string
	// Claims are the disclosed org.iso.18013.5.1 elements as strings
	// (full-date and tdate as "YYYY-MM-DD"/RFC 3339; other non-text
	// scalars formatted with %v; arrays, maps and bytes left out).
	Claims map[string]string
	// Issuer is the document signer certificate's subject.
	Issuer string
	// DocumentSigner is the DS certificate IssuerAuth was verified with.
	DocumentSigner *x509.Certificate
	// ValidUntil is the MSO's validUntil.
	ValidUntil time.Time
}

// Verify checks a CBOR DeviceResponse (one document) and returns its
// claims, or a *Refusal naming the first rule it breaks.
func Verify(deviceResponseBytes []byte, opts VerifyOptions) (*Result, error) {
	if opts.DocType == "" {
		opts.DocType = DocTypeMDL
	}
	if opts.TrustAnchors == nil {
		return nil, errors.New("mdoc verify: no trust anchors configured")
	}
	if opts.Now.IsZero() {
		return nil, errors.New("mdoc verify: no verification time")
	}
	if len(deviceResponseBytes) > MaxResponseSize {
		return nil, refuse(CodeMalformed, nil, "DeviceResponse larger than %d bytes", MaxResponseSize)
	}
	var resp deviceResponse
	if err := cb.dec.Unmarshal(deviceResponseBytes, &resp); err != nil {
		return nil, refuse(CodeMalformed, err, "DeviceResponse is not valid CBOR")
	}
	if resp.Version != "1.0" {
		return nil, refuse(CodeMalformed, nil, "DeviceResponse version %q, want 1.0", resp.Version)
	}
	if resp.Status != 0 {
		return nil, refuse(CodeMalformed, nil, "DeviceResponse status %d", resp.Status)
	}
	// One credential query asks for one mDL: a second document is
	// something nobody asked for.
	if len(resp.Documents) != 1 {
		return nil, refuse(CodeMalformed, nil, "%d documents, want 1", len(resp.Documents))
	}
	doc := &resp.Documents[0]
	if doc.DocType != opts.DocType {
		return nil, refuse(CodeBadDocType, nil, "docType %q, want %q", doc.DocType, opts.DocType)
	}

	ds, mso, err := verifyIssuerAuth(doc.IssuerSigned.IssuerAuth, opts)
	if err != nil {
		return nil, err
	}
	if mso.DocType != doc.DocType {
		return nil, refuse(CodeBadDocType, nil, "MSO docType %q differs from the document's %q", mso.DocType, doc.DocType)
	}
	vi := mso.ValidityInfo
	if opts.Now.Before(vi.ValidFrom) {
		return nil, refuse(CodeMSONotYetValid, nil, "MSO valid from %s", vi.ValidFrom.Format(time.RFC3339))
	}
	if !opts.Now.Before(vi.ValidUntil) {
		return nil, refuse(CodeMSOExpired, nil, "MSO valid until %s", vi.ValidUntil.Format(time.RFC3339))
	}

	items, err := checkDigests(doc.IssuerSigned.NameSpaces, mso)
	if err != nil {
		return nil, err
	}
	if err := verifyDeviceAuth(doc, mso, opts.Transcript); err != nil {
		return nil, err
	}
	if err := checkRequested(items, opts.Requested); err != nil {
		return nil, err
	}

	claims := map[string]string{}
	for _, it := range items[NamespaceMDL] {
		if s, ok := claimString(it.ElementValue); ok {
			claims[it.ElementIdentifier] = s
		}
	}
	return &Result{
		DocType:        doc.DocType,
		Claims:         claims,
		Issuer:         ds.Subject.String(),
		DocumentSigner: ds,
		ValidUntil:     vi.ValidUntil,
	}, nil
}

// verifyIssuerAuth checks the x5chain against the IACA roots, the ES256
// signature with the DS key, and decodes the MSO it signs.
func verifyIssuerAuth(raw cbor.RawMessage, opts VerifyOptions) (*x509.Certificate, *mobileSecurityObject, error) {
	msg, err := decodeSign1(raw)
	if err != nil {
		return nil, nil, refuse(CodeMalformed, err, "issuerAuth is not a COSE_Sign1")
	}
	if err := requireES256(msg); err != nil {
		return nil, nil, refuse(CodeBadAlg, err, "issuerAuth")
	}
	chain, err := x5chain(msg)
	if err != nil {
		return nil, nil, refuse(CodeMalformed, err, "issuerAuth x5chain")
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots:         opts.TrustAnchors,
		Intermediates: inter,
		CurrentTime:   opts.Now,
		// The DS carries the mdoc EKU (1.0.18013.5.1.2), which Go does not
		// know; chain building is what is checked here.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, nil, refuse(CodeCertExpired, err, "document signer %q", leaf.Subject.String())
		}
		return nil, nil, refuse(CodeUntrusted, err, "document signer %q", leaf.Subject.String())
	}
	// A DS key signs MSOs and nothing else (ISO 18013-5 B.1.4); a CA or
	// TLS certificate under the same root must not pass for one.
	if leaf.IsCA || leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, nil, refuse(CodeUntrusted, nil, "document signer %q is a CA or lacks digitalSignature key usage", leaf.Subject.String())
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, nil, refuse(CodeBadAlg, nil, "document signer key is not P-256")
	}
	v, err := cose.NewVerifier(cose.AlgorithmES256, pub)
	if err != nil {
		return nil, nil, refuse(CodeBadAlg, err, "document signer key")
	}
	if msg.Payload == nil {
		return nil, nil, refuse(CodeMalformed, nil, "issuerAuth has no payload")
	}
	if err := msg.Verify(nil, v); err != nil {
		return nil, nil, refuse(CodeBadIssuerSignature, err, "issuerAuth")
	}
	var msoBytes tagged24
	if err := cb.dec.Unmarshal(msg.Payload, &msoBytes); err != nil {
		return nil, nil, refuse(CodeMalformed, err, "issuerAuth payload is not MobileSecurityObjectBytes")
	}
	var mso mobileSecurityObject
	if err := cb.dec.Unmarshal(msoBytes.Inner, &mso); err != nil {
		return nil, nil, refuse(CodeMalformed, err, "MobileSecurityObject")
	}
	if mso.Version != "1.0" || mso.ValidityInfo.ValidFrom.IsZero() || mso.ValidityInfo.ValidUntil.IsZero() || len(mso.DeviceKeyInfo.DeviceKey) == 0 {
		return nil, nil, refuse(CodeMalformed, nil, "MobileSecurityObject lacks version 1.0, validity or device key")
	}
	if mso.DigestAlgorithm != "SHA-256" {
		return nil, nil, refuse(CodeBadDigest, nil, "digestAlgorithm %q, want SHA-256", mso.DigestAlgorithm)
	}
	return leaf, &mso, nil
}

// checkDigests decodes every disclosed IssuerSignedItem and checks that
// SHA-256 of its tag-24 bytes, as sent, is the MSO's digest for its ID.
func checkDigests(nameSpaces map[string][]tagged24, mso *mobileSecurityObject) (map[string][]issuerSignedItem, error) {
	out := map[string][]issuerSignedItem{}
	for ns, list := range nameSpaces {
		want := mso.ValueDigests[ns]
		seen := map[string]bool{}
		for _, raw := range list {
			var it issuerSignedItem
			if err := cb.dec.Unmarshal(raw.Inner, &it); err != nil {
				return nil, refuse(CodeMalformed, err, "IssuerSignedItem in %s", ns)
			}
			if it.ElementIdentifier == "" || seen[it.ElementIdentifier] {
				return nil, refuse(CodeMalformed, nil, "element %q in %s empty or sent twice", it.ElementIdentifier, ns)
			}
			seen[it.ElementIdentifier] = true
			d, ok := want[it.DigestID]
			got := sha256.Sum256(raw.Raw)
			if !ok || subtle.ConstantTimeCompare(d, got[:]) != 1 {
				return nil, refuse(CodeBadDigest, nil, "element %s/%s (digestID %d)", ns, it.ElementIdentifier, it.DigestID)
			}
			out[ns] = append(out[ns], it)
		}
	}
	return out, nil
}

// verifyDeviceAuth checks deviceSignature over DeviceAuthenticationBytes
// built from our own SessionTranscript, with the MSO's device key: this is
// what ties the document to this request and to the key the issuer bound.
func verifyDeviceAuth(doc *document, mso *mobileSecurityObject, t Transcript) error {
	ds := doc.DeviceSigned
	if ds == nil || len(ds.DeviceAuth.DeviceSignature) == 0 {
		// deviceMac needs the reader's ephemeral key (ECDH), which
		// OpenID4VP does not establish; it is refused like none at all.
		return refuse(CodeMissingDeviceAuth, nil, "no deviceSignature")
	}
	if ds.NameSpaces.Raw == nil {
		return refuse(CodeMalformed, nil, "deviceSigned without nameSpaces")
	}
	msg, err := decodeSign1(ds.DeviceAuth.DeviceSignature)
	if err != nil {
		return refuse(CodeMalformed, err, "deviceSignature is not a COSE_Sign1")
	}
	if err := requireES256(msg); err != nil {
		return refuse(CodeBadAlg, err, "deviceSignature")
	}
	var key cose.Key
	if err := key.UnmarshalCBOR(mso.DeviceKeyInfo.DeviceKey); err != nil {
		return refuse(CodeMalformed, err, "deviceKey is not a COSE_Key")
	}
	crv, _, _, _ := key.EC2()
	if key.Type != cose.KeyTypeEC2 || crv != cose.CurveP256 {
		return refuse(CodeBadAlg, nil, "deviceKey is not EC2 P-256")
	}
	pk, err := key.PublicKey()
	if err != nil {
		return refuse(CodeMalformed, err, "deviceKey")
	}
	pub, ok := pk.(*ecdsa.PublicKey)
	if !ok {
		return refuse(CodeBadAlg, nil, "deviceKey is %T", pk)
	}
	// go-cose does not check the point lies on the curve; ECDH does.
	if _, err := pub.ECDH(); err != nil {
		return refuse(CodeMalformed, err, "deviceKey point")
	}
	st, err := SessionTranscript(t)
	if err != nil {
		return fmt.Errorf("mdoc verify: %w", err)
	}
	payload, err := deviceAuthenticationBytes(st, doc.DocType, ds.NameSpaces)
	if err != nil {
		return fmt.Errorf("mdoc verify: %w", err)
	}
	if msg.Payload != nil && !bytes.Equal(msg.Payload, payload) {
		return refuse(CodeBadDeviceSignature, nil, "attached payload is not this session's DeviceAuthentication")
	}
	msg.Payload = payload
	v, err := cose.NewVerifier(cose.AlgorithmES256, pub)
	if err != nil {
		return refuse(CodeBadAlg, err, "deviceKey")
	}
	if err := msg.Verify(nil, v); err != nil {
		return refuse(CodeBadDeviceSignature, err, "deviceSignature (wrong key or another session)")
	}
	return nil
}

// checkRequested holds the disclosure to exactly the request: all asked
// for, nothing more (data minimisation, and no surprises in the audit).
func checkRequested(items map[string][]issuerSignedItem, requested map[string][]string) error {
	for _, ns := range sortedKeys(requested) {
		for _, id := range requested[ns] {
			if !slices.ContainsFunc(items[ns], func(it issuerSignedItem) bool { return it.ElementIdentifier == id }) {
				return refuse(CodeMissingClaims, nil, "%s/%s not disclosed", ns, id)
			}
		}
	}
	for _, ns := range sortedKeys(items) {
		for _, it := range items[ns] {
			if !slices.Contains(requested[ns], it.ElementIdentifier) {
				return refuse(CodeUnrequestedClaims, nil, "%s/%s disclosed but not requested", ns, it.ElementIdentifier)
			}
		}
	}
	return nil
}

// decodeSign1 takes COSE_Sign1 untagged, as ISO 18013-5 sends it, and
// also tagged (18), which some issuers emit.
func decodeSign1(raw []byte) (*cose.Sign1Message, error) {
	if len(raw) == 0 {
		return nil, errors.New("empty")
	}
	var msg cose.Sign1Message
	if raw[0] == 0xd2 {
		if err := msg.UnmarshalCBOR(raw); err != nil {
			return nil, err
		}
		return &msg, nil
	}
	var um cose.UntaggedSign1Message
	if err := um.UnmarshalCBOR(raw); err != nil {
		return nil, err
	}
	m := cose.Sign1Message(um)
	return &m, nil
}

func requireES256(msg *cose.Sign1Message) error {
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil {
		return fmt.Errorf("protected alg: %w", err)
	}
	if alg != cose.AlgorithmES256 {
		return fmt.Errorf("alg %v, want ES256", alg)
	}
	return nil
}

// x5chain reads COSE header 33 (RFC 9360): one bstr or an array of them,
// leaf first. ISO puts it in the unprotected header; protected is taken too.
func x5chain(msg *cose.Sign1Message) ([]*x509.Certificate, error) {
	v, ok := msg.Headers.Unprotected[cose.HeaderLabelX5Chain]
	if !ok {
		v, ok = msg.Headers.Protected[cose.HeaderLabelX5Chain]
	}
	if !ok {
		return nil, errors.New("no x5chain header")
	}
	var ders [][]byte
	switch x := v.(type) {
	case []byte:
		ders = [][]byte{x}
	case []any:
		for _, e := range x {
			b, ok := e.([]byte)
			if !ok {
				return nil, errors.New("x5chain entry is not a byte string")
			}
			ders = append(ders, b)
		}
	default:
		return nil, fmt.Errorf("x5chain is %T", v)
	}
	if len(ders) == 0 || len(ders) > 8 {
		return nil, fmt.Errorf("x5chain has %d certificates", len(ders))
	}
	certs := make([]*x509.Certificate, 0, len(ders))
	for _, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("x5chain certificate: %w", err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func claimString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case cbor.Tag:
		// full-date (1004) and tdate (0) as their text
		if s, ok := x.Content.(string); ok && (x.Number == 1004 || x.Number == 0) {
			return s, true
		}
		return "", false
	case time.Time:
		return x.UTC().Format(time.RFC3339), true
	case bool, int64, uint64, float64:
		return fmt.Sprint(x), true
	default:
		return "", false
	}
}
