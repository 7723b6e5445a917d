// Package routing is the ACD: it decides which agent gets which waiting
// call. It is pure logic: no I/O, no goroutines, no wall clock (a Clock is
// injected), and deterministic given its inputs and seed.
//
// The Engine is not safe for concurrent use. The call path serialises every
// input (one mutex around the engine) and runs a timer loop: sleep until
// NextDeadline, then call Advance. Every input returns the actions it
// caused, in order; the caller executes them in that order.
//
// # Actions
//
//   - Offer{CallID, AgentID, Queue}: ring this agent for this call. The
//     engine has already set the agent ringing (an AgentState action comes
//     first). An agent is never offered two calls; a call rings one agent,
//     or several under ring-all.
//   - CancelOffer{CallID, AgentID}: stop ringing this agent (another agent
//     answered under ring-all, the caller hung up, the ring timed out, the
//     agent logged out or went not_ready). Also the answer to Answered for
//     an offer the engine no longer holds: hang that agent leg up.
//   - Ring timeout is the engine's timer: on expiry it emits CancelOffer,
//     a QueueLog RINGNOANSWER, AgentState not_ready reason "rona" (after
//     RonaMisses misses in a row; before that ready), puts the call back at
//     the head of its queue and may offer it again at once.
//   - Answered(callID, agentID): the agent is busy (AgentState busy) and the
//     call connected; other ringing agents get CancelOffer.
//   - CallerHangup while queued or ringing: CancelOffer for ringing agents
//     and Finished(abandoned). While connected, and AgentHangup: the agent
//     goes wrap_up (then ready after the queue's wrap-up time, at once when
//     it is 0) and Finished(answered).
//   - EndCall{CallID, Outcome, Prompt}: the engine ended the call (timeout:
//     max wait; closed: outside opening hours; rejected: full, empty or
//     unknown queue with no overflow). Play Prompt ("timeout", "closed",
//     "busy") then hang up. The call is already gone from the engine and a
//     Finished with the same outcome follows.
//   - Overflow{CallID, Queue: new, From: old, Wait}: the call moved to
//     another queue. Finished is NOT emitted for the move; count outcome
//     "overflowed" against From. The call then ends in its new queue with
//     its own Finished (or moves again).
//   - Announce{CallID, Position, EWT}: tell the caller its place (1 = next)
//     and expected wait (0 = unknown). Never sent to a call that is ringing
//     an agent.
//   - Play{CallID, Prompt}: the queue's periodic message.
//   - AgentState{AgentID, State, Reason}: the agent's new state; the
//     engine is the one source of truth for agent states, and every change
//     goes through agents.Next.
//   - Finished{CallID, Queue, AgentID, Outcome, Wait, Talk}: the call left
//     the engine. Every call given to Arrive gets exactly one Finished,
//     even one refused at once (an id already in the engine is ignored).
//   - QueueLog{Line}: an Asterisk queue_log line
//     "epoch|callid|queue|agent|event|data1|data2|data3": ENTERQUEUE,
//     CONNECT, COMPLETECALLER, COMPLETEAGENT, ABANDON, EXITWITHTIMEOUT,
//     EXITEMPTY, RINGNOANSWER, TRANSFER (overflow), PAUSE, UNPAUSE,
//     ADDMEMBER, REMOVEMEMBER.
//
// # Agents
//
// Login puts an agent not_ready (reason "login"); SetReady makes it take
// calls. SetNotReady while ringing withdraws the offer without counting a
// miss; while busy it takes effect when the call ends (after no wrap-up).
// Logout while busy takes effect when the call ends, unless Login comes
// first. SetReady and SetNotReady refuse unknown and logged-out agents
// (ErrUnknownAgent, ErrLoggedOut); the other inputs ignore what they do
// not know (a stale call id, a repeated login).
//
// # Time
//
// Every input reads the clock once. Time never runs backwards for the
// engine: a clock stepped back is treated as standing still. Apply takes an
// Input (the same inputs as data, JSON-encodable) and uses its At instead
// of the clock, so replicas applying one log compute the same (package
// cluster). MarshalState and RestoreEngine save and restore the whole
// state between inputs, so a replica can start from a snapshot instead of
// the whole log; a restored engine goes on exactly as the original would.
// After a restart the
// call path rebuilds the engine and replays Login/SetReady/SetNotReady from
// the store; calls in flight at the restart are not carried over.
package routing
