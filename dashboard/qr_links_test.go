package dashboard

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"image/png"
	"math/big"
	"net/url"
	"testing"

	"github.com/frontdoor-project/frontdoor/internal/qrscan"
)

// randomWalletLink is a link as the verifier makes it: a random
// x509_hash client_id, an ephemeral port and a random session id.
func randomWalletLink(t *testing.T) string {
	t.Helper()
	hash, id := make([]byte, 32), make([]byte, 16)
	port, err := rand.Int(rand.Reader, big.NewInt(61000-32768))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(hash); err != nil {
		t.Fatal(err)
	}
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	reqURI := fmt.Sprintf("http://127.0.0.1:%d/api/v1/identity/sessions/%s/request",
		32768+port.Int64(), base64.RawURLEncoding.EncodeToString(id))
	return "openid4vp://?client_id=" + url.QueryEscape("x509_hash:"+base64.RawURLEncoding.EncodeToString(hash)) +
		"&request_uri=" + url.QueryEscape(reqURI)
}

// Every wallet link's QR code reads back as that link, with the decoder
// the browser test uses: the flake was about 1 link in 80.
func TestWalletQRDecodesRandomLinks(t *testing.T) {
	const n = 250
	failed := 0
	for i := 0; i < n; i++ {
		link := randomWalletLink(t)
		b, err := walletQRPNG(link)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, err := qrscan.Decode(img)
		if err != nil || got != link {
			failed++
			if failed <= 3 {
				t.Errorf("%s: read %q, %v", link, got, err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d QR codes did not read back", failed, n)
	}
}
