package media

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// SDP parse and negotiation errors. Parse errors wrap ErrBadSDP (the SIP
// edge answers 400); negotiation failures wrap ErrNoCommonCodec (488). An
// offer whose audio stream is already rejected (port 0) wraps both.
var (
	ErrBadSDP        = errors.New("media: malformed SDP")
	ErrNoCommonCodec = errors.New("media: no common codec")
)

// Stream directions (RFC 4566 6, RFC 3264 6.1).
const (
	SendRecv = "sendrecv"
	SendOnly = "sendonly"
	RecvOnly = "recvonly"
	Inactive = "inactive"
)

// Remote is what a peer's SDP says about its audio stream.
type Remote struct {
	Addr            net.IP  // connection address; unspecified (0.0.0.0) means on hold
	Port            int     // RTP port of the first audio m= line
	Proto           string  // "RTP/AVP", ...
	Codecs          []Codec // offered audio formats in the peer's order, telephone-event excluded
	DTMFPayloadType uint8   // telephone-event/8000 PT; 0 if none
	Direction       string  // SendRecv, SendOnly, RecvOnly or Inactive
	Ptime           int     // a=ptime in ms; 0 if absent
	SessionID       uint64  // o= sess-id
	SessionVersion  uint64  // o= sess-version, grows on re-offers
}

// UDPAddr is where to send RTP, or nil when the peer gave an unspecified
// address (the RFC 2543 hold form): sending there would loop to ourselves.
func (r *Remote) UDPAddr() *net.UDPAddr {
	if r.Addr == nil || r.Addr.IsUnspecified() {
		return nil
	}
	return &net.UDPAddr{IP: r.Addr, Port: r.Port}
}

// staticCodecs are RFC 3551 static audio payload types a peer may list
// without rtpmap. Only PCMU and PCMA are spoken; the rest are named so the
// parsed offer reads well in logs.
var staticCodecs = map[uint8]Codec{
	0: PCMU, 3: {"GSM", 3, 8000}, 4: {"G723", 4, 8000}, 8: PCMA,
	9: {"G722", 9, 8000}, 13: {"CN", 13, 8000}, 18: {"G729", 18, 8000},
}

// ParseSDP reads an offer or answer: the connection address (media level,
// else session level), the first audio m= line, its formats (rtpmap, or
// the static table for PTs 0-95 without one), telephone-event/8000 and the
// direction. A rejected audio stream (port 0) wraps ErrBadSDP and ErrNoCommonCodec (the SIP edge answers 488).
func ParseSDP(body []byte) (*Remote, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	var md *sdp.MediaDescription
	for _, m := range sd.MediaDescriptions {
		if m.MediaName.Media == "audio" {
			md = m
			break
		}
	}
	if md == nil {
		return nil, fmt.Errorf("%w: no audio m= line", ErrBadSDP)
	}
	r := &Remote{
		Port:           md.MediaName.Port.Value,
		Proto:          strings.Join(md.MediaName.Protos, "/"),
		Direction:      SendRecv,
		SessionID:      sd.Origin.SessionID,
		SessionVersion: sd.Origin.SessionVersion,
	}
	if r.Port == 0 {
		return nil, fmt.Errorf("%w: %w: audio stream rejected (port 0)", ErrBadSDP, ErrNoCommonCodec)
	}
	if r.Port < 0 || r.Port > 65535 {
		return nil, fmt.Errorf("%w: audio port %d out of range", ErrBadSDP, r.Port)
	}
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return nil, fmt.Errorf("%w: no c= line for the audio stream", ErrBadSDP)
	}
	if ci.NetworkType != "IN" || (ci.AddressType != "IP4" && ci.AddressType != "IP6") {
		return nil, fmt.Errorf("%w: connection type %q %q is not IN IP4/IP6", ErrBadSDP, ci.NetworkType, ci.AddressType)
	}
	if r.Addr = net.ParseIP(ci.Address.Address); r.Addr == nil {
		return nil, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, ci.Address.Address)
	}
	if v4 := r.Addr.To4(); v4 != nil {
		r.Addr = v4
	}
	if r.Addr.IsUnspecified() {
		r.Direction = Inactive
	}
	if err := r.readFormats(md); err != nil {
		return nil, err
	}
	for _, set := range [][]sdp.Attribute{sd.Attributes, md.Attributes} { // media level wins
		for _, a := range set {
			switch a.Key {
			case SendRecv, SendOnly, RecvOnly, Inactive:
				if !r.Addr.IsUnspecified() {
					r.Direction = a.Key
				}
			}
		}
	}
	if v, ok := md.Attribute("ptime"); ok {
		if p, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && p > 0 {
			r.Ptime = p
		}
	}
	return r, nil
}

// readFormats fills Codecs and DTMFPayloadType from the m= formats and
// their rtpmap lines.
func (r *Remote) readFormats(md *sdp.MediaDescription) error {
	rtpmap := map[uint8]Codec{}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		c, err := parseRtpmap(a.Value)
		if err != nil {
			return err
		}
		rtpmap[c.PayloadType] = c
	}
	if len(md.MediaName.Formats) == 0 {
		return fmt.Errorf("%w: audio m= line lists no formats", ErrBadSDP)
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return fmt.Errorf("%w: format %q is not an RTP payload type", ErrBadSDP, f)
		}
		pt := uint8(n)
		c, ok := rtpmap[pt]
		if s, static := staticCodecs[pt]; static {
			// Static types mean what RFC 3551 says whatever an rtpmap claims.
			c, ok = s, true
		}
		if !ok {
			continue // dynamic type without rtpmap: unusable, not fatal
		}
		if strings.EqualFold(c.Name, "telephone-event") {
			if c.ClockRate == sampleRate && r.DTMFPayloadType == 0 {
				r.DTMFPayloadType = pt
			}
			continue
		}
		r.Codecs = append(r.Codecs, c)
	}
	return nil
}

