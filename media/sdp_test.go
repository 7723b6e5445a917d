package media

import (
	"errors"
	"net"
	"strings"
	"testing"
)

// A typical phone offer: session-level c=, PCMU and PCMA static, G.729,
// telephone-event on a dynamic PT.
const phoneOffer = "v=0\r\n" +
	"o=- 3897 3898 IN IP4 192.0.2.10\r\n" +
	"s=call\r\n" +
	"c=IN IP4 192.0.2.10\r\n" +
	"t=0 0\r\n" +
	"m=audio 40000 RTP/AVP 18 8 0 96\r\n" +
	"a=rtpmap:18 G729/8000\r\n" +
	"a=rtpmap:96 telephone-event/8000\r\n" +
	"a=fmtp:96 0-15\r\n" +
	"a=ptime:20\r\n" +
	"a=sendrecv\r\n"

func TestParseOffer(t *testing.T) {
	r, err := ParseSDP([]byte(phoneOffer))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Addr.Equal(net.ParseIP("192.0.2.10")) || r.Port != 40000 {
		t.Fatalf("address %v:%d", r.Addr, r.Port)
	}
	want := []Codec{{"G729", 18, 8000}, PCMA, PCMU}
	if len(r.Codecs) != 3 || r.Codecs[0] != want[0] || r.Codecs[1] != want[1] || r.Codecs[2] != want[2] {
		t.Fatalf("codecs %v, want %v", r.Codecs, want)
	}
	if r.DTMFPayloadType != 96 || r.Direction != SendRecv || r.Ptime != 20 || r.SessionVersion != 3898 {
		t.Fatalf("parsed %+v", r)
	}
	if a := r.UDPAddr(); a.String() != "192.0.2.10:40000" {
		t.Fatalf("UDPAddr %v", a)
	}
}

