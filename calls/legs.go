package calls

import (
	"context"

	"github.com/frontdoor-project/frontdoor/media"
)

// CallerLeg is the citizen's side of a call, already answered by its edge (SIP or WebRTC).
type CallerLeg interface {
	Media() media.Endpoint
	// Hangup ends the leg from our side (BYE); safe to call twice.
	Hangup(ctx context.Context) error
	// Done is closed when the caller hung up or the leg died.
	Done() <-chan struct{}
}

// AgentLeg is an answered call to an agent.
type AgentLeg interface {
	Media() media.Endpoint
	Hangup(ctx context.Context) error
	Done() <-chan struct{}
}

// Offer is what an agent's phone is told about the call that rings it.
type Offer struct {
	CallID   string
	Agency   string
	From     string // caller's number / display
	Verified bool
	Identity map[string]string
	Waited   float64 // seconds in queue so far
	// History lists earlier legs as "agency/agent", oldest first (transfers).
	History []string
	// Callback is the number a booked callback will call (the agent is
	// connected first, then the citizen is called); "" for a live caller.
	Callback string
	// Codec the caller's leg uses: offered first so the bridge needs no transcoding.
	Codec media.Codec
}

// AgentDialer rings one agent. Dial blocks until the agent answers (a leg),
// refuses or fails (an error), or ctx ends (the offer was withdrawn: the dialer
// cancels the ringing and returns ctx.Err()).
type AgentDialer interface {
	Dial(ctx context.Context, agentID string, o Offer) (AgentLeg, error)
}

// Audio plays prompts; implemented over media's player by NewAudio.
type Audio interface {
	// Play plays the named prompts in order, paced in real time; it returns when
	// done or when ctx ends. Unknown names are skipped with a log line.
	Play(ctx context.Context, ep media.Endpoint, names ...string) error
	// Loop plays a prompt again and again until ctx ends (hold music).
	Loop(ctx context.Context, ep media.Endpoint, name string) error
}

// Identity is the verification step's view of the identity service.
type Identity interface {
	// Start opens a session bound to this call; the code is read out to
	// the caller. asserted is the caller's number when the network asserted
	// it (a trusted trunk's P-Asserted-Identity), else "": only then may
	// the session be pushed to that number's wallet, and match is the
	// number the IVR says so the citizen can tell the push is theirs
	// ("" when nothing was pushed).
	Start(ctx context.Context, callID, asserted string) (sessionID, code, match string, err error)
	// Wait blocks until the session is verified (claims) or ctx ends / the session expires.
	Wait(ctx context.Context, sessionID string) (map[string]string, error)
}

// IdentityTexter is an Identity that can also text a session's wallet link
// to the caller (identity.sms). The IVR offers it only to a caller whose
// number a trusted trunk asserted: a typed From would make us text a
// stranger.
type IdentityTexter interface {
	// TextsTo reports whether a text may be offered to number: a channel
	// is configured and the destination policy allows the number.
	TextsTo(number string) bool
	// TextLink sends the session's wallet link to number and returns the
	// match number the text shows, which the IVR then says.
	TextLink(ctx context.Context, callID, sessionID, number string) (match string, err error)
}
