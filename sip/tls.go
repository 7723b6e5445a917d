package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// ServeTLS serves SIP over TLS (RFC 3261 §26) on l, a listener made with
// tls.Listen, until ctx ends. Requests over it pass the same guard and handlers
// as UDP and TCP; an agent registering over it is reached over its connection.
func (e *Edge) ServeTLS(ctx context.Context, l net.Listener) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	err := e.srv.ServeTLS(l)
	if err == nil || errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("sip tls serve: %w", err)
}
