package calls

import "testing"

func TestMenuTwoKeyChoices(t *testing.T) {
	m := NewMenu(map[string]string{"1": "tax", "2": "customs", "10": "legal-aid", "11": "civil"})
	cases := []struct {
		keys    string
		verdict Verdict
		agency  string
	}{
		{"1", Ambiguous, "tax"}, // 1 alone, or the start of 10/11
		{"10", Chosen, "legal-aid"},
		{"11", Chosen, "civil"},
		{"2", Chosen, "customs"},
		{"3", Invalid, ""},
		{"12", Invalid, ""},
		{"", NeedMore, ""},
	}
	for _, c := range cases {
		v, a := m.Match(c.keys)
		if v != c.verdict || a != c.agency {
			t.Errorf("Match(%q) = %v %q, want %v %q", c.keys, v, a, c.verdict, c.agency)
		}
	}
	if a, ok := m.Finish("1#"); !ok || a != "tax" {
		t.Errorf("Finish(1#) = %q %v", a, ok)
	}
	if _, ok := m.Finish("9#"); ok {
		t.Errorf("Finish(9#) accepted an unknown choice")
	}
}

func TestMenuPureTwoKeyPrefix(t *testing.T) {
	m := NewMenu(map[string]string{"*1": "tax"})
	if v, _ := m.Match("*"); v != NeedMore {
		t.Fatalf("'*' should wait for the second key, got %v", v)
	}
	if v, a := m.Match("*1"); v != Chosen || a != "tax" {
		t.Fatalf("'*1' = %v %q", v, a)
	}
}
