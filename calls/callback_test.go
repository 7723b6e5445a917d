package calls

import "testing"

// A callback goes only to something dialable: digits, with an optional leading +.
// Caller IDs like "anonymous" or a web caller's "web" are not numbers, so the IVR
// asks the caller to key one.
func TestPhoneNumber(t *testing.T) {
	for in, want := range map[string]string{
		"01012345678": "01012345678", "+821012345678": "+821012345678",
		"": "", "anonymous": "", "web": "", "010-1234": "", "12+3": "", "1*2": "",
	} {
		if got := phoneNumber(in); got != want {
			t.Errorf("phoneNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
