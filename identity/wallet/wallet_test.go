package wallet

import (
	"context"
	"crypto"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
)

func TestNewKeyKidIsThumbprint(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		k, err := NewKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		pub := k.Public()
		tp, _ := pub.Thumbprint(crypto.SHA256)
		if k.KeyID != base64.RawURLEncoding.EncodeToString(tp) || k.IsPublic() || k.Algorithm != alg {
			t.Fatalf("%s key %+v", alg, k)
		}
		if set := PublicSet(k); len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].KeyID != k.KeyID {
			t.Fatalf("public set %+v", set)
		}
	}
	if _, err := NewKey("RS256"); err == nil {
		t.Fatal("RS256 key made")
	}
}

func TestWalletFileRoundTrip(t *testing.T) {
	issuer, _ := NewKey("ES256")
	w, err := Issue(issuer, IssueParams{Issuer: "https://id.example", IssuedAt: time.Now(), Claims: map[string]any{"given_name": "Minji"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.json")
	if err := w.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("wallet file mode %v, want 0600 (it holds the holder's private key)", fi.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Credential != w.Credential || got.VCT != DefaultVCT || got.HolderKey.IsPublic() {
		t.Fatalf("loaded %+v", got)
	}
	pres, err := got.Present([]string{"given_name"}, "n", "a", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := sdjwt.Split(pres); err != nil || p.KBJWT == "" || len(p.Disclosures) != 1 {
		t.Fatalf("presentation %q: %v", pres, err)
	}
	// A wallet with only the public half cannot present: refused at load.
	w.HolderKey = w.HolderKey.Public()
	w.Save(path)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "private holder key") {
		t.Fatalf("public-key wallet loaded: %v", err)
	}
}

func TestClientReportsNonJSONAnswers(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gateway exploded", http.StatusBadGateway)
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	c := Client{Server: srv.URL}
	_, err = c.Submit(context.Background(), "s", "x~")
	if err == nil || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "gateway exploded") {
		t.Fatalf("Submit: %v", err)
	}
	if _, err := c.Lookup(context.Background(), "123456"); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("Lookup: %v", err)
	}
}
