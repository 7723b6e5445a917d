package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Request is what a wallet needs to answer a verification session, as
// GET /api/v1/identity/codes/{code} returns it.
type Request struct {
	ID     string   `json:"id"`
	Nonce  string   `json:"nonce"`
	Aud    string   `json:"aud"`
	Claims []string `json:"claims"`
}

// Answer is the server's reply to a presentation.
type Answer struct {
	Verified bool              `json:"verified"`
	Claims   map[string]string `json:"claims,omitempty"`
	Error    string            `json:"error,omitempty"`
	Detail   string            `json:"detail,omitempty"`
	// Status is the HTTP status the answer came with.
	Status int `json:"-"`
	// Body is the answer as sent, for printing.
	Body []byte `json:"-"`
}

// Client talks to a frontdoor server's identity API.
type Client struct {
	HTTP   *http.Client
	Server string // base URL, e.g. http://127.0.0.1:8080
}

// MaxAnswerBytes bounds a server reply.
const MaxAnswerBytes = 1 << 20

// Lookup asks which session a code read out on the phone belongs to.
func (c Client) Lookup(ctx context.Context, code string) (Request, error) {
	u := strings.TrimRight(c.Server, "/") + "/api/v1/identity/codes/" + url.PathEscape(code)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Request{}, fmt.Errorf("lookup code: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	body, status, err := c.do(req)
	if err != nil {
		return Request{}, fmt.Errorf("lookup code: %w", err)
	}
	if status != http.StatusOK {
		return Request{}, fmt.Errorf("lookup code %s: server answered %d: %s", code, status, strings.TrimSpace(string(body)))
	}
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return Request{}, fmt.Errorf("lookup code: answer: %w", err)
	}
	if r.ID == "" || r.Nonce == "" || r.Aud == "" {
		return Request{}, fmt.Errorf("lookup code: answer lacks id, nonce or aud")
	}
	return r, nil
}

// Submit posts a presentation to a session. A refusal is an Answer with
// Verified false, not an error; errors are transport or protocol failures.
func (c Client) Submit(ctx context.Context, sessionID, presentation string) (Answer, error) {
	u := strings.TrimRight(c.Server, "/") + "/api/v1/identity/sessions/" + url.PathEscape(sessionID) + "/presentation"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(presentation))
	if err != nil {
		return Answer{}, fmt.Errorf("submit: %w", err)
	}
	req.Header.Set("Content-Type", "application/dc+sd-jwt")
	req.Header.Set("Accept", "application/json")
	body, status, err := c.do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("submit: %w", err)
	}
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil {
		return Answer{}, fmt.Errorf("submit: server answered %d with non-JSON: %s", status, strings.TrimSpace(string(body)))
	}
	a.Status, a.Body = status, bytes.TrimSpace(body)
	if a.Verified && status != http.StatusOK {
		return a, fmt.Errorf("submit: server said verified with status %d", status)
	}
	return a, nil
}

func (c Client) do(req *http.Request) ([]byte, int, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("reading answer: %w", err)
	}
	return body, resp.StatusCode, nil
}
