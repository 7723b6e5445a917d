package sip

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
	"time"
)

// RFC 2617 §3.5 worked example (MD5, qop=auth) checks our response arithmetic.
func TestExpectedResponseRFC2617Example(t *testing.T) {
	c := DigestCredentials{Username: "Mufasa", Realm: "testrealm@host.com", Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		URI: "/dir/index.html", QOP: "auth", NC: "00000001", CNonce: "0a4f113b", Algorithm: "MD5"}
	sum := md5.Sum([]byte("Mufasa:testrealm@host.com:Circle Of Life"))
	got, err := ExpectedResponse(c, "GET", hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	if want := "6629fae49393a05397450978507c4ef1"; got != want {
		t.Fatalf("response %s, want %s", got, want)
	}
}

func TestParseCredentialsRefusals(t *testing.T) {
	for _, h := range []string{
		`Basic dXNlcjpwYXNz`,
		`Digest username="a", nonce="n", uri="sip:x"`, // no response
		`Digest username`,
		``,
	} {
		if _, err := ParseCredentials(h); err == nil {
			t.Errorf("ParseCredentials(%q) accepted", h)
		}
	}
	c, err := ParseCredentials(`Digest username="1001", realm="frontdoor", nonce="abc", uri="sip:127.0.0.1", response="DEAD", qop=auth, nc=00000001, cnonce="x,y", algorithm=SHA-256`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Username != "1001" || c.CNonce != "x,y" || c.Response != "dead" || c.Algorithm != "SHA-256" {
		t.Fatalf("parsed %+v", c)
	}
}

func TestNoncesStaleAndForged(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n, err := NewNonces(func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	nonce := n.Issue()
	if err := n.Check(nonce); err != nil {
		t.Fatalf("fresh nonce refused: %v", err)
	}
	other, _ := NewNonces(func() time.Time { return now })
	if err := other.Check(nonce); err != errNonceInvalid {
		t.Fatalf("nonce from another key: %v, want invalid", err)
	}
	if err := n.Check("garbage"); err != errNonceInvalid {
		t.Fatalf("garbage: %v", err)
	}
	now = now.Add(nonceLife + time.Second)
	if err := n.Check(nonce); err != errNonceStale {
		t.Fatalf("old nonce: %v, want stale", err)
	}
}
