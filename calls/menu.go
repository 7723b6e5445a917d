package calls

import "strings"

// Menu matches keys pressed against the agency choices. Choices may be one or two
// keys and one may be the prefix of another ("1" and "10"): then the caller either
// presses '#' or waits the inter-digit timeout to pick the shorter one, as callers
// of multi-key IVRs are used to.
type Menu struct {
	choices map[string]string // keys -> agency id
	prefix  map[string]bool   // every proper prefix of some choice
}

// NewMenu builds a matcher from keys -> agency id.
func NewMenu(choices map[string]string) *Menu {
	m := &Menu{choices: choices, prefix: map[string]bool{}}
	for k := range choices {
		for i := 1; i < len(k); i++ {
			m.prefix[k[:i]] = true
		}
	}
	return m
}

// Verdict is what the keys so far mean.
type Verdict int

const (
	// NeedMore: keys are a prefix of some choice; wait for the next key.
	NeedMore Verdict = iota
	// Chosen: keys name exactly one choice that no longer choice extends.
	Chosen
	// Ambiguous: keys name a choice and also start a longer one; '#' or the
	// inter-digit timeout decides for the shorter one.
	Ambiguous
	// Invalid: no choice starts with these keys.
	Invalid
)

// Match classifies keys (without a trailing '#').
func (m *Menu) Match(keys string) (Verdict, string) {
	agency, exact := m.choices[keys]
	switch {
	case exact && m.prefix[keys]:
		return Ambiguous, agency
	case exact:
		return Chosen, agency
	case keys == "" || m.prefix[keys]:
		return NeedMore, ""
	}
	return Invalid, ""
}

// Finish decides when the caller pressed '#' or stopped pressing keys.
func (m *Menu) Finish(keys string) (string, bool) {
	keys = strings.TrimSuffix(keys, "#")
	agency, ok := m.choices[keys]
	return agency, ok
}
