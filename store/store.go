// Package store keeps what must survive a restart: CDRs, agent states, the audit
// log, registrations and calls in progress. The Store interface is narrow on
// purpose so a cluster store (etcd) can take bbolt's place.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrUnavailable is wrapped by the errors of a store whose backend cannot
// answer now (etcd without quorum, or unreachable): errors.Is tells it from a
// refusal. A write that failed so may still have happened; writing the same
// record again is safe (PutCDR accepts an identical CDR).
var ErrUnavailable = errors.New("store unavailable")

// ErrCDRExists is wrapped by PutCDR's refusal of a second, different CDR for
// the same call: a call has one final CDR (TransferredTo empty), and each
// transfer leg (call_id, ended_at) is written once. Two nodes recording the
// same call (its owner, and a survivor writing it as cut off) so cannot both
// succeed.
var ErrCDRExists = errors.New("a different CDR of this call is already stored")

// Store is frontdoor's persistence. Every write is durable when it returns.
type Store interface {
	PutCDR(ctx context.Context, c CDR) error
	// CDRs lists finished calls that ended at or after since, ordered by ended_at.
	CDRs(ctx context.Context, since time.Time) ([]CDR, error)
	PutAgent(ctx context.Context, a AgentRecord) error
	Agents(ctx context.Context) ([]AgentRecord, error)
	AppendAudit(ctx context.Context, r AuditRecord) error
	Audit(ctx context.Context, since time.Time) ([]AuditRecord, error)
	PutRegistration(ctx context.Context, r Registration) error
	DeleteRegistration(ctx context.Context, agentID string) error
	Registrations(ctx context.Context) ([]Registration, error)
	PutActiveCall(ctx context.Context, c ActiveCall) error
	DeleteActiveCall(ctx context.Context, callID string) error
	ActiveCalls(ctx context.Context) ([]ActiveCall, error)
	PutCallback(ctx context.Context, c Callback) error
	DeleteCallback(ctx context.Context, callID string) error
	Callbacks(ctx context.Context) ([]Callback, error)
	// ClaimCallback hands the callback rec (as read from Callbacks) to node
	// to, if the stored record is still rec.Node's at rec.Claim: the stored
	// and returned record then has Node to and Claim rec.Claim+1. Of nodes
	// claiming the same read of a callback one wins; a claim made on a read
	// older than the last claim fails. False, without error, when the
	// callback is gone or was claimed since rec was read.
	ClaimCallback(ctx context.Context, rec Callback, to string) (Callback, bool, error)
	// UpdateCallback writes rec (a retry's attempts and schedule) if the
	// stored record is still rec.Node's at rec.Claim, so a node cannot write
	// back over a claim made since it read the record. False, without
	// error, when the callback is gone or was claimed since.
	UpdateCallback(ctx context.Context, rec Callback) (bool, error)
	Close() error
}

// CDR is one finished call, with the contract's field names.
type CDR struct {
	CallID      string            `json:"call_id"`
	StartedAt   time.Time         `json:"started_at"`
	AnsweredAt  *time.Time        `json:"answered_at"`
	EndedAt     time.Time         `json:"ended_at"`
	Number      string            `json:"number"`
	Agency      string            `json:"agency"`
	Agent       string            `json:"agent"`
	Outcome     string            `json:"outcome"`
	WaitSeconds float64           `json:"wait_seconds"`
	TalkSeconds float64           `json:"talk_seconds"`
	Identity    map[string]string `json:"identity"` // nil: unverified
	// TransferredTo is set on the CDR of a leg that ended in a blind transfer:
	// the agency the caller was handed to (each leg of a call has its own CDR).
	TransferredTo string `json:"transferred_to,omitempty"`
	// Recording names the leg's recording (agency/file.wav under the recordings
	// directory; download: GET /api/v1/recordings/{agency}/{file}).
	Recording string `json:"recording,omitempty"`
	// Retried marks an unanswered callback attempt the call goes on from
	// (not stored: it only tells the store this is not the final CDR).
	Retried bool `json:"-"`
}

// Check says what makes a CDR unstorable.
func (c CDR) Check() error {
	if c.CallID == "" {
		return errors.New("CDR without call_id")
	}
	if c.EndedAt.IsZero() {
		return fmt.Errorf("CDR %s without ended_at", c.CallID)
	}
	return nil
}

// Final reports whether c is a call's last CDR, not a leg that ended in a
// blind transfer nor a callback attempt that is tried again (a call has at
// most one final CDR).
func (c CDR) Final() bool { return c.TransferredTo == "" && !c.Retried }

