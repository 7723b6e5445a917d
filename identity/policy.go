package identity

import "time"

// AgeOn is the age in whole years, on the given day, of someone born on
// birthdate (YYYY-MM-DD, as SD-JWT VC PID credentials carry it). ok is
// false for an unparsable date or a birth after on.
func AgeOn(birthdate string, on time.Time) (age int, ok bool) {
	b, err := time.Parse(time.DateOnly, birthdate)
	if err != nil {
		return 0, false
	}
	y, m, d := on.Date()
	if b.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return 0, false
	}
	age = y - b.Year()
	if m < b.Month() || (m == b.Month() && d < b.Day()) {
		age--
	}
	return age, true
}
