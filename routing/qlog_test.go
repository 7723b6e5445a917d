package routing

import "testing"

// TestQlogFieldNeutralisesSeparators: the writer's own defence, for text
// that reaches it without passing the API's check.
func TestQlogFieldNeutralisesSeparators(t *testing.T) {
	for in, want := range map[string]string{
		"lunch":                "lunch",
		"a|b":                  "a_b",
		"lunch\n1700000000|X|": "lunch 1700000000_X_",
		"cr\rnul\x00tab\t":     "cr nul tab ",
		"bad\xffutf8":          "bad\uFFFDutf8",
		"한글":                   "한글",
	} {
		if got := qlogField(in); got != want {
			t.Errorf("qlogField(%q) = %q, want %q", in, got, want)
		}
	}
}