func TestParseMediaLevelConnectionAndDirection(t *testing.T) {
	body := "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n" +
		"m=video 0 RTP/AVP 31\r\n" +
		"m=audio 5004 RTP/AVP 8\r\nc=IN IP4 203.0.113.7\r\na=sendonly\r\n"
	r, err := ParseSDP([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Addr.Equal(net.ParseIP("203.0.113.7")) {
		t.Fatalf("media-level c= ignored: %v", r.Addr)
	}
	if r.Direction != SendOnly || r.DTMFPayloadType != 0 || len(r.Codecs) != 1 || r.Codecs[0] != PCMA {
		t.Fatalf("parsed %+v", r)
	}
	// Hold by the old convention: c=0.0.0.0 means nowhere to send.
	held, err := ParseSDP([]byte(strings.Replace(body, "203.0.113.7", "0.0.0.0", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if held.UDPAddr() != nil || held.Direction != Inactive {
		t.Fatalf("hold SDP: addr %v direction %s", held.UDPAddr(), held.Direction)
	}
}

func TestParseRefusals(t *testing.T) {
	base := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	cases := map[string]struct{ body, says string }{
		"garbage":         {"hello", "malformed SDP"},
		"no audio":        {base + "m=video 5000 RTP/AVP 31\r\n", "no audio m= line"},
		"no c=":           {"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n", "no c= line"},
		"hostname c=":     {strings.Replace(base, "c=IN IP4 192.0.2.1", "c=IN IP4 pbx.example", 1) + "m=audio 5000 RTP/AVP 0\r\n", "not an IP address"},
		"bad format":      {base + "m=audio 5000 RTP/AVP zero\r\n", `format "zero" is not an RTP payload type`},
		"bad rtpmap":      {base + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", "is not NAME/RATE"},
		"bad rtpmap rate": {base + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/fast\r\n", "no valid clock rate"},
	}
	for name, tc := range cases {
		_, err := ParseSDP([]byte(tc.body))
		if !errors.Is(err, ErrBadSDP) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err = %v; want ErrBadSDP saying %q", name, err, tc.says)
		}
	}
}

// An offer whose only audio stream is already rejected (port 0) leaves
// nothing to negotiate: the error wraps ErrNoCommonCodec (the SIP edge
// checks it first and answers 488) as well as ErrBadSDP.
func TestParseRejectedAudioIsNoCommonCodec(t *testing.T) {
	body := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"
	_, err := ParseSDP([]byte(body))
	if !errors.Is(err, ErrNoCommonCodec) || !errors.Is(err, ErrBadSDP) || !strings.Contains(err.Error(), "port 0") {
		t.Fatalf("port 0 audio: err = %v, want ErrNoCommonCodec naming port 0", err)
	}
}

func TestAnswerPicksPreferredCodecAndEchoesDTMF(t *testing.T) {
	r, err := ParseSDP([]byte(phoneOffer))
	if err != nil {
		t.Fatal(err)
	}
	body, c, dtmfPT, err := AnswerSDP(r, "127.0.0.1", 20002, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The offer lists PCMA before PCMU, but our preference is PCMU first.
	if c != PCMU || dtmfPT != 96 {
		t.Fatalf("chose %v dtmf %d", c, dtmfPT)
	}
	ans, err := ParseSDP(body)
	if err != nil {
		t.Fatalf("our answer does not parse: %v\n%s", err, body)
	}
	if ans.Port != 20002 || ans.Addr.String() != "127.0.0.1" || len(ans.Codecs) != 1 || ans.Codecs[0] != PCMU ||
		ans.DTMFPayloadType != 96 || ans.Direction != SendRecv || ans.Ptime != 20 {
		t.Fatalf("answer %+v\n%s", ans, body)
	}
	// A configured preference wins.
	_, c, _, err = AnswerSDP(r, "127.0.0.1", 20002, []Codec{PCMA, PCMU})
	if err != nil || c != PCMA {
		t.Fatalf("PCMA preference: %v %v", c, err)
	}
}

func TestAnswerMirrorsDirection(t *testing.T) {
	for offer, want := range map[string]string{SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, SendRecv: SendRecv} {
		r, err := ParseSDP([]byte(strings.Replace(phoneOffer, "a=sendrecv", "a="+offer, 1)))
		if err != nil {
			t.Fatal(err)
		}
		body, _, _, err := AnswerSDP(r, "127.0.0.1", 20000, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "a="+want+"\r\n") {
			t.Errorf("offer %s: answer lacks a=%s:\n%s", offer, want, body)
		}
	}
}

func TestAnswerRefusesWithoutCommonCodec(t *testing.T) {
	r, err := ParseSDP([]byte(strings.Replace(phoneOffer, "m=audio 40000 RTP/AVP 18 8 0 96", "m=audio 40000 RTP/AVP 18 96", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := AnswerSDP(r, "127.0.0.1", 20000, nil); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("G.729-only offer: %v, want ErrNoCommonCodec", err)
	}
	srtp, err := ParseSDP([]byte(strings.Replace(phoneOffer, "RTP/AVP", "RTP/SAVP", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := AnswerSDP(srtp, "127.0.0.1", 20000, nil); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("SRTP offer: %v, want ErrNoCommonCodec", err)
	}
}

func TestOfferAndNegotiated(t *testing.T) {
	offer := OfferSDP("127.0.0.1", 20010, 42)
	r, err := ParseSDP(offer)
	if err != nil {
		t.Fatalf("our offer does not parse: %v\n%s", err, offer)
	}
	if len(r.Codecs) != 2 || r.Codecs[0] != PCMU || r.Codecs[1] != PCMA || r.DTMFPayloadType != 101 ||
		r.Ptime != 20 || r.Direction != SendRecv || r.SessionID != 42 || r.Port != 20010 {
		t.Fatalf("offer %+v\n%s", r, offer)
	}
	// An agent phone answering our offer with PCMA only.
	ansBody, _, _, err := AnswerSDP(r, "127.0.0.1", 30000, []Codec{PCMA})
	if err != nil {
		t.Fatal(err)
	}
	ans, err := ParseSDP(ansBody)
	if err != nil {
		t.Fatal(err)
	}
	c, pt, err := Negotiated(ans)
	if err != nil || c != PCMA || pt != 101 {
		t.Fatalf("Negotiated = %v %d %v", c, pt, err)
	}
	if _, _, err := Negotiated(&Remote{Codecs: []Codec{{"G729", 18, 8000}}}); !errors.Is(err, ErrNoCommonCodec) {
		t.Fatalf("G.729 answer: %v", err)
	}
	if v6 := OfferSDP("::1", 20000, 1); !strings.Contains(string(v6), "c=IN IP6 ::1") {
		t.Fatalf("IPv6 offer:\n%s", v6)
	}
}

// Real peers: sipp's default offer uses bare LF line ends; baresip adds
// b=, a=rtcp and a=ssrc lines. Both must parse.
func TestParseRealPeerOffers(t *testing.T) {
	sipp := "v=0\no=user1 53655765 2353687637 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n" +
		"m=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
	baresip := "v=0\r\no=- 123 456 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 6000 RTP/AVP 0 8 101\r\nb=AS:64\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtcp:6001\r\na=ptime:20\r\na=sendrecv\r\na=ssrc:123 cname:x\r\n"
	for name, tc := range map[string]struct {
		body   string
		codecs int
		dtmf   uint8
	}{"sipp": {sipp, 1, 0}, "baresip": {baresip, 2, 101}} {
		r, err := ParseSDP([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.UDPAddr().String() != "127.0.0.1:6000" || len(r.Codecs) != tc.codecs || r.DTMFPayloadType != tc.dtmf {
			t.Fatalf("%s: parsed %+v", name, r)
		}
	}
}
