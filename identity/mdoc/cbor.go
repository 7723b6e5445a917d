package mdoc

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// DocTypeMDL is the ISO 18013-5 mDL document type; NamespaceMDL its
// data element namespace.
const (
	DocTypeMDL   = "org.iso.18013.5.1.mDL"
	NamespaceMDL = "org.iso.18013.5.1"
)

// DefaultRequest is what frontdoor's DCQL query asks an mDL for
// (CONTRACT.md, credential query "mdl"). A fresh map each call, so a
// caller may change it.
func DefaultRequest() map[string][]string {
	return map[string][]string{NamespaceMDL: {"given_name", "family_name", "birth_date"}}
}

// MaxResponseSize bounds what Verify decodes at all.
const MaxResponseSize = 256 << 10

// codec holds the CBOR modes. They are immutable once built, so one per
// package is safe to share between goroutines.
type codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

var cb = mustCodec()

func mustCodec() codec {
	// tdate (tag 0, RFC 3339 without fractions) as ISO 18013-5 §7.2.1 wants;
	// sorted maps so the same structure always encodes the same way.
	enc, err := cbor.EncOptions{
		Sort:    cbor.SortCoreDeterministic,
		Time:    cbor.TimeRFC3339,
		TimeTag: cbor.EncTagRequired,
	}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("mdoc: cbor enc mode: %v", err))
	}
	// Duplicate map keys are refused: two values for one key would let a
	// signer and a verifier read different data from the same bytes.
	dec, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  16,
		MaxArrayElements: 4096,
		MaxMapPairs:      4096,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("mdoc: cbor dec mode: %v", err))
	}
	return codec{enc: enc, dec: dec}
}

// tagged24 is #6.24(bstr .cbor X). Raw keeps the exact bytes received,
// because digests and signatures cover those bytes, not a re-encoding.
type tagged24 struct {
	Raw   []byte // the whole item: tag, bstr header, content
	Inner []byte // the embedded CBOR
}

func newTagged24(v any) (tagged24, error) {
	inner, err := cb.enc.Marshal(v)
	if err != nil {
		return tagged24{}, fmt.Errorf("encode embedded cbor: %w", err)
	}
	raw, err := cb.enc.Marshal(cbor.Tag{Number: 24, Content: inner})
	if err != nil {
		return tagged24{}, fmt.Errorf("encode tag 24: %w", err)
	}
	return tagged24{Raw: raw, Inner: inner}, nil
}

func (t tagged24) MarshalCBOR() ([]byte, error) {
	if t.Raw == nil {
		return nil, errors.New("empty tag 24 item")
	}
	return t.Raw, nil
}

func (t *tagged24) UnmarshalCBOR(data []byte) error {
	var rt cbor.RawTag
	if err := cb.dec.Unmarshal(data, &rt); err != nil {
		return err
	}
	if rt.Number != 24 {
		return fmt.Errorf("want tag 24, got tag %d", rt.Number)
	}
	if len(rt.Content) == 0 || rt.Content[0]>>5 != 2 {
		return errors.New("tag 24 content is not a byte string")
	}
	var inner []byte
	if err := cb.dec.Unmarshal(rt.Content, &inner); err != nil {
		return err
	}
	t.Raw = bytes.Clone(data)
	t.Inner = inner
	return nil
}

// FullDate is an ISO 18013-5 full-date (#6.1004(tstr), "YYYY-MM-DD"), the
// encoding of birth_date.
type FullDate string

func (d FullDate) MarshalCBOR() ([]byte, error) {
	return cb.enc.Marshal(cbor.Tag{Number: 1004, Content: string(d)})
}

// The wire structures, ISO/IEC 18013-5 §8.3.2.1.2.2 and §9.1.2.4.

type deviceResponse struct {
	Version   string     `cbor:"version"`
	Documents []document `cbor:"documents,omitempty"`
	Status    uint64     `cbor:"status"`
}

type document struct {
	DocType      string        `cbor:"docType"`
	IssuerSigned issuerSigned  `cbor:"issuerSigned"`
	DeviceSigned *deviceSigned `cbor:"deviceSigned,omitempty"`
}

type issuerSigned struct {
	NameSpaces map[string][]tagged24 `cbor:"nameSpaces,omitempty"`
	IssuerAuth cbor.RawMessage       `cbor:"issuerAuth"`
}

type deviceSigned struct {
	NameSpaces tagged24   `cbor:"nameSpaces"`
	DeviceAuth deviceAuth `cbor:"deviceAuth"`
}

type deviceAuth struct {
	DeviceSignature cbor.RawMessage `cbor:"deviceSignature,omitempty"`
	DeviceMac       cbor.RawMessage `cbor:"deviceMac,omitempty"`
}

type issuerSignedItem struct {
	DigestID          uint64 `cbor:"digestID"`
	Random            []byte `cbor:"random"`
	ElementIdentifier string `cbor:"elementIdentifier"`
	ElementValue      any    `cbor:"elementValue"`
}

type mobileSecurityObject struct {
	Version         string                       `cbor:"version"`
	DigestAlgorithm string                       `cbor:"digestAlgorithm"`
	ValueDigests    map[string]map[uint64][]byte `cbor:"valueDigests"`
	DeviceKeyInfo   deviceKeyInfo                `cbor:"deviceKeyInfo"`
	DocType         string                       `cbor:"docType"`
	ValidityInfo    validityInfo                 `cbor:"validityInfo"`
}

type deviceKeyInfo struct {
	DeviceKey cbor.RawMessage `cbor:"deviceKey"`
}

type validityInfo struct {
	Signed     time.Time `cbor:"signed"`
	ValidFrom  time.Time `cbor:"validFrom"`
	ValidUntil time.Time `cbor:"validUntil"`
}
