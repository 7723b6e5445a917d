package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// fdwallet verifier-cert makes the chain, fdwallet present -link answers a
// real verifier over HTTP with it, trusting the demo root.
func TestPresentLink(t *testing.T) {
	dir := t.TempDir()
	cert, key, root := filepath.Join(dir, "v.pem"), filepath.Join(dir, "v.key"), filepath.Join(dir, "root.pem")
	var out bytes.Buffer
	if err := run([]string{"verifier-cert", "-out-cert", cert, "-out-key", key, "-out-root", root}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "x509_hash:") {
		t.Fatalf("verifier-cert printed %q", out.String())
	}
	walletPath, issuerKey := pidWalletFile(t)
	svc, err := identity.NewService(identity.ServiceConfig{VerifierID: "https://frontdoor.example",
		Issuers: []identity.IssuerKeys{{Issuer: demoIss, Keys: wallet.PublicSet(issuerKey.Public())}}})
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := openid4vp.LoadChain(cert)
	priv, _ := openid4vp.LoadKey(key)

	var v *openid4vp.Verifier
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/identity/sessions/{id}/request", func(rw http.ResponseWriter, r *http.Request) {
		jwt, err := v.RequestObject(r.PathValue("id"))
		if err != nil {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/oauth-authz-req+jwt")
		rw.Write(jwt)
	})
	mux.HandleFunc("POST /api/v1/identity/sessions/{id}/response", func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if err := v.HandleResponse(r.Context(), r.PathValue("id"), r.PostForm); err != nil {
			rw.WriteHeader(http.StatusBadRequest)
			rw.Write([]byte(`{"error":"` + openid4vp.RefusalBody(err).Error + `"}`))
			return
		}
		rw.Write([]byte(`{}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if v, err = openid4vp.New(openid4vp.Config{Service: svc, PublicURL: srv.URL, Chain: chain, Key: priv}); err != nil {
		t.Fatal(err)
	}
	sess, err := svc.NewSession("c-1")
	if err != nil {
		t.Fatal(err)
	}
	offer, err := v.Open(sess)
	if err != nil {
		t.Fatal(err)
	}
	// Without a trust decision the wallet refuses to go on.
	if err := run([]string{"present", "-wallet", walletPath, "-link", offer.WalletURL}, &out); err == nil {
		t.Fatal("present -link without -trust-root or -insecure-skip-root-trust went on")
	}
	out.Reset()
	if err := run([]string{"present", "-wallet", walletPath, "-link", offer.WalletURL, "-trust-root", root}, &out); err != nil {
		t.Fatalf("present -link: %v (%s)", err, out.String())
	}
	if strings.TrimSpace(out.String()) != "{}" {
		t.Fatalf("printed %q", out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	claims, err := svc.Wait(ctx, sess.ID)
	if err != nil || claims["family_name"] != "Kim" {
		t.Fatalf("claims %v, %v", claims, err)
	}
	if u, _ := url.Parse(offer.WalletURL); u.Scheme != "openid4vp" || u.Query().Get("client_id") != openid4vp.ClientID(chain[0]) {
		t.Fatalf("wallet_url %q", offer.WalletURL)
	}
}
