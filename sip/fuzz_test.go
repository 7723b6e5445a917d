package sip

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseCredentials: the Authorization header is the attacker's text. It must
// never panic, and what it accepts must carry the fields a digest check needs.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		`Digest username="1001", realm="frontdoor", nonce="abc", uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"`,
		`Digest username="a,b", realm="r", nonce="n", uri="u", response="r"`,
		`Digest nonsense`, `Basic dXNlcjpwYXNz`, `Digest ,,,,=,=",`, `Digest username="unterminated`,
		"Digest username=\"\x00\", nonce=\"\xff\", uri=u, response=r",
	} {
		f.Add(s)
	}
	nonces, err := NewNonces(time.Now)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseCredentials(h)
		if err != nil {
			return
		}
		if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" || c.Algorithm == "" {
			t.Fatalf("accepted %q without a needed field: %+v", h, c)
		}
		if c.Response != strings.ToLower(c.Response) {
			t.Fatalf("response not normalised: %q", c.Response)
		}
		if nonces.Check(c.Nonce) == nil {
			t.Fatalf("a nonce we never issued passed: %q", c.Nonce)
		}
		ExpectedResponse(c, "REGISTER", "0123456789abcdef0123456789abcdef")
	})
}
