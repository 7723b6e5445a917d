package netaddr

import (
	"net/netip"
	"testing"
)

func TestSourceKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	} {
		if got := SourceKey(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("SourceKey(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := SourceKey(netip.Addr{}); got != "" {
		t.Errorf("SourceKey(invalid) = %q, want empty", got)
	}
}

func TestSourceKeyOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7:5060", "192.0.2.7"},
		{"[2001:db8::1]:443", "2001:db8::/64"},
		{"[2001:db8::2]:443", "2001:db8::/64"},
		{"192.0.2.8", "192.0.2.8"},
		{"garbage", ""},
	} {
		if got := SourceKeyOf(tc.in); got != tc.want {
			t.Errorf("SourceKeyOf(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
