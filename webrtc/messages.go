package webrtc

import (
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/frontdoor-project/frontdoor/calls"
)

// msg is every signalling message, both ways; Type says which fields count
// (README.md lists them). One struct keeps decoding to one step.
type msg struct {
	Type string `json:"type"`

	// SDP and ICE.
	SDP       string                 `json:"sdp,omitempty"`
	Candidate *pion.ICECandidateInit `json:"candidate,omitempty"`

	// Errors: a code from README.md and words for people.
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty"`

	// hello.
	Role     string       `json:"role,omitempty"`
	Agencies []agencyInfo `json:"agencies,omitempty"`
	Identity bool         `json:"identity,omitempty"` // the page may offer a digital-ID check

	// Verification (caller page).
	Code      string            `json:"code,omitempty"`
	ExpiresAt *time.Time        `json:"expires_at,omitempty"`
	Claims    map[string]string `json:"claims,omitempty"`
	// OpenID4VP (when configured): the link for a wallet on this device,
	// the request object's URL (the Digital Credentials API button fetches
	// it) and the QR code image of the link for a wallet on another device.
	WalletURL  string `json:"wallet_url,omitempty"`
	RequestURI string `json:"request_uri,omitempty"`
	QR         string `json:"qr,omitempty"`
	// The Digital Credentials API button's routes (relative): the
	// session's request for navigator.credentials.get, and where the page
	// posts the wallet's answer.
	DCRequest  string `json:"dc_request,omitempty"`
	DCResponse string `json:"dc_response,omitempty"`

	// Calls.
	CallID     string            `json:"call_id,omitempty"`
	State      string            `json:"state,omitempty"`
	Agency     string            `json:"agency,omitempty"`
	AgencyName string            `json:"agency_name,omitempty"`
	From       string            `json:"from,omitempty"`
	Position   int               `json:"position,omitempty"`
	EWT        *float64          `json:"ewt_seconds,omitempty"`
	Waited     *float64          `json:"waited_seconds,omitempty"`
	Verified   *bool             `json:"verified,omitempty"`
	Caller     map[string]string `json:"caller,omitempty"` // verified identity (screen pop)
	Reason     string            `json:"reason,omitempty"`
	On         *bool             `json:"on,omitempty"` // hold

	// Agent page.
	Agent        *calls.AgentStatus `json:"agent,omitempty"`
	WrapupEndsAt *time.Time         `json:"wrapup_ends_at,omitempty"`
}

// agencyInfo is one line of the menu the caller page shows next to its keypad.
type agencyInfo struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Digit string `json:"digit"`
}

// Message types.
const (
	tHello        = "hello"
	tError        = "error"
	tOffer        = "offer"
	tAnswer       = "answer"
	tCandidate    = "candidate"
	tVerify       = "verify"
	tVerification = "verification"
	tVerified     = "verified"
	tCall         = "call"
	tHangup       = "hangup"
	tEnded        = "ended"
	tAgentState   = "agent"
	tIncoming     = "incoming"
	tAccept       = "accept"
	tReject       = "reject"
	tWithdrawn    = "withdrawn"
	tConnected    = "connected"
	tHold         = "hold"
	tPing         = "ping"
	tPong         = "pong"
)

func ptr[T any](v T) *T { return &v }
