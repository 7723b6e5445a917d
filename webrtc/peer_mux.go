package webrtc

import (
	"errors"
	"fmt"
	"net"

	"github.com/pion/ice/v4"
)

// pion gathers host candidates from the addresses interfaces carry. An
// address that is ours without being on an interface (any of 127.0.0.0/8
// but 127.0.0.1: the kernel delivers the whole block to lo, as cluster nodes
// on one machine use it) would give no candidate and no ICE. Such an
// address gets one UDP socket that every leg's ICE shares (pion's UDP mux,
// which tells legs apart by ICE username), and candidates name it.

// onInterface tells whether an interface carries ip.
func onInterface(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true // cannot tell: let pion gather as usual
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// sharedMux is the UDP mux for an address no interface carries, or nil when
// pion can gather on cfg.IP itself. It lives as long as the process: calls
// in progress keep their media while a server drains.
func sharedMux(cfg PeerConfig) (ice.UDPMux, error) {
	ip := net.ParseIP(cfg.IP)
	if ip == nil || ip.IsUnspecified() || onInterface(ip) {
		return nil, nil
	}
	conn, err := listenInRange(ip, cfg.PortMin, cfg.PortMax)
	if err != nil {
		return nil, fmt.Errorf("webrtc: ICE socket on %s: %w", ip, err)
	}
	return ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn}), nil
}

// listenInRange binds the first free port of lo..hi on ip (any port when
// no range is set).
func listenInRange(ip net.IP, lo, hi uint16) (*net.UDPConn, error) {
	if lo == 0 || hi < lo {
		return net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	}
	var last error
	for p := int(hi); p >= int(lo); p-- { // from the top: the RTP pool allocates from the bottom
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: p})
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, errors.Join(errors.New("no free port in the media range"), last)
}
