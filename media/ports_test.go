package media

import (
	"errors"
	"net"
	"sync"
	"testing"
)

func TestPortPoolEvenPortsWrapAndExhaust(t *testing.T) {
	base := testPool(t).lo
	pool := NewPortPool("127.0.0.1", base+1, base+6) // odd lo: starts at base+2; ports base+2, +4, +6
	var conns []*net.UDPConn
	for range 3 {
		c, err := pool.Listen()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		if p := c.LocalAddr().(*net.UDPAddr).Port; p != base+2+2*i {
			t.Fatalf("socket %d on port %d, want %d", i, p, base+2+2*i)
		}
	}
	_, err := pool.Listen()
	if !errors.Is(err, ErrNoPorts) {
		t.Fatalf("4th Listen in a 3-port range: %v, want ErrNoPorts", err)
	}
	// Freeing the middle port makes it the only one; the pool wraps to it.
	conns[1].Close()
	c, err := pool.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if p := c.LocalAddr().(*net.UDPAddr).Port; p != base+4 {
		t.Fatalf("after wrap got port %d, want %d", p, base+4)
	}
	c.Close()
	conns[0].Close()
	conns[2].Close()

	if _, err := NewPortPool("127.0.0.1", 5000, 4000).Listen(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("empty range: %v", err)
	}
}

func TestPortPoolConcurrentListensGetDistinctPorts(t *testing.T) {
	pool := testPool(t)
	const n = 64
	var (
		mu    sync.Mutex
		seen  = map[int]bool{}
		wg    sync.WaitGroup
		conns = make(chan *net.UDPConn, n)
	)
	for range n {
		wg.Go(func() {
			c, err := pool.Listen()
			if err != nil {
				t.Error(err)
				return
			}
			conns <- c
			port := c.LocalAddr().(*net.UDPAddr).Port
			mu.Lock()
			defer mu.Unlock()
			if seen[port] || port%2 != 0 {
				t.Errorf("port %d handed out twice or odd", port)
			}
			seen[port] = true
		})
	}
	wg.Wait()
	close(conns)
	for c := range conns {
		c.Close()
	}
	if len(seen) != n {
		t.Fatalf("%d distinct ports for %d listens", len(seen), n)
	}
}
