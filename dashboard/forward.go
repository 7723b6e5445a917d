package dashboard

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/frontdoor-project/frontdoor/calls"
)

// ownerRetryAfter is the Retry-After of a call action its node could not
// take: a node that died has its calls ended by the cluster within a few
// seconds (the call is then gone: 404), one that was slow may answer again.
const ownerRetryAfter = 5

// callActionError maps the errors every action on a call can give, wherever
// the call is held: no such call (404), and in a cluster the call's node
// gone (503 owner_unavailable) or silent (504 owner_timeout), both with
// Retry-After. ok false: err is the action's own, for the caller to map.
func callActionError(w http.ResponseWriter, err error) (status int, code string, ok bool) {
	switch {
	case errors.Is(err, calls.ErrUnknownCall):
		return http.StatusNotFound, "unknown_call", true
	case errors.Is(err, calls.ErrOwnerGone):
		status, code = http.StatusServiceUnavailable, "owner_unavailable"
	case errors.Is(err, calls.ErrOwnerTimeout):
		status, code = http.StatusGatewayTimeout, "owner_timeout"
	default:
		return 0, "", false
	}
	w.Header().Set("Retry-After", strconv.Itoa(ownerRetryAfter))
	return status, code, true
}
