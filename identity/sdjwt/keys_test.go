package sdjwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"

	jose "github.com/go-jose/go-jose/v4"
)

// Test keys are made here rather than with the wallet package, which
// imports this one.
func genEC() (jose.JSONWebKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return jose.JSONWebKey{Key: k, KeyID: "ec-1"}, err
}

func genEd() (jose.JSONWebKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return jose.JSONWebKey{Key: k, KeyID: "ed-1"}, err
}
