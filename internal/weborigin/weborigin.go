// Package weborigin parses web origins (RFC 6454) the way a browser
// serialises them in the Origin header, so a configured origin compares
// equal to the header byte for byte.
package weborigin

import (
	"fmt"
	"net/url"
	"strings"
)

// Parse checks that s is a serialised http(s) origin: scheme://host[:port],
// lower case, no default port, no path, query, fragment or user info. It
// refuses rather than normalises, because the Digital Credentials API
// compares origins as strings: a configured "https://x.example/" would
// never match the browser's "https://x.example".
func Parse(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an http(s) origin (scheme://host[:port])", s)
	}
	want := Of(u)
	if s != want {
		return "", fmt.Errorf("%q is not an origin as browsers send it; write %q", s, want)
	}
	return s, nil
}

// Of is the origin of an http(s) URL, serialised as browsers do.
func Of(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	scheme := strings.ToLower(u.Scheme)
	if p := u.Port(); p != "" && !(scheme == "https" && p == "443") && !(scheme == "http" && p == "80") {
		host += ":" + p
	}
	return scheme + "://" + host
}
