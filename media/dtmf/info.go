package dtmf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
)

// Content types of SIP INFO bodies that carry a key press.
const (
	ContentTypeDTMFRelay = "application/dtmf-relay"
	ContentTypeDTMF      = "application/dtmf"
)

// ErrBadBody is wrapped by every INFO body parse error.
var ErrBadBody = errors.New("dtmf: malformed INFO body")

// ErrUnsupportedContentType is returned by ParseInfo for other body types.
var ErrUnsupportedContentType = errors.New("dtmf: unsupported INFO content type")

// maxBody bounds what we look at; real bodies are a few dozen bytes.
const maxBody = 1024

// Relay is a decoded application/dtmf-relay body.
type Relay struct {
	Digit    rune
	Duration time.Duration // 0 when the body has no Duration line
}

// ParseInfo decodes a SIP INFO body given its Content-Type header value
// (parameters allowed), returning the key pressed.
func ParseInfo(contentType string, body []byte) (rune, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrUnsupportedContentType, contentType, err)
	}
	switch mt {
	case ContentTypeDTMFRelay:
		r, err := ParseRelay(body)
		return r.Digit, err
	case ContentTypeDTMF:
		return ParseDTMF(body)
	}
	return 0, fmt.Errorf("%w: %q", ErrUnsupportedContentType, mt)
}

// ParseRelay decodes an application/dtmf-relay body such as
// "Signal=5\r\nDuration=160\r\n". Lines may end in CRLF or LF, keys are
// case-insensitive and may have spaces around '='; Signal is required,
// Duration (milliseconds) optional, other keys are ignored.
func ParseRelay(body []byte) (Relay, error) {
	if len(body) > maxBody {
		return Relay{}, fmt.Errorf("%w: body of %d bytes is too long", ErrBadBody, len(body))
	}
	var (
		out       Relay
		gotSignal bool
	)
	sc := bufio.NewScanner(bytes.NewReader(body))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		if !ok {
			return Relay{}, fmt.Errorf("%w: line %d %q has no '='", ErrBadBody, line, text)
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch key {
		case "signal":
			if gotSignal {
				return Relay{}, fmt.Errorf("%w: Signal given twice", ErrBadBody)
			}
			d, err := parseSignal(val)
			if err != nil {
				return Relay{}, err
			}
			out.Digit, gotSignal = d, true
		case "duration":
			ms, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return Relay{}, fmt.Errorf("%w: Duration %q is not a number of milliseconds", ErrBadBody, val)
			}
			out.Duration = time.Duration(ms) * time.Millisecond
		}
	}
	if err := sc.Err(); err != nil {
		return Relay{}, fmt.Errorf("%w: %v", ErrBadBody, err)
	}
	if !gotSignal {
		return Relay{}, fmt.Errorf("%w: no Signal line", ErrBadBody)
	}
	return out, nil
}

// ParseDTMF decodes an application/dtmf body: a single key ("5", "*"),
// optionally followed by a line break. Some phones send the event code
// ("10" for '*'); that is accepted too.
func ParseDTMF(body []byte) (rune, error) {
	if len(body) > maxBody {
		return 0, fmt.Errorf("%w: body of %d bytes is too long", ErrBadBody, len(body))
	}
	return parseSignal(strings.TrimSpace(string(body)))
}

// parseSignal accepts a key character or its RFC 4733 event code 0-16.
func parseSignal(s string) (rune, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty signal", ErrBadBody)
	}
	if len(s) == 1 {
		if c, err := Code(rune(s[0])); err == nil {
			d, _ := Digit(c)
			return d, nil
		}
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		if d, ok := Digit(uint8(n)); ok {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%w: signal %q is not a DTMF key", ErrBadBody, s)
}
