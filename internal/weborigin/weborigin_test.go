package weborigin

import (
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, ok := range []string{"https://id.example", "http://127.0.0.1:8080", "https://[::1]:8443"} {
		if got, err := Parse(ok); err != nil || got != ok {
			t.Errorf("Parse(%q) = %q, %v", ok, got, err)
		}
	}
	for in, want := range map[string]string{
		"https://id.example/":     `write "https://id.example"`,
		"https://id.example:443":  `write "https://id.example"`,
		"https://ID.example":      `write "https://id.example"`,
		"https://id.example/call": `write "https://id.example"`,
		"https://u@id.example":    `write "https://id.example"`,
		"ftp://id.example":        "not an http(s) origin",
		"null":                    "not an http(s) origin",
		"id.example":              "not an http(s) origin",
	} {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want %q", in, err, want)
		}
	}
}

func TestOf(t *testing.T) {
	u, _ := url.Parse("https://Verify.Example:443/base/path?q=1")
	if got := Of(u); got != "https://verify.example" {
		t.Fatalf("Of = %q", got)
	}
}
