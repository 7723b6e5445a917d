// Package webrtc is frontdoor's browser edge: the citizen's web caller and the
// agent softphone. Each page keeps one WebSocket for signalling (JSON messages,
// see README.md); audio runs over pion/webrtc PeerConnections that negotiate
// G.711 PCMU and telephone-event only, so a browser leg bridges to a PCMU SIP
// leg packet for packet, without transcoding.
package webrtc

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
)

// PeerConfig says where browser media may flow.
type PeerConfig struct {
	// IP is the one local address ICE gathers candidates on (the RTP bind
	// address). "" or an unspecified address: every interface.
	IP string
	// AdvertiseIP replaces IP in the candidates we send when it differs
	// (a NAT's public address); "" = none.
	AdvertiseIP string
	// PortMin..PortMax bound the UDP ports ICE binds; 0 = any.
	PortMin, PortMax uint16
	// mux, when set, carries every leg's ICE on one socket (peer_mux.go).
	mux ice.UDPMux
}

// telephoneEventPT is the payload type our offers give RFC 4733 events.
const telephoneEventPT = 101

// mimeTelephoneEvent is RFC 4733's media type as WebRTC names it.
const mimeTelephoneEvent = "audio/telephone-event"

// pcmu is the one audio format a browser leg speaks.
var pcmu = pion.RTPCodecCapability{MimeType: pion.MimeTypePCMU, ClockRate: 8000}

// newAPI builds the pion API every browser leg is made with: PCMU and
// telephone-event only (no Opus: nothing to transcode on the way to SIP),
// no mDNS, ICE on the configured address only.
func newAPI(cfg PeerConfig) (*pion.API, error) {
	m := &pion.MediaEngine{}
	if err := m.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: pcmu, PayloadType: 0}, pion.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: register PCMU: %w", err)
	}
	te := pion.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}
	if err := m.RegisterCodec(pion.RTPCodecParameters{RTPCodecCapability: te, PayloadType: telephoneEventPT}, pion.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: register telephone-event: %w", err)
	}
	var s pion.SettingEngine
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4, pion.NetworkTypeUDP6})
	// A browser tab that vanishes without a word is noticed within seconds.
	s.SetICETimeouts(4*time.Second, 8*time.Second, time.Second)
	if ip := net.ParseIP(cfg.IP); ip != nil && !ip.IsUnspecified() {
		s.SetIPFilter(func(a net.IP) bool { return a.Equal(ip) })
		if ip.IsLoopback() {
			s.SetIncludeLoopbackCandidate(true)
		}
		if cfg.AdvertiseIP != "" && cfg.AdvertiseIP != cfg.IP {
			s.SetNAT1To1IPs([]string{cfg.AdvertiseIP}, pion.ICECandidateTypeHost)
		}
	} else if cfg.IP != "" && ip == nil {
		return nil, fmt.Errorf("webrtc: media address %q is not an IP address", cfg.IP)
	}
	if cfg.mux != nil {
		s.SetICEUDPMux(cfg.mux)
	}
	if cfg.PortMin > 0 && cfg.PortMax >= cfg.PortMin {
		if err := s.SetEphemeralUDPPortRange(cfg.PortMin, cfg.PortMax); err != nil {
			return nil, fmt.Errorf("webrtc: port range: %w", err)
		}
	}
	return pion.NewAPI(pion.WithMediaEngine(m), pion.WithSettingEngine(s)), nil
}
