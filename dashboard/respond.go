package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Request body limits: JSON commands are small; a presentation carries an
// SD-JWT with a handful of disclosures and a KB-JWT.
const (
	maxJSONBody         = 64 << 10
	maxPresentationBody = 16 << 10
)

// apiError is every error body the API sends.
type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here (a type json cannot encode).
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal","detail":"response encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, apiError{Error: code, Detail: detail})
}

// requestError is a refusal of the request itself, already carrying its
// status and code.
type requestError struct {
	status int
	code   string
	detail string
}

func (e *requestError) Error() string { return e.code + ": " + e.detail }

func (e *requestError) write(w http.ResponseWriter) { writeError(w, e.status, e.code, e.detail) }

// readBody reads at most limit bytes; more is a too_large refusal.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *requestError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &requestError{http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("request body exceeds %d bytes", limit)}
		}
		return nil, &requestError{http.StatusBadRequest, "bad_body", "reading request body: " + err.Error()}
	}
	return body, nil
}

// decodeJSON reads one JSON object into v, refusing unknown fields, trailing
// data and bodies over maxJSONBody. An empty body is allowed only when
// optional is set (v keeps its zero value).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) *requestError {
	body, rerr := readBody(w, r, maxJSONBody)
	if rerr != nil {
		return rerr
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if optional {
			return nil
		}
		return &requestError{http.StatusBadRequest, "bad_json", "request body is empty; a JSON object is required"}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !isMediaType(ct, "application/json") {
		return &requestError{http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send application/json, not " + ct}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &requestError{http.StatusBadRequest, "bad_json", err.Error()}
	}
	if dec.More() {
		return &requestError{http.StatusBadRequest, "bad_json", "trailing data after the JSON object"}
	}
	return nil
}

// isMediaType reports whether a Content-Type header names want, ignoring
// parameters and case.
func isMediaType(header, want string) bool {
	mt, _, _ := strings.Cut(header, ";")
	return strings.EqualFold(strings.TrimSpace(mt), want)
}

// Content-Security-Policy for the embedded pages: everything from this
// origin only, nothing inline, no framing. API answers get the strictest form.
const (
	pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
)

func securityHeaders(h http.Header, path string) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(path, "/api/") || path == "/metrics" || path == "/healthz" || path == "/readyz" {
		h.Set("Content-Security-Policy", apiCSP)
		h.Set("Cache-Control", "no-store")
		return
	}
	h.Set("Content-Security-Policy", pageCSP)
}
