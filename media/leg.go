package media

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/frontdoor-project/frontdoor/media/dtmf"
)

// ErrInactive is the leg's Err after the RTP inactivity timeout.
var ErrInactive = errors.New("media: no RTP received within the timeout")

// ErrHeldTooLong is the leg's Err after it was on hold for LegConfig.HoldTimeout.
var ErrHeldTooLong = errors.New("media: on hold longer than the hold timeout")

// ErrClosed is returned by writes on a closed leg.
var ErrClosed = errors.New("media: leg closed")

// LegConfig configures an RTP leg.
type LegConfig struct {
	// Remote is the negotiated address of the peer (from its SDP). Inbound
	// packets are only accepted from it; outbound ones go to it.
	Remote *net.UDPAddr
	// Codec is the negotiated audio codec, the one the leg sends.
	Codec Codec
	// DTMFPayloadType is the negotiated telephone-event PT; 0 for none.
	DTMFPayloadType uint8
	// Timeout closes the leg when no RTP arrives for this long; 0 = never.
	// (A phone that puts us on hold may stop sending: the signalling layer
	// should lift the timeout for sendonly/inactive streams.)
	Timeout time.Duration
	// HoldTimeout ends a leg that has been on hold (SetHeld) this long: a held
	// call sends no RTP, so without it hold would lift Timeout forever. 0 = never.
	HoldTimeout time.Duration
	Logger      *slog.Logger
	// Stats is shared by all legs for metrics; may be nil.
	Stats *Stats
	// Latch is the hook for symmetric RTP (comedia): when a packet arrives
	// from an address other than Remote, Latch is asked; if it returns true
	// the leg adopts that address as its remote for both directions. nil
	// drops such packets: the "RTP bleed" defence, the safe default when
	// signalling gave us the peer's real address.
	Latch func(from netip.AddrPort) bool
}

// RTPLeg is an Endpoint over one UDP socket, speaking plain RTP to one peer.
type RTPLeg struct {
	conn  *net.UDPConn
	cfg   LegConfig
	log   *slog.Logger
	stats *Stats

	sink   atomic.Pointer[func(*rtp.Packet)]
	onDTMF atomic.Pointer[func(rune)]
	remote atomic.Pointer[netip.AddrPort] // nil until known
	held   atomic.Bool                    // on hold: the peer may send nothing
	heldAt atomic.Int64                   // unix nanoseconds the hold began

	tx txStream

	startOnce sync.Once
	closeOnce sync.Once
	done      chan struct{}
	err       atomic.Pointer[error]
	stopCtx   atomic.Pointer[func() bool] // unregisters Start's context hook
}

var _ Endpoint = (*RTPLeg)(nil)

