package agents

import (
	"crypto/md5" //nolint:gosec // RFC 2617/8760 digest needs MD5 HA1
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// The hashed password form serves both SIP digest (MD5 and SHA-256 HA1) and
// HTTP login, so it is the two HA1 values of "id:realm:password":
//
//	ha1:<md5hex>:<sha256hex>
//
// It is bound to the id and realm it was made for.
const ha1Prefix = "ha1:"

// Digest algorithms HA1 answers for (RFC 8760 names).
const (
	AlgMD5    = "MD5"
	AlgSHA256 = "SHA-256"
)

// HashPassword gives the ha1 form of pw for agent id in realm, for configs
// that should not hold plain passwords.
func HashPassword(id, realm, pw string) string {
	return ha1Prefix + ha1Hex(md5.New, id, realm, pw) + ":" + ha1Hex(sha256.New, id, realm, pw)
}

// CheckPasswordForm says whether a configured password is usable: non-empty
// plain text, or a well-formed ha1 form.
func CheckPasswordForm(pw string) error {
	if pw == "" {
		return errors.New("password is empty")
	}
	if !strings.HasPrefix(pw, ha1Prefix) {
		return nil
	}
	if _, _, err := splitHA1Form(pw); err != nil {
		return err
	}
	return nil
}

// splitHA1Form returns the lower-case hex MD5 and SHA-256 HA1 of an ha1 form.
func splitHA1Form(pw string) (md5hex, sha256hex string, err error) {
	m, s, ok := strings.Cut(strings.TrimPrefix(pw, ha1Prefix), ":")
	if !ok || !isHex(m, md5.Size) || !isHex(s, sha256.Size) {
		return "", "", fmt.Errorf("hashed password must be ha1:<32 hex digits of MD5>:<64 hex digits of SHA-256> of \"id:realm:password\"")
	}
	return strings.ToLower(m), strings.ToLower(s), nil
}

func isHex(s string, size int) bool {
	if len(s) != 2*size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func ha1Hex(h func() hash.Hash, id, realm, pw string) string {
	d := h()
	d.Write([]byte(id + ":" + realm + ":" + pw))
	return hex.EncodeToString(d.Sum(nil))
}
