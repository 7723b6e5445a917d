package agents

import (
	"crypto/sha256"
	"testing"
)

// TestBcryptPassword: a bcrypt password logs in over HTTP; SIP digest gets
// an HA1 only from sip_ha1; a malformed bcrypt hash never logs in.
func TestBcryptPassword(t *testing.T) {
	h, err := HashPasswordBcrypt("secret")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDirectory([]Profile{
		{ID: "a", Role: RoleAgent, PasswordHash: h},
		{ID: "b", Role: RoleAgent, PasswordHash: h, SIPHA1: HashPassword("b", "frontdoor", "secret")},
		{ID: "c", Role: RoleAgent, PasswordHash: "$2a$12$broken"},
	})
	if !d.CheckPassword("a", "secret") || d.CheckPassword("a", "wrong") || d.CheckPassword("c", "secret") {
		t.Fatal("bcrypt login answers wrongly")
	}
	if _, ok := d.HA1("a", "frontdoor", AlgMD5); ok {
		t.Error("a bcrypt-only agent has an HA1")
	}
	if got, ok := d.HA1("b", "frontdoor", AlgSHA256); !ok || got != ha1Hex(sha256.New, "b", "frontdoor", "secret") {
		t.Errorf("sip_ha1 HA1 = %q %v", got, ok)
	}
	if CheckPasswordForm("$2a$04$"+"x") == nil || CheckPasswordForm(h) != nil {
		t.Error("CheckPasswordForm on bcrypt forms")
	}
}
