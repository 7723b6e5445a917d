// Package netaddr holds small helpers on network addresses shared by the
// packages that limit work per source (sockets, sessions, SIP).
package netaddr

import (
	"net"
	"net/netip"
)

// SourceKey names the source a limit is counted against: an IPv4 address
// as itself, an IPv6 address by its /64 (one subscriber usually gets a
// whole /64, so counting single IPv6 addresses would be no limit at all).
// IPv4-mapped IPv6 addresses count as their IPv4 address. Zones are
// dropped. The invalid address gives "".
func SourceKey(addr netip.Addr) string {
	if !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil { // cannot happen for a valid IPv6 address
		return addr.String()
	}
	return p.String()
}

// SourceKeyOf is SourceKey of the host part of a "host:port" remote
// address such as http.Request.RemoteAddr. An unparsable address gives "".
func SourceKeyOf(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return SourceKey(addr)
}
