package dashboard

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity"
	"github.com/frontdoor-project/frontdoor/internal/qrscan"
)

// fetchQR gets a session's QR code image: its status and, for a 200, the
// PNG's decoded content.
func fetchQR(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("content type %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx()%qrModulePx != 0 {
		t.Fatalf("QR image is %v, want a square of whole %d px modules", b, qrModulePx)
	}
	text, err := qrscan.Decode(img)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return resp.StatusCode, text
}

// The QR code of a live session is its wallet link; an unknown or expired
// session has none.
func TestOpenID4VPWalletQR(t *testing.T) {
	e := newOIDEnv(t, oidOptions{})
	id, wr := e.session(t)
	link := "openid4vp://?client_id=" + url.QueryEscape(wr.ClientID) +
		"&request_uri=" + url.QueryEscape(e.url+"/api/v1/identity/sessions/"+id+"/request")
	st, got := fetchQR(t, e.url+"/api/v1/identity/sessions/"+id+"/qr.png")
	if st != http.StatusOK || got != link {
		t.Fatalf("QR: status %d, content %q, want %q", st, got, link)
	}
	if st, _ := fetchQR(t, e.url+"/api/v1/identity/sessions/nope/qr.png"); st != http.StatusNotFound {
		t.Fatalf("unknown session: %d", st)
	}
	e.clock.advance(identity.DefaultTTL + time.Second)
	if st, _ := fetchQR(t, e.url+"/api/v1/identity/sessions/"+id+"/qr.png"); st != http.StatusNotFound {
		t.Fatalf("expired session: %d", st)
	}
}
