package mdoc

import (
	"testing"
)

func TestVerifyHappyPath(t *testing.T) {
	f := newFixture(t)
	resp := f.present(t, f.doc, f.holder, f.tr, f.req)
	res, err := Verify(resp, f.opts())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := map[string]string{"given_name": "Erika", "family_name": "Mustermann", "birth_date": "1971-09-01"}
	if len(res.Claims) != len(want) {
		t.Errorf("claims %v, want %v", res.Claims, want)
	}
	for k, v := range want {
		if res.Claims[k] != v {
			t.Errorf("claim %s = %q, want %q", k, res.Claims[k], v)
		}
	}
	if res.DocType != DocTypeMDL || res.Issuer != f.ds.Cert.Subject.String() {
		t.Errorf("doctype %q issuer %q", res.DocType, res.Issuer)
	}
}
