package statuslist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"

	jose "github.com/go-jose/go-jose/v4"
)

func genTestKey() (jose.JSONWebKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return jose.JSONWebKey{Key: k, KeyID: "list-1"}, err
}
