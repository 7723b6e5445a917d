package mix

import "fmt"

// Role says whom a participant hears and who hears it. The roles express
// supervisor coaching on a call between a caller and an agent:
//
//	speaker \ listener   Caller  Agent  Listen  Whisper  Barge
//	Caller               -       yes    yes     yes      yes
//	Agent                yes     -      yes     yes      yes
//	Listen               no      no     no      no       no
//	Whisper              no      yes    yes     -        yes
//	Barge                yes     yes    yes     yes      -
//
// So with caller C, agent A and supervisor S: Listen lets S hear C and A
// while nobody hears S; Whisper lets A hear S too, while C still hears
// only A; Barge is a three-way call. The rule behind the table: a Listen
// participant is heard by nobody, a Whisper participant by everyone but
// callers, anyone else by everyone; nobody hears themselves.
type Role uint8

// The roles. The zero value is not a role, so a forgotten one is noticed.
const (
	Caller Role = iota + 1
	Agent
	Listen
	Whisper
	Barge
)

var roleNames = [...]string{Caller: "caller", Agent: "agent", Listen: "listen", Whisper: "whisper", Barge: "barge"}

func (r Role) String() string {
	if r.valid() {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

func (r Role) valid() bool { return r >= Caller && r <= Barge }

// ParseRole reads a role by its name ("caller", "agent", "listen",
// "whisper", "barge"), as a dashboard or API would send it.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if name != "" && name == s {
			return Role(r), nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want caller, agent, listen, whisper or barge)", ErrRole, s)
}

// Hears reports whether a listener in role listener hears a speaker in
// role speaker (two different participants). It is the table above.
func Hears(listener, speaker Role) bool {
	switch speaker {
	case Listen:
		return false
	case Whisper:
		return listener != Caller
	}
	return true
}
