package mdoc

import (
	"testing"
)

// FuzzVerify feeds Verify arbitrary bytes, seeded with a valid response:
// whatever comes in, it must refuse (or verify) without panicking.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	good := fx.present(f, fx.doc, fx.holder, fx.tr, fx.req)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0xa0})
	opts := fx.opts()
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Verify(data, opts)
		if err == nil && res == nil {
			t.Fatal("no result and no error")
		}
		if err != nil {
			if _, ok := AsRefusal(err); !ok {
				t.Fatalf("error is not a Refusal: %v", err)
			}
		}
	})
}
