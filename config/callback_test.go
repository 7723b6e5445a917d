package config

import "testing"

// The default destination policy calls national numbers back and refuses
// international ones, premium ranges included.
func TestCallbackDefaultPolicy(t *testing.T) {
	var cb Callback
	cb.applyDefaults()
	for number, want := range map[string]bool{
		"01055556666": true, "0212345678": true,
		"+88212345678": false, "00900123456": false, "0088212345": false, "+821055556666": false,
		"0123": false, "0123456789012345": false, "01055x56666": false, "": false,
	} {
		if got := cb.CallbackAllowed(number); got != want {
			t.Errorf("CallbackAllowed(%q) = %v, want %v", number, got, want)
		}
	}
}
