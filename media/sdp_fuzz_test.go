package media

import (
	"errors"
	"testing"
)

// FuzzParseSDP: any input either parses into a usable Remote or fails with
// ErrBadSDP (or ErrNoCommonCodec for a rejected audio stream), and whatever parses can be answered with SDP we parse again.
// Seeds live in testdata/fuzz/FuzzParseSDP.
func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(phoneOffer))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseSDP(body)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("error %v wraps neither ErrBadSDP nor ErrNoCommonCodec", err)
			}
			return
		}
		if r.Port < 1 || r.Port > 65535 || r.Addr == nil {
			t.Fatalf("accepted unusable stream %v:%d", r.Addr, r.Port)
		}
		ans, c, _, err := AnswerSDP(r, "127.0.0.1", 20000, nil)
		if err != nil {
			if !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("answer error %v is not ErrNoCommonCodec", err)
			}
			return
		}
		back, err := ParseSDP(ans)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
		if len(back.Codecs) != 1 || back.Codecs[0] != c || back.DTMFPayloadType != r.DTMFPayloadType {
			t.Fatalf("answer says %+v, chose %v", back, c)
		}
	})
}