// NewRTPLeg wraps conn (from PortPool.Listen) as a leg. It does not read
// until Start.
func NewRTPLeg(conn *net.UDPConn, cfg LegConfig) *RTPLeg {
	if cfg.Codec.Name == "" {
		cfg.Codec = PCMU
	}
	if cfg.Codec.ClockRate == 0 {
		cfg.Codec.ClockRate = sampleRate
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &RTPLeg{
		conn:  conn,
		cfg:   cfg,
		log:   log.With("rtp_local", conn.LocalAddr().String()),
		stats: cfg.Stats,
		done:  make(chan struct{}),
	}
	l.tx.init(cfg.Codec)
	if cfg.Remote != nil {
		l.SetRemote(cfg.Remote)
	}
	return l
}

// Start begins reading; the leg closes when ctx ends. Calling it again does
// nothing.
func (l *RTPLeg) Start(ctx context.Context) {
	l.startOnce.Do(func() {
		// The hook may fire (and read stopCtx in end) before AfterFunc
		// returns, hence the atomic.
		stop := context.AfterFunc(ctx, func() { l.Close() })
		l.stopCtx.Store(&stop)
		go l.readLoop()
	})
}

// SetRemote changes the peer address (a re-INVITE moved the media).
func (l *RTPLeg) SetRemote(addr *net.UDPAddr) {
	ap := addr.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	l.remote.Store(&ap)
}

// SetHeld marks the leg on hold (the peer's SDP said sendonly, inactive or
// c=0.0.0.0): it may stop sending, so RTP inactivity must not end the call.
// The timeout starts afresh when the hold ends.
// A hold longer than LegConfig.HoldTimeout ends the leg (ErrHeldTooLong).
func (l *RTPLeg) SetHeld(held bool) {
	if held && !l.held.Load() {
		l.heldAt.Store(time.Now().UnixNano())
	}
	l.held.Store(held)
}

// Codec returns the negotiated codec.
func (l *RTPLeg) Codec() Codec { return l.cfg.Codec }

// LocalAddr is the leg's socket address.
func (l *RTPLeg) LocalAddr() *net.UDPAddr { return l.conn.LocalAddr().(*net.UDPAddr) }

// SetSink sets the inbound audio handler; nil drops audio.
func (l *RTPLeg) SetSink(f func(p *rtp.Packet)) {
	if f == nil {
		l.sink.Store(nil)
		return
	}
	l.sink.Store(&f)
}

// OnDTMF sets the key press handler; nil ignores key presses.
func (l *RTPLeg) OnDTMF(f func(digit rune)) {
	if f == nil {
		l.onDTMF.Store(nil)
		return
	}
	l.onDTMF.Store(&f)
}

// Done is closed when the leg is closed or timed out.
func (l *RTPLeg) Done() <-chan struct{} { return l.done }

// Err says why the leg ended: nil while running or after Close, ErrInactive
// after the inactivity timeout, or the socket error that stopped reading.
func (l *RTPLeg) Err() error {
	if e := l.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Close stops the leg and closes its socket; safe to call more than once.
func (l *RTPLeg) Close() error { return l.end(nil) }

func (l *RTPLeg) end(reason error) error {
	var err error
	l.closeOnce.Do(func() {
		if reason != nil {
			l.err.Store(&reason)
			l.log.Info("rtp leg ended", "reason", reason)
		}
		if stop := l.stopCtx.Load(); stop != nil {
			(*stop)()
		}
		l.tx.close()
		err = l.conn.Close()
		close(l.done)
	})
	return err
}

func (l *RTPLeg) readLoop() {
	buf := make([]byte, maxPacketBytes)
	var (
		pkt     rtp.Packet
		keys    dtmf.Receiver
		lastRx  = time.Now()
		armedAt time.Time
	)
	timeout, hold := l.cfg.Timeout, l.cfg.HoldTimeout
	// The read deadline wakes the loop to check both limits.
	tick := timeout
	if hold > 0 && (tick == 0 || hold < tick) {
		tick = hold
	}
	if tick > 0 {
		armedAt = lastRx
		l.conn.SetReadDeadline(armedAt.Add(tick))
	}
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if tick > 0 && errors.As(err, &ne) && ne.Timeout() {
				now := time.Now()
				if l.held.Load() {
					lastRx = now // silence on hold is expected, up to the hold timeout
					if heldFor := now.Sub(time.Unix(0, l.heldAt.Load())); hold > 0 && heldFor >= hold {
						l.end(ErrHeldTooLong)
						return
					}
				}
				if timeout > 0 && now.Sub(lastRx) >= timeout {
					l.end(ErrInactive)
					return
				}
				armedAt = now
				next := tick
				if l.held.Load() && hold > 0 {
					next = min(next, hold-now.Sub(time.Unix(0, l.heldAt.Load())))
				} else if timeout > 0 {
					next = min(next, timeout-now.Sub(lastRx))
				}
				l.conn.SetReadDeadline(armedAt.Add(max(next, time.Millisecond)))
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				l.end(nil)
			} else {
				l.end(err)
			}
			return
		}
		if !l.accept(from) {
			l.dropped()
			continue
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil || pkt.Version != 2 {
			l.dropped()
			continue
		}
		if tick > 0 {
			lastRx = time.Now()
			// A held peer may keep sending (music on hold): the hold limit
			// counts all the same.
			if hold > 0 && l.held.Load() && lastRx.Sub(time.Unix(0, l.heldAt.Load())) >= hold {
				l.end(ErrHeldTooLong)
				return
			}
			// Re-arming costs a syscall-free but locked runtime call;
			// doing it every quarter tick keeps it off the per-packet path.
			if lastRx.Sub(armedAt) > tick/4 {
				armedAt = lastRx
				l.conn.SetReadDeadline(armedAt.Add(tick))
			}
		}
		l.deliver(&pkt, &keys)
	}
}

// accept applies the source check: only the negotiated remote may send,
// unless the Latch hook adopts a new one.
func (l *RTPLeg) accept(from netip.AddrPort) bool {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if r := l.remote.Load(); r != nil && *r == from {
		return true
	}
	if l.cfg.Latch != nil && l.cfg.Latch(from) {
		latched := from // a copy, so the hot path's from stays on the stack
		l.log.Info("rtp remote latched", "from", latched.String())
		l.remote.Store(&latched)
		return true
	}
	return false
}

// deliver routes one accepted packet: telephone-events to the DTMF
// handler, G.711 audio to the sink, anything else (comfort noise, stray
// payload types) nowhere.
func (l *RTPLeg) deliver(p *rtp.Packet, keys *dtmf.Receiver) {
	if l.stats != nil {
		l.stats.RxPackets.Add(1)
	}
	pt := p.PayloadType
	if l.cfg.DTMFPayloadType != 0 && pt == l.cfg.DTMFPayloadType {
		if d, ok := keys.Feed(p.Timestamp, p.Marker, p.Payload); ok {
			if f := l.onDTMF.Load(); f != nil {
				(*f)(d)
			}
		}
		return
	}
	if !isG711(pt) {
		return
	}
	if f := l.sink.Load(); f != nil {
		(*f)(p)
	}
}

func (l *RTPLeg) dropped() {
	if l.stats != nil {
		l.stats.Dropped.Add(1)
	}
}
