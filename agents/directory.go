package agents

import (
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // digest HA1
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a person may do through the API.
type Role string

const (
	RoleAgent      Role = "agent"      // own state only
	RoleSupervisor Role = "supervisor" // any agent's state, all views
	RoleAdmin      Role = "admin"      // everything
)

var roleRank = map[Role]int{RoleAgent: 1, RoleSupervisor: 2, RoleAdmin: 3}

// ParseRole turns config text into a Role.
func ParseRole(s string) (Role, error) {
	if _, ok := roleRank[Role(s)]; ok {
		return Role(s), nil
	}
	return "", fmt.Errorf("unknown role %q (want agent, supervisor or admin)", s)
}

// AtLeast says whether r has every right of min (admin > supervisor > agent).
func (r Role) AtLeast(min Role) bool {
	return roleRank[r] > 0 && roleRank[r] >= roleRank[min]
}

// Profile is a person as configured.
type Profile struct {
	ID     string
	Name   string
	Role   Role
	Skills map[string]int // agency id -> level 1..10
	// PasswordHash is plain text, the ha1 form (see HashPassword; bound to
	// the directory's realm) or a bcrypt hash (HTTP login only).
	PasswordHash string
	// SIPHA1 is the ha1 form for SIP digest when PasswordHash is bcrypt;
	// otherwise ignored.
	SIPHA1 string
}

type entry struct {
	profile Profile
	login   []byte // SHA-256 of "id:realm:password"; nil = can never log in
	bcrypt  []byte // the bcrypt hash, for a bcrypt password (login is nil then)
	plain   string // kept only for plain passwords, which serve any realm
	md5HA1  string
	shaHA1  string
}

// Directory holds profiles by id and answers password questions so that an
// unknown user and a wrong password cost the same and look the same.
type Directory struct {
	realm   string
	entries map[string]entry
	order   []string
	nobody  []byte // stands in for an unknown user's login hash
	dummy   []byte // bcrypt hash compared against by logins without one
	fakeKey []byte // keys the stable fake HA1 of unknown users
}

// Option adjusts a Directory.
type Option func(*Directory)

// WithRealm sets the digest realm (config sip.realm) that ha1-form passwords
// were made for and HTTP logins are checked in. Default "frontdoor".
func WithRealm(realm string) Option { return func(d *Directory) { d.realm = realm } }

// NewDirectory indexes profiles by id (a later duplicate replaces an earlier
// one; config validation refuses duplicates). A malformed ha1 form can never
// log in.
func NewDirectory(profiles []Profile, opts ...Option) *Directory {
	d := &Directory{realm: "frontdoor", entries: make(map[string]entry, len(profiles))}
	for _, o := range opts {
		o(d)
	}
	d.nobody = randomBytes(sha256.Size)
	d.fakeKey = randomBytes(32)
	d.dummy = dummyBcrypt()
	for _, p := range profiles {
		p.Skills = maps.Clone(p.Skills)
		e := entry{profile: p}
		if IsBcrypt(p.PasswordHash) {
			if checkBcryptForm(p.PasswordHash) == nil {
				e.bcrypt = []byte(p.PasswordHash)
			}
			if m, s, err := splitHA1Form(p.SIPHA1); err == nil {
				e.md5HA1, e.shaHA1 = m, s
			}
		} else if strings.HasPrefix(p.PasswordHash, ha1Prefix) {
			if m, s, err := splitHA1Form(p.PasswordHash); err == nil {
				e.md5HA1, e.shaHA1 = m, s
				e.login, _ = hex.DecodeString(s)
			}
		} else if p.PasswordHash != "" {
			e.plain = p.PasswordHash
			sum := sha256.Sum256([]byte(p.ID + ":" + d.realm + ":" + p.PasswordHash))
			e.login = sum[:]
		}
		if _, dup := d.entries[p.ID]; !dup {
			d.order = append(d.order, p.ID)
		}
		d.entries[p.ID] = e
	}
	return d
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// Realm is the realm ha1-form passwords are bound to.
func (d *Directory) Realm() string { return d.realm }

// Get returns the profile with id.
func (d *Directory) Get(id string) (Profile, bool) {
	e, ok := d.entries[id]
	if !ok {
		return Profile{}, false
	}
	p := e.profile
	p.Skills = maps.Clone(p.Skills)
	return p, true
}

// All returns every profile in configured order.
func (d *Directory) All() []Profile {
	out := make([]Profile, 0, len(d.order))
	for _, id := range d.order {
		p, _ := d.Get(id)
		out = append(out, p)
	}
	return out
}

// CheckPassword says whether password is id's. Every call costs one bcrypt
// comparison (against id's bcrypt hash, or a stand-in for other forms and
// unknown ids), one SHA-256 and one constant-time compare, whether id
// exists or not, so the login is slow to guess against and an unknown id
// answers as a wrong password does.
func (d *Directory) CheckPassword(id, password string) bool {
	e, known := d.entries[id]
	if known && e.bcrypt != nil {
		ok := bcrypt.CompareHashAndPassword(e.bcrypt, []byte(password)) == nil
		return ok
	}
	_ = bcrypt.CompareHashAndPassword(d.dummy, []byte(password))
	want := e.login
	if want == nil {
		want = d.nobody
	}
	got := sha256.Sum256([]byte(id + ":" + d.realm + ":" + password))
	match := subtle.ConstantTimeCompare(got[:], want) == 1
	return match && known && e.login != nil
}

// HA1 is the digest HA1 (hex) of id in realm for alg "MD5" or "SHA-256".
// ok is false for an unknown user, an unknown algorithm, or an ha1-form
// password asked for another realm; an unknown user still gets a stable
// random-looking HA1 of the right length, so a registrar can run the same
// code path and give the same answer as for a wrong password.
func (d *Directory) HA1(id, realm, alg string) (string, bool) {
	alg = strings.ToUpper(alg)
	if alg != AlgMD5 && alg != AlgSHA256 {
		return "", false
	}
	e, known := d.entries[id]
	switch {
	case known && e.plain != "" && alg == AlgMD5:
		return ha1Hex(md5.New, id, realm, e.plain), true
	case known && e.plain != "":
		return ha1Hex(sha256.New, id, realm, e.plain), true
	case known && e.md5HA1 != "" && realm == d.realm && alg == AlgMD5:
		return e.md5HA1, true
	case known && e.shaHA1 != "" && realm == d.realm:
		return e.shaHA1, true
	}
	return d.fakeHA1(id, realm, alg), false
}

func (d *Directory) fakeHA1(id, realm, alg string) string {
	m := hmac.New(sha256.New, d.fakeKey)
	m.Write([]byte(alg + "\x00" + id + "\x00" + realm))
	sum := hex.EncodeToString(m.Sum(nil))
	if alg == AlgMD5 {
		return sum[:2*md5.Size]
	}
	return sum
}
