package interop

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/statuslist"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

func listOf(bits, n int) []uint8 {
	out := make([]uint8, n)
	for i := range out {
		out[i] = uint8((i*5 + i/3) % (1 << bits))
	}
	return out
}

func joinInts[T uint8 | int](v []T) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, ",")
}

// A list compressed by sd-jwt-js reads the same with our decoder.
func TestStatusListTheirsDecodedByUs(t *testing.T) {
	node := needNode(t)
	for _, bits := range []int{1, 2, 4, 8} {
		want := listOf(bits, 300)
		var out struct {
			Lst string `json:"lst"`
		}
		if !runNode(t, node, &out, "status-list", "--bits="+strconv.Itoa(bits), "--statuses="+joinInts(want)) {
			t.Fatal("node status-list failed")
		}
		l, err := statuslist.Decode(statuslist.Claim{Bits: bits, Lst: out.Lst})
		if err != nil {
			t.Fatalf("bits %d: %v", bits, err)
		}
		for i, w := range want {
			if got, err := l.Status(i); err != nil || got != w {
				t.Fatalf("bits %d: [%d] = %d, %v; want %d", bits, i, got, err, w)
			}
		}
	}
}

// A Status List Token we sign reads the same with sd-jwt-js.
func TestStatusListOursReadByThem(t *testing.T) {
	node := needNode(t)
	key, err := wallet.NewKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	for _, bits := range []int{1, 2, 4, 8} {
		statuses := listOf(bits, 300)
		tok, err := statuslist.SignToken(key, statuslist.TokenParams{Issuer: iss, URI: iss + "/lists/1", Bits: bits,
			Statuses: statuses, IssuedAt: time.Now(), TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		idx := []int{0, 1, 2, 7, 8, 9, 100, 255, 299}
		var out struct {
			Bits     int     `json:"bits"`
			Statuses []uint8 `json:"statuses"`
		}
		if !runNode(t, node, &out, "status-read", "--token="+tok, "--idx="+joinInts(idx)) {
			t.Fatal("node status-read failed")
		}
		if out.Bits != bits || len(out.Statuses) != len(idx) {
			t.Fatalf("bits %d: read %+v", bits, out)
		}
		for j, i := range idx {
			if out.Statuses[j] != statuses[i] {
				t.Fatalf("bits %d: their [%d] = %d, ours %d", bits, i, out.Statuses[j], statuses[i])
			}
		}
	}
}
