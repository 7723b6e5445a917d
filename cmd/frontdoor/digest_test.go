package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// digestSHA256 builds an RFC 8760 SHA-256 Authorization value, independently of
// the server's code, for the refusal tests.
func digestSHA256(user, password, realm, nonce, method, uri string) string {
	h := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := h(user + ":" + realm + ":" + password)
	ha2 := h(method + ":" + uri)
	resp := h(ha1 + ":" + nonce + ":00000001:abcdef:auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abcdef"`,
		user, realm, nonce, uri, resp)
}
