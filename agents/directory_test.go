package agents

import (
	"crypto/md5" //nolint:gosec // digest HA1
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func hexSum(alg, s string) string {
	if alg == AlgMD5 {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func testDirectory(realm string) *Directory {
	return NewDirectory([]Profile{
		{ID: "1001", Name: "Kim Minji", Role: RoleAgent, Skills: map[string]int{"tax": 8}, PasswordHash: "demo1001"},
		{ID: "1002", Name: "Lee Jiho", Role: RoleSupervisor, PasswordHash: HashPassword("1002", "frontdoor", "s3cret")},
		{ID: "1003", Name: "Broken", PasswordHash: "ha1:nothex"},
		{ID: "1004", Name: "No password"},
	}, WithRealm(realm))
}

func TestHashPasswordForm(t *testing.T) {
	got := HashPassword("1002", "frontdoor", "s3cret")
	want := "ha1:" + hexSum(AlgMD5, "1002:frontdoor:s3cret") + ":" + hexSum(AlgSHA256, "1002:frontdoor:s3cret")
	if got != want {
		t.Fatalf("HashPassword = %s, want %s", got, want)
	}
	if err := CheckPasswordForm(got); err != nil {
		t.Fatalf("own form refused: %v", err)
	}
	if err := CheckPasswordForm(strings.ToUpper(got[:4]) + got[4:]); err != nil {
		t.Errorf("HA1: prefix is a plain password, should be accepted: %v", err)
	}
	refused := []string{"", "ha1:", "ha1:abc", "ha1:" + strings.Repeat("0", 32), "ha1:" + strings.Repeat("g", 32) + ":" + strings.Repeat("0", 64), "ha1:" + strings.Repeat("0", 64) + ":" + strings.Repeat("0", 32)}
	for _, pw := range refused {
		if err := CheckPasswordForm(pw); err == nil {
			t.Errorf("CheckPasswordForm(%q) accepted", pw)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	d := testDirectory("frontdoor")
	cases := []struct {
		id, pw string
		ok     bool
	}{
		{"1001", "demo1001", true},
		{"1001", "demo1002", false},
		{"1001", "", false},
		{"1002", "s3cret", true}, // ha1 form
		{"1002", "S3cret", false},
		{"1003", "ha1:nothex", false}, // malformed form never logs in
		{"1004", "", false},           // nor does a missing password
		{"9999", "demo1001", false},
		{"", "", false},
	}
	for _, c := range cases {
		if got := d.CheckPassword(c.id, c.pw); got != c.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", c.id, c.pw, got, c.ok)
		}
	}
	// An ha1 form is bound to its realm: in another realm it cannot log in.
	if testDirectory("elsewhere").CheckPassword("1002", "s3cret") {
		t.Error("ha1 form made for realm frontdoor logged in under realm elsewhere")
	}
	if !testDirectory("elsewhere").CheckPassword("1001", "demo1001") {
		t.Error("plain password refused under another realm")
	}
}

func TestHA1(t *testing.T) {
	d := testDirectory("frontdoor")
	for _, alg := range []string{AlgMD5, AlgSHA256} {
		for _, c := range []struct{ id, realm, pw string }{
			{"1001", "frontdoor", "demo1001"},
			{"1001", "other", "demo1001"}, // plain passwords serve any realm
			{"1002", "frontdoor", "s3cret"},
		} {
			got, ok := d.HA1(c.id, c.realm, strings.ToLower(alg))
			if want := hexSum(alg, c.id+":"+c.realm+":"+c.pw); !ok || got != want {
				t.Errorf("HA1(%s, %s, %s) = %s, %v; want %s", c.id, c.realm, alg, got, ok, want)
			}
		}
		fake, ok := d.HA1("9999", "frontdoor", alg)
		again, _ := d.HA1("9999", "frontdoor", alg)
		other, _ := d.HA1("9998", "frontdoor", alg)
		want, _ := d.HA1("1001", "frontdoor", alg)
		if ok || fake != again || fake == other || len(fake) != len(want) {
			t.Errorf("%s fake for unknown user: %q ok=%v again=%q other=%q", alg, fake, ok, again, other)
		}
		if _, err := hex.DecodeString(fake); err != nil {
			t.Errorf("fake HA1 is not hex: %q", fake)
		}
		if h, ok := d.HA1("1002", "other", alg); ok || h == hexSum(alg, "1002:other:s3cret") {
			t.Errorf("ha1 form answered for a realm it was not made for: %s %v", h, ok)
		}
	}
	if h, ok := d.HA1("1001", "frontdoor", "SHA-512-256"); ok || h != "" {
		t.Errorf("unsupported algorithm answered %q %v", h, ok)
	}
}

func TestDirectoryProfiles(t *testing.T) {
	d := testDirectory("frontdoor")
	p, ok := d.Get("1001")
	if !ok || p.Name != "Kim Minji" || p.Skills["tax"] != 8 {
		t.Fatalf("Get(1001) = %+v, %v", p, ok)
	}
	p.Skills["tax"] = 1 // callers get copies
	if again, _ := d.Get("1001"); again.Skills["tax"] != 8 {
		t.Error("Get leaked the directory's skills map")
	}
	var ids []string
	for _, p := range d.All() {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "1001,1002,1003,1004" {
		t.Errorf("All order = %v", ids)
	}
	if _, ok := d.Get("nobody"); ok {
		t.Error("Get(nobody) found a profile")
	}
}

func TestRoles(t *testing.T) {
	for _, c := range []struct {
		r, min Role
		ok     bool
	}{
		{RoleAdmin, RoleSupervisor, true}, {RoleSupervisor, RoleSupervisor, true},
		{RoleAgent, RoleSupervisor, false}, {RoleSupervisor, RoleAdmin, false},
		{Role("boss"), RoleAgent, false},
	} {
		if got := c.r.AtLeast(c.min); got != c.ok {
			t.Errorf("%s.AtLeast(%s) = %v", c.r, c.min, got)
		}
	}
	if _, err := ParseRole("root"); err == nil || err.Error() != `unknown role "root" (want agent, supervisor or admin)` {
		t.Errorf("ParseRole(root): %v", err)
	}
}

// The figures show an unknown user, a wrong password and a right one cost
// the same (one SHA-256 and a constant-time compare).
func BenchmarkCheckPassword(b *testing.B) {
	d := testDirectory("frontdoor")
	for _, c := range []struct{ name, id, pw string }{
		{"right", "1001", "demo1001"}, {"wrong", "1001", "demo1002"},
		{"unknown-user", "9999", "demo1001"}, {"ha1-form", "1002", "s3cret"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				d.CheckPassword(c.id, c.pw)
			}
		})
	}
}
