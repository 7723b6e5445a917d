package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/digitalcredentials"
	"github.com/chromedp/chromedp"

	"github.com/frontdoor-project/frontdoor/identity/openid4vp"
	"github.com/frontdoor-project/frontdoor/internal/netns"
	"github.com/frontdoor-project/frontdoor/internal/qrscan"
	"github.com/frontdoor-project/frontdoor/webrtc"
	"github.com/frontdoor-project/frontdoor/webrtc/webrtctest"
)

// openID4VPConfig is identityConfig with OpenID4VP on: a demo verifier
// chain made for the test, and an HTTP port fixed in advance because
// request_uri is built under identity.public_url. It also returns the
// chain's root, which the test's wallet trusts.
func openID4VPConfig(t *testing.T) (yaml string, roots *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	cert, key, root := filepath.Join(dir, "v.pem"), filepath.Join(dir, "v.key"), filepath.Join(dir, "root.pem")
	if err := openid4vp.DemoChain(cert, key, root, "frontdoor test verifier", time.Now()); err != nil {
		t.Fatal(err)
	}
	rootCerts, err := openid4vp.LoadChain(root)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	for _, c := range rootCerts {
		roots.AddCert(c)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	yaml = identityConfig(t, "offer")
	yaml = strings.Replace(yaml, `http: "127.0.0.1:0"`, fmt.Sprintf("http: %q", addr), 1)
	yaml = strings.Replace(yaml, "identity: { mode: offer,", fmt.Sprintf(
		"identity: { mode: offer, public_url: %q, verifier_cert_file: %q, verifier_key_file: %q,", "http://"+addr, cert, key), 1)
	if !strings.Contains(yaml, "verifier_key_file") || !strings.Contains(yaml, addr) {
		t.Fatalf("config not rewritten:\n%s", yaml)
	}
	return yaml, roots
}

// With OpenID4VP on, the caller page's verification message carries the
// session's wallet link, request_uri and QR path (pages in Go, no browser).
func TestWebVerificationOpenID4VP(t *testing.T) {
	yaml, _ := openID4VPConfig(t)
	n := startNode(t, yaml)
	ctx := timeout(t, 30*time.Second)
	page, err := webrtctest.Dial(ctx, n.HTTP, "/api/v1/ws/call", "")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	if _, err := page.Next(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	page.Send(ctx, map[string]string{"type": "verify"})
	v, err := page.Next(ctx, "verification")
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ ID string }
	if code := n.api(t, "GET", "/api/v1/identity/codes/"+v.Code, nil, &sess); code != http.StatusOK {
		t.Fatalf("the code stays as the fallback: HTTP %d", code)
	}
	wantReq := n.HTTP + openid4vp.SessionsPath + sess.ID + openid4vp.RequestPath
	if v.RequestURI != wantReq || !strings.HasSuffix(v.WalletURL, "&request_uri="+url.QueryEscape(wantReq)) ||
		v.QR != webrtc.QRPath(sess.ID) {
		t.Fatalf("verification %+v, session %s", v, sess.ID)
	}
}

// decodeQR fetches a QR code image, checks it is a PNG of size px, and
// reads it back as a wallet's camera would.
func decodeQR(t *testing.T, ctx context.Context, url string, px int) string {
	t.Helper()
	resp, body := fetch(t, ctx, url)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != px || b.Dy() != px {
		t.Fatalf("QR code is %v, want %dx%d", b, px, px)
	}
	text, err := qrscan.Decode(img)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return text
}

// A citizen on the web page starts a verification with OpenID4VP on: the
// page shows an "Open my ID wallet" link and a QR code of the same
// openid4vp:// link (a real PNG that decodes), the link's request_uri
// resolves to a signed request object, and a Go wallet answering the link
// makes the page say verified. The 6-digit code stays for the demo wallet.
func TestBrowserCallerOpenID4VPWallet(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	yaml, roots := openID4VPConfig(t)
	n := startNode(t, yaml)
	browser := chromiumWithMic(t)
	caller := tab(t, browser, 600)
	ctx := timeout(t, 2*time.Minute)

	qrLoaded := `(() => { const i = document.querySelector("#wallet-qr"); return i.complete && i.naturalWidth > 0 })()`
	err := chromedp.Do(caller,
		chromedp.Navigate(n.HTTP+"/call"),
		poll(`!document.querySelector("#verify-box").hidden`),
		chromedp.Click(chromedp.CSS("#verify")),
		poll(`!document.querySelector("#wallet").hidden`),
		poll(qrLoaded),
		poll(text("#verify-code")+`.includes("enter this code")`),
	)
	if err != nil {
		t.Fatalf("caller page verification: %v", err)
	}
	type shown struct {
		Href, QR   string
		QRWidth    int
		OpenText   string
		DCTypeof   string
		DCBtnShown bool
	}
	got, err := chromedp.Run(caller, chromedp.Evaluate[shown](`(() => {
		const a = document.querySelector("#wallet-open"), q = document.querySelector("#wallet-qr");
		return { Href: a.getAttribute("href"), QR: q.getAttribute("src"), QRWidth: q.naturalWidth,
			OpenText: a.textContent, DCTypeof: typeof window.DigitalCredential,
			DCBtnShown: !document.querySelector("#wallet-dc").hidden };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page: link %s, QR %s (%d px wide), DigitalCredential: %s", got.Href, got.QR, got.QRWidth, got.DCTypeof)
	if !strings.HasPrefix(got.Href, "openid4vp://?client_id=x509_hash%3A") || got.OpenText != "Open my ID wallet" {
		t.Fatalf("open-wallet link %q %q", got.OpenText, got.Href)
	}
	if got.QRWidth <= 0 {
		t.Fatalf("QR image did not load (naturalWidth %d)", got.QRWidth)
	}
	// The QR code carries exactly the link the button opens.
	if link := decodeQR(t, ctx, n.HTTP+got.QR, got.QRWidth); link != got.Href {
		t.Fatalf("QR code says %q, the link is %q", link, got.Href)
	}
	// request_uri answers the signed request object.
	wr, err := openid4vp.ResolveLink(ctx, http.DefaultClient, got.Href, openid4vp.Trust{Roots: roots})
	if err != nil {
		t.Fatalf("resolve the page's link: %v", err)
	}
	reqURI := n.HTTP + openid4vp.SessionsPath
	if !strings.HasPrefix(wr.ResponseURI, reqURI) || wr.ResponseMode != openid4vp.ModeDirectPostJWT {
		t.Fatalf("request object: response_uri %q, mode %q", wr.ResponseURI, wr.ResponseMode)
	}
	checkRequestURI(t, ctx, got.Href)
	screenshots(t, map[string]context.Context{"webrtc-caller-wallet.png": caller})

	// The Go wallet answers the link (as fdwallet present -link does).
	res, err := openid4vp.PresentLink(ctx, http.DefaultClient, got.Href, demoWallet(t),
		openid4vp.Trust{Roots: roots}, openid4vp.AnswerOptions{})
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("wallet answer: %v %d %s", err, res.Status, res.Body)
	}
	err = chromedp.Do(caller,
		poll(text("#verified")+`.startsWith("Verified: Minji Kim")`),
		poll(`document.querySelector("#wallet").hidden`),
	)
	if err != nil {
		t.Fatalf("page never said verified: %v", err)
	}
	// An answered session's QR code is gone.
	resp, err := http.Get(n.HTTP + got.QR)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("QR code of an answered session: %d", resp.StatusCode)
	}

	t.Run("dc_api", func(t *testing.T) {
		if got.DCTypeof == "undefined" {
			// Debian's Chromium 156 has it; an older one would not.
			if os.Getenv("CI") == "true" {
				t.Fatal("Chromium has no Digital Credentials API (window.DigitalCredential) and CI=true")
			}
			t.Skip("SKIP: needs a Chromium with the Digital Credentials API")
		}
		dcAPIPage(t, ctx, n, tab(t, browser, 600))
		dcAPIDeclined(t, n, tab(t, browser, 600))
	})
}

// dcAPIPage presses the page's "Use the ID in my browser" button in a
// fresh page and checks that the citizen ends verified.
//
// What is real: the page's code (call.wallet.js) fetching dc-request,
// Chromium's own navigator.credentials.get with the page's request and
// user activation from the click, the DigitalCredential it resolves, the
// page posting it to dc-response with the Origin header Chromium sets,
// and the server's checks (origin in expected_origins, KB-JWT aud
// origin:<page origin>).
//
// What is stood in for: the OS wallet selector and the wallet app behind
// it, which this headless Chromium does not have. Chromium's DevTools
// virtual wallet (DigitalCredentials.setVirtualWalletBehavior) answers in
// their place with what the Go wallet (identity/openid4vp ResolveDC +
// AnswerDC, for the page's origin) made from the same session's request;
// the test checks that the request the page passed to the browser is that
// request (same nonce and encryption key).
func dcAPIPage(t *testing.T, ctx context.Context, n *testNode, page context.Context) {
	// Record what the page asks and how its post is answered, then let
	// Chromium's own API and fetch run.
	recorder := `(() => {
		const get = navigator.credentials.get.bind(navigator.credentials);
		navigator.credentials.get = (opts) => { window.__dcAsked = JSON.stringify(opts); return get(opts); };
		const f = window.fetch.bind(window);
		window.fetch = async (url, init) => {
			const r = await f(url, init);
			if (String(url).endsWith("/dc-response")) window.__dcPosted = r.status;
			return r;
		};
		return true;
	})()`
	openDCButton(t, n, page)
	if _, err := chromedp.Run(page, chromedp.Evaluate[bool](recorder)); err != nil {
		t.Fatal(err)
	}
	qr, err := chromedp.Run(page, chromedp.Evaluate[string](`document.querySelector("#wallet-qr").getAttribute("src")`))
	if err != nil {
		t.Fatal(err)
	}
	// The wallet's side, for the page's origin (the page is served from
	// identity.public_url, so its origin is n.HTTP).
	sessionPath := strings.TrimSuffix(qr, "/qr.png")
	v := webrtctest.Msg{DCRequest: sessionPath + openid4vp.DCRequestPath}
	answer := dcAnswer(t, ctx, n, v, n.HTTP, demoWallet(t))
	var cred openid4vp.DCResponse
	if err := json.Unmarshal(answer, &cred); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(page, digitalcredentials.SetVirtualWalletBehavior, digitalcredentials.SetVirtualWalletBehaviorParams{
		Action: digitalcredentials.VirtualWalletActionRespond, Protocol: cred.Protocol, Response: jsonv2.Value(cred.Data)}); err != nil {
		t.Fatalf("DevTools virtual wallet: %v", err)
	}
	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#wallet-dc")), poll(`!!window.__dcAsked`)); err != nil {
		t.Fatalf("the button did not call navigator.credentials.get: %v", err)
	}
	// The post's answer, then the page's: the metric below is counted
	// before dc-response answers, not before the page hears verified.
	err = chromedp.Do(page, poll(`window.__dcPosted === 200`), poll(text("#verified")+`.startsWith("Verified: Minji Kim")`))
	status, _ := chromedp.Run(page, chromedp.Text(chromedp.CSS("#wallet-dc-status")))
	if err != nil {
		t.Fatalf("page never said verified after the DC API answer (%q): %v", status, err)
	}
	t.Logf("page after the DC API answer: %q", status)
	checkAsked(t, page, n.HTTP, sessionPath)
	if m := n.scrape(t); !strings.Contains(m, `frontdoor_identity_verifications_total{method="dcapi-sdjwt",result="verified"} 1`) {
		t.Fatalf("the verification did not come over the DC API route:\n%s", grepLines(m, "dcapi"))
	}
}

// openDCButton loads the caller page and starts a verification, up to
// the Digital Credentials API button being shown.
func openDCButton(t *testing.T, n *testNode, page context.Context) {
	t.Helper()
	err := chromedp.Do(page,
		chromedp.Navigate(n.HTTP+"/call"),
		poll(`!document.querySelector("#verify-box").hidden`),
		chromedp.Click(chromedp.CSS("#verify")),
		poll(`!document.querySelector("#wallet").hidden && !document.querySelector("#wallet-dc").hidden`),
	)
	if err != nil {
		t.Fatalf("DC API button not shown: %v", err)
	}
}

// dcAPIDeclined: the citizen closes the browser's wallet picker (the
// DevTools virtual wallet declines); the page says so and offers the other
// ways, and the session stays open for them.
func dcAPIDeclined(t *testing.T, n *testNode, page context.Context) {
	openDCButton(t, n, page)
	if _, err := chromedp.Call(page, digitalcredentials.SetVirtualWalletBehavior, digitalcredentials.SetVirtualWalletBehaviorParams{
		Action: digitalcredentials.VirtualWalletActionDecline}); err != nil {
		t.Fatalf("DevTools virtual wallet: %v", err)
	}
	err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#wallet-dc")),
		poll(text("#wallet-dc-status")+`.includes("Use the link, the QR code or the code instead")`),
		poll(`!document.querySelector("#wallet").hidden`))
	status, _ := chromedp.Run(page, chromedp.Text(chromedp.CSS("#wallet-dc-status")))
	if err != nil {
		t.Fatalf("declined picker: page says %q: %v", status, err)
	}
	t.Logf("page after a declined picker: %q", status)
}

// checkAsked checks the page passed the session's own DC API request to
// navigator.credentials.get: signed, with the nonce and encryption key of
// the request the Go wallet answered.
func checkAsked(t *testing.T, page context.Context, origin, sessionPath string) {
	t.Helper()
	asked, err := chromedp.Run(page, chromedp.Evaluate[string](`window.__dcAsked`))
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Digital struct {
			Requests []openid4vp.DCRequest `json:"requests"`
		} `json:"digital"`
	}
	if err := json.Unmarshal([]byte(asked), &opts); err != nil || len(opts.Digital.Requests) != 1 {
		t.Fatalf("credentials.get options %s: %v", asked, err)
	}
	fromPage, err := openid4vp.ResolveDC(opts.Digital.Requests[0], origin, openid4vp.Trust{SkipRootTrust: true})
	if err != nil {
		t.Fatalf("the request the page passed: %v", err)
	}
	resp, raw := fetch(t, context.Background(), origin+sessionPath+openid4vp.DCRequestPath)
	var dr openid4vp.DCRequest
	if err := json.Unmarshal(raw, &dr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("dc-request after the answer: %d %s", resp.StatusCode, raw)
	}
	fromServer, err := openid4vp.ResolveDC(dr, origin, openid4vp.Trust{SkipRootTrust: true})
	if err != nil {
		t.Fatal(err)
	}
	if fromPage.Protocol != openid4vp.ProtocolSigned || fromPage.Nonce != fromServer.Nonce ||
		fromPage.EncKey.KeyID != fromServer.EncKey.KeyID || fromPage.ResponseMode != openid4vp.ModeDCAPIJWT {
		t.Fatalf("page asked %+v, the session's request is %+v", fromPage, fromServer)
	}
}

// checkRequestURI GETs the link's request_uri as a wallet does and checks
// the media type of the request object.
func checkRequestURI(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Query().Get("request_uri"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/oauth-authz-req+jwt" {
		t.Fatalf("GET request_uri: %d %q", resp.StatusCode, ct)
	}
}
