package agents

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// A bcrypt password ("$2a$", "$2b$" or "$2y$" + cost + salt and hash, as
// htpasswd -B and HashPasswordBcrypt make it) serves the HTTP login only:
// SIP digest needs the HA1 of the password, which a slow hash cannot give.
// An agent with a bcrypt password that also registers a SIP phone gives
// its HA1 separately (Profile.SIPHA1, config sip_ha1, the ha1 form).

// BcryptCost is the cost HashPasswordBcrypt uses.
const BcryptCost = 12

// IsBcrypt says whether pw is a bcrypt hash ($2a$, $2b$, $2y$).
func IsBcrypt(pw string) bool {
	return strings.HasPrefix(pw, "$2a$") || strings.HasPrefix(pw, "$2b$") || strings.HasPrefix(pw, "$2y$")
}

// HashPasswordBcrypt gives the bcrypt form of pw for the config's password.
func HashPasswordBcrypt(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(h), nil
}

func checkBcryptForm(pw string) error {
	cost, err := bcrypt.Cost([]byte(pw))
	if err != nil {
		return errors.New("bcrypt password is malformed: make it with `frontdoor hash-password -bcrypt` or `htpasswd -nB`")
	}
	if cost < 10 {
		return fmt.Errorf("bcrypt cost %d is too cheap; use 10 or more", cost)
	}
	return nil
}

// dummyBcrypt is a bcrypt hash of a random password, compared against for
// logins that have no bcrypt hash of their own (unknown ids, plain and ha1
// passwords), so every login costs one bcrypt comparison.
func dummyBcrypt() []byte {
	var pw [16]byte
	_, _ = rand.Read(pw[:])
	h, err := bcrypt.GenerateFromPassword(pw[:], bcrypt.DefaultCost)
	if err != nil {
		panic(fmt.Sprintf("agents: bcrypt of 16 bytes: %v", err)) // only for a password over 72 bytes
	}
	return h
}
