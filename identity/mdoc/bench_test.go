package mdoc

import (
	"testing"
)

// BenchmarkVerifyDeviceResponse verifies one three-element mDL
// presentation per op: x5chain to the IACA, two ES256 signatures, three
// digests. Run with -cpu 1 for the per-core figure.
func BenchmarkVerifyDeviceResponse(b *testing.B) {
	f := newFixture(b)
	resp := f.present(b, f.doc, f.holder, f.tr, f.req)
	opts := f.opts()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Verify(resp, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}
