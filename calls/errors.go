package calls

import "errors"

var (
	// ErrUnknownAgent: no agent with that id is configured.
	ErrUnknownAgent = errors.New("unknown agent")
	// ErrBadState: the requested state change is not allowed now.
	ErrBadState = errors.New("state change not allowed")
)