// AgentRecord is an agent's last known state (restored on restart).
type AgentRecord struct {
	ID     string    `json:"id"`
	State  string    `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

// AuditRecord is one append-only audit entry (identity verifications, supervisor actions).
type AuditRecord struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor,omitempty"`
	CallID string    `json:"call_id,omitempty"`
	Result string    `json:"result,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Issuer string    `json:"issuer,omitempty"`
	Digest string    `json:"digest,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Registration is where an agent's phone can be reached.
type Registration struct {
	AgentID   string    `json:"agent_id"`
	Contact   string    `json:"contact"`
	Transport string    `json:"transport"`
	Source    string    `json:"source"`
	Expires   time.Time `json:"expires"`
}

// ActiveCall is a call in progress, so a crash leaves a trace of it.
type ActiveCall struct {
	CallID    string    `json:"call_id"`
	Number    string    `json:"number"`
	From      string    `json:"from"`
	Agency    string    `json:"agency"`
	StartedAt time.Time `json:"started_at"`
	// Node is the cluster node holding the call's leg (empty on one node):
	// when that node is lost, a survivor records the call as cut off.
	Node string `json:"node,omitempty"`
	// Written again when an agent answers, so the cut-off CDR still says
	// who had the call and how long the caller waited.
	QueuedAt   *time.Time `json:"queued_at,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	Agent      string     `json:"agent,omitempty"`
}

// CutOffCDR is the record of a call in progress whose node stopped (crash,
// kill -9, power loss) at end, as far as the trace tells.
func (a ActiveCall) CutOffCDR(end time.Time, outcome string) CDR {
	cdr := CDR{CallID: a.CallID, StartedAt: a.StartedAt, EndedAt: end, Number: a.Number,
		Agency: a.Agency, Agent: a.Agent, Outcome: outcome}
	if a.QueuedAt != nil {
		until := end
		if a.AnsweredAt != nil {
			until = *a.AnsweredAt
		}
		cdr.WaitSeconds = until.Sub(*a.QueuedAt).Seconds()
	}
	if a.AnsweredAt != nil {
		at := *a.AnsweredAt
		cdr.AnsweredAt = &at
		cdr.TalkSeconds = end.Sub(at).Seconds()
	}
	return cdr
}

// Callback is a booked callback (virtual hold): the caller hung up keeping their
// place, and is called back on Number when an agent takes the call. Kept until
// the callback succeeds or its attempts run out, so a restart loses none.
type Callback struct {
	CallID    string            `json:"call_id"`
	Number    string            `json:"number"`  // where to call back
	Dialled   string            `json:"dialled"` // the number the caller had called
	Agency    string            `json:"agency"`
	Identity  map[string]string `json:"identity,omitempty"`
	BookedAt  time.Time         `json:"booked_at"`
	StartedAt time.Time         `json:"started_at"` // of the original call
	Attempts  int               `json:"attempts"`
	NextAt    time.Time         `json:"next_at"` // not before (retries)
	// Node is the cluster node waiting with the callback (empty on one
	// node): only it calls the citizen back; when it is lost, the leader
	// claims the callback for itself (ClaimCallback).
	Node string `json:"node,omitempty"`
	// Claim counts the claims: each compares it, so two nodes racing for
	// one callback cannot both win.
	Claim int `json:"claim,omitempty"`
}

// Updates decodes a callback as stored now (raw) and says whether rec may
// replace it (same node, same claim), with rec's encoding.
func (rec Callback) Updates(raw []byte) (enc []byte, ok bool, err error) {
	var c Callback
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, false, fmt.Errorf("callback %s: %w", rec.CallID, err)
	}
	if c.Node != rec.Node || c.Claim != rec.Claim {
		return nil, false, nil
	}
	enc, err = json.Marshal(rec)
	return enc, err == nil, err
}

// Claimed decodes a callback as stored now (raw) and hands it to node to,
// if it is still the one a claim read as rec; it returns the new record and
// its encoding, or ok false when it was claimed since (or is another node's).
func (rec Callback) Claimed(raw []byte, to string) (c Callback, enc []byte, ok bool, err error) {
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, nil, false, fmt.Errorf("callback %s: %w", rec.CallID, err)
	}
	if c.Node != rec.Node || c.Claim != rec.Claim {
		return c, nil, false, nil
	}
	c.Node, c.Claim = to, c.Claim+1
	enc, err = json.Marshal(c)
	return c, enc, err == nil, err
}
