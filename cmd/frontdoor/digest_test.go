package main

import (
	"crypto/md5"
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

// digestMD5 builds an MD5 Authorization value by hand; qop "" leaves qop, nc and
// cnonce out (RFC 2069 style), for the replay tests.
func digestMD5(user, password, realm, nonce, method, uri, qop, nc string) string {
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := h(user + ":" + realm + ":" + password)
	ha2 := h(method + ":" + uri)
	if qop == "" {
		return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5`,
			user, realm, nonce, uri, h(ha1+":"+nonce+":"+ha2))
	}
	resp := h(ha1 + ":" + nonce + ":" + nc + ":c0ffee:" + qop + ":" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=%s, nc=%s, cnonce="c0ffee"`,
		user, realm, nonce, uri, resp, qop, nc)
}
