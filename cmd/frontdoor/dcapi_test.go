package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// dcAPIConfig is openID4VPConfig trusting a fresh demo IACA for mDLs; it
// returns the wallet holding an mDL from that IACA.
func dcAPIConfig(t *testing.T) (string, wallet.Wallet) {
	t.Helper()
	yaml, _ := openID4VPConfig(t)
	iaca, err := mdoc.NewDemoIACA()
	if err != nil {
		t.Fatal(err)
	}
	anchor := filepath.Join(t.TempDir(), "iaca.pem")
	if err := os.WriteFile(anchor, iaca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml = strings.Replace(yaml, "identity: { mode: offer,", fmt.Sprintf("identity: { mode: offer, mdoc_trust_anchors: [%q],", anchor), 1)
	ds, err := mdoc.NewDocumentSigner(iaca)
	if err != nil {
		t.Fatal(err)
	}
	mdl, err := wallet.IssueMdoc(ds, wallet.MdocParams{IssuedAt: time.Now().Add(-time.Minute),
		Claims: map[string]any{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}})
	if err != nil {
		t.Fatal(err)
	}
	return yaml, mdl
}

// fetch GETs a URL and reads the whole answer.
func fetch(t *testing.T, ctx context.Context, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// dcAnswer is the browser's part, done in Go: GET the page's dc_request,
// hand it with the page's origin to the Go wallet, return its answer.
func dcAnswer(t *testing.T, ctx context.Context, n *testNode, v webrtctest.Msg, origin string, w wallet.Wallet) []byte {
	t.Helper()
	resp, raw := fetch(t, ctx, n.HTTP+v.DCRequest)
	var dr openid4vp.DCRequest
	if err := json.Unmarshal(raw, &dr); err != nil || resp.StatusCode != http.StatusOK || dr.Protocol != openid4vp.ProtocolSigned {
		t.Fatalf("GET %s: %d %s: %v", v.DCRequest, resp.StatusCode, raw, err)
	}
	// The node's own chain is not in a wallet's trust list here; the
	// signature and x509_hash binding are still checked.
	wr, err := openid4vp.ResolveDC(dr, origin, openid4vp.Trust{SkipRootTrust: true})
	if err != nil {
		t.Fatalf("wallet refused the request for %s: %v", origin, err)
	}
	body, err := wr.AnswerDC(w, openid4vp.AnswerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// A citizen on the web caller page verifies through the Digital
// Credentials API, with the page's routes on a real node: the
// verification message names dc_request and dc_response, the answer is
// posted with the page's Origin, and the page hears verified, for an
// SD-JWT PID and an mDL. The same answer from another origin is refused.
func TestWebCallerDCAPI(t *testing.T) {
	yaml, mdl := dcAPIConfig(t)
	n := startNode(t, yaml)
	ctx := timeout(t, 60*time.Second)
	verify := func(t *testing.T) (*webrtctest.Page, webrtctest.Msg) {
		page, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { page.Close() })
		if _, err := page.Next(ctx, "hello"); err != nil {
			t.Fatal(err)
		}
		page.Send(ctx, map[string]string{"type": "verify"})
		v, err := page.Next(ctx, "verification")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(v.DCRequest, "/dc-request") || !strings.HasSuffix(v.DCResponse, "/dc-response") {
			t.Fatalf("verification message %+v", v)
		}
		return page, v
	}
	// The page is served from identity.public_url, so its origin is n.HTTP.
	pageOrigin := n.HTTP
	for _, f := range []struct {
		name string
		w    wallet.Wallet
	}{{"dcapi-sdjwt", demoWallet(t)}, {"dcapi-mdoc", mdl}} {
		t.Run(f.name, func(t *testing.T) {
			page, v := verify(t)
			res, err := openid4vp.PostDC(ctx, http.DefaultClient, n.HTTP+v.DCResponse, pageOrigin, dcAnswer(t, ctx, n, v, pageOrigin, f.w))
			if err != nil || res.Status != http.StatusOK {
				t.Fatalf("dc-response: %v %d %s", err, res.Status, res.Body)
			}
			got, err := page.Next(ctx, "verified")
			if err != nil || got.Claims["given_name"] != "Minji" || got.Claims["birthdate"] != "1990-05-17" {
				t.Fatalf("page: %+v %v", got, err)
			}
		})
	}
	t.Run("posted from another origin", func(t *testing.T) {
		_, v := verify(t)
		res, err := openid4vp.PostDC(ctx, http.DefaultClient, n.HTTP+v.DCResponse, "https://evil.example",
			dcAnswer(t, ctx, n, v, pageOrigin, demoWallet(t)))
		if err != nil || res.Status != http.StatusBadRequest || !strings.Contains(string(res.Body), `"origin_not_expected"`) {
			t.Fatalf("dc-response from another origin: %v %d %s", err, res.Status, res.Body)
		}
	})
	m := n.scrape(t)
	for _, want := range []string{
		`frontdoor_identity_verifications_total{method="dcapi-sdjwt",result="verified"} 1`,
		`frontdoor_identity_verifications_total{method="dcapi-mdoc",result="verified"} 1`,
		`frontdoor_identity_verifications_total{method="dcapi-sdjwt",result="origin_not_expected"} 1`,
		`frontdoor_identity_verifications_total{method="dcapi-mdoc",result="wrong_origin"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(m, "dcapi"))
		}
	}
}
