package media

import (
	"errors"
	"fmt"
	"net"
	"sync"
)

// ErrNoPorts is returned by PortPool.Listen when every port in the range is
// taken.
var ErrNoPorts = errors.New("media: no free RTP port in range")

// PortPool hands out UDP sockets on even ports of a range (media.rtp_ports).
// Ports are not tracked after hand-out: the kernel knows which are bound, so
// a port comes back to the pool when its socket is closed. The odd port
// above each is left alone for RTCP-aware peers that expect RTP+1 free.
type PortPool struct {
	ip     net.IP
	lo, hi int // even lo, inclusive hi

	mu   sync.Mutex
	next int
}

// NewPortPool returns a pool over [lo, hi] on ip ("" or "0.0.0.0" for all
// interfaces).
func NewPortPool(ip string, lo, hi int) *PortPool {
	if lo%2 != 0 {
		lo++
	}
	return &PortPool{ip: net.ParseIP(ip), lo: lo, hi: hi, next: lo}
}

// Listen binds the next free even port, starting after the one handed out
// last and wrapping around at the end of the range, so a just-closed port
// is not reused at once (late packets of the old call would reach a new
// one). Safe for concurrent use.
func (p *PortPool) Listen() (*net.UDPConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hi < p.lo {
		return nil, fmt.Errorf("%w: empty range %d-%d", ErrNoPorts, p.lo, p.hi)
	}
	n := (p.hi-p.lo)/2 + 1
	var lastErr error
	for range n {
		port := p.next
		p.next += 2
		if p.next > p.hi {
			p.next = p.lo
		}
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: p.ip, Port: port})
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("%w %d-%d (last: %v)", ErrNoPorts, p.lo, p.hi, lastErr)
}
