package calls

import (
	"testing"
	"time"
)

// One booking per number per period; other numbers are not affected.
func TestCallbackBookingsPerNumber(t *testing.T) {
	var b bookings
	now := time.Unix(1_800_000_000, 0)
	if !b.take("0212345678", now, time.Hour) {
		t.Fatal("first booking refused")
	}
	if b.take("0212345678", now.Add(59*time.Minute), time.Hour) {
		t.Fatal("second booking of the same number within the hour accepted")
	}
	if !b.take("0311112222", now, time.Hour) {
		t.Fatal("another number refused")
	}
	if !b.take("0212345678", now.Add(time.Hour), time.Hour) {
		t.Fatal("booking after the period refused")
	}
}
