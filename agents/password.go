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
// plain text, a well-formed ha1 form, or a bcrypt hash of cost 10 or more.
func CheckPasswordForm(pw string) error {
	if pw == "" {
		return errors.New("password is empty")
	}
	if IsBcrypt(pw) {
		return checkBcryptForm(pw)
	}
	return CheckHA1Form(pw)
}

// CheckHA1Form says whether pw is plain text or a well-formed ha1 form (what
// sip_ha1 may hold must be the ha1 form: see IsHA1Form).
func CheckHA1Form(pw string) error {
	if !strings.HasPrefix(pw, ha1Prefix) {
		return nil
	}
	if _, _, err := splitHA1Form(pw); err != nil {
		return err
	}
	return nil
}

// IsHA1Form says whether pw has the ha1 prefix.
func IsHA1Form(pw string) bool { return strings.HasPrefix(pw, ha1Prefix) }

// IsPlain says whether a configured password is plain text (neither the ha1
// nor the bcrypt form).
func IsPlain(pw string) bool { return pw != "" && !IsHA1Form(pw) && !IsBcrypt(pw) }

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