// parseRtpmap reads "PT NAME/RATE[/CHANNELS]".
func parseRtpmap(v string) (Codec, error) {
	ptStr, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	pt, err := strconv.ParseUint(ptStr, 10, 7)
	if !ok || err != nil {
		return Codec{}, fmt.Errorf("%w: rtpmap %q has no valid payload type", ErrBadSDP, v)
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || parts[0] == "" {
		return Codec{}, fmt.Errorf("%w: rtpmap %q is not NAME/RATE", ErrBadSDP, v)
	}
	rate, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || rate == 0 {
		return Codec{}, fmt.Errorf("%w: rtpmap %q has no valid clock rate", ErrBadSDP, v)
	}
	return Codec{Name: parts[0], PayloadType: uint8(pt), ClockRate: uint32(rate)}, nil
}

// supported reports whether c is one of ours (at its static payload type).
func supported(c Codec, prefer []Codec) bool {
	return slices.ContainsFunc(prefer, func(p Codec) bool {
		return p.PayloadType == c.PayloadType && strings.EqualFold(p.Name, c.Name) && p.ClockRate == c.ClockRate
	})
}

// AnswerSDP answers an offer: the first codec of prefer (nil: PCMU then
// PCMA) that the offer lists, the offerer's telephone-event PT echoed, and
// the direction mirrored. It returns ErrNoCommonCodec when none matches.
func AnswerSDP(r *Remote, localIP string, localPort int, prefer []Codec) (body []byte, c Codec, dtmfPT uint8, err error) {
	if len(prefer) == 0 {
		prefer = DefaultPreference()
	}
	if r.Proto != "RTP/AVP" && r.Proto != "RTP/AVPF" {
		return nil, Codec{}, 0, fmt.Errorf("%w: transport %q (only plain RTP/AVP)", ErrNoCommonCodec, r.Proto)
	}
	found := false
	for _, p := range prefer {
		if slices.ContainsFunc(r.Codecs, func(o Codec) bool { return supported(o, []Codec{p}) }) {
			c, found = p, true
			break
		}
	}
	if !found {
		return nil, Codec{}, 0, fmt.Errorf("%w: offer has %v, we speak %v", ErrNoCommonCodec, r.Codecs, prefer)
	}
	dir := map[string]string{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive}[r.Direction]
	body, err = buildSDP(localIP, localPort, rand.Uint64()>>1, []Codec{c}, r.DTMFPayloadType, dir)
	return body, c, r.DTMFPayloadType, err
}

// Negotiated reads the outcome from an answer to our offer: the first
// codec in it we speak, and its telephone-event PT (0 if none).
func Negotiated(r *Remote) (Codec, uint8, error) {
	for _, c := range r.Codecs {
		if supported(c, DefaultPreference()) {
			return c, r.DTMFPayloadType, nil
		}
	}
	return Codec{}, 0, fmt.Errorf("%w: answer has %v", ErrNoCommonCodec, r.Codecs)
}

// OfferSDP is our offer for an outbound leg: PCMU 0, PCMA 8,
// telephone-event 101, ptime 20, sendrecv.
func OfferSDP(localIP string, localPort int, sessID uint64) []byte {
	body, err := buildSDP(localIP, localPort, sessID, DefaultPreference(), DefaultDTMFPayloadType, SendRecv)
	if err != nil {
		// Only an unmarshalable struct fails, which the fixed fields rule out.
		panic(fmt.Sprintf("media: building our own offer: %v", err))
	}
	return body
}

func buildSDP(localIP string, localPort int, sessID uint64, codecs []Codec, dtmfPT uint8, dir string) ([]byte, error) {
	addrType := "IP4"
	if ip := net.ParseIP(localIP); ip != nil && ip.To4() == nil {
		addrType = "IP6"
	}
	md := &sdp.MediaDescription{
		MediaName: sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: localPort}, Protos: []string{"RTP", "AVP"}},
	}
	for _, c := range codecs {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(c.PayloadType)))
		md.Attributes = append(md.Attributes, sdp.NewAttribute("rtpmap", fmt.Sprintf("%d %s/%d", c.PayloadType, c.Name, c.ClockRate)))
	}
	if dtmfPT != 0 {
		pt := strconv.Itoa(int(dtmfPT))
		md.MediaName.Formats = append(md.MediaName.Formats, pt)
		md.Attributes = append(md.Attributes,
			sdp.NewAttribute("rtpmap", pt+" telephone-event/8000"),
			sdp.NewAttribute("fmtp", pt+" 0-16"))
	}
	md.Attributes = append(md.Attributes, sdp.NewAttribute("ptime", strconv.Itoa(frameDuration)), sdp.NewPropertyAttribute(dir))
	sd := sdp.SessionDescription{
		Origin: sdp.Origin{Username: "frontdoor", SessionID: sessID, SessionVersion: sessID,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: localIP},
		SessionName:           "frontdoor",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: localIP}},
		TimeDescriptions:      []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions:     []*sdp.MediaDescription{md},
	}
	return sd.Marshal()
}
