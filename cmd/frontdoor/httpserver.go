package main

import (
	"log/slog"
	"net/http"
	"time"
)

// httpLimits bound what a slow or idle HTTP client may hold. There is no
// write timeout: the SSE feed and the signalling WebSockets are long-lived,
// and a recording download may take a while on a slow link. ReadTimeout
// does not cut those: net/http lifts the read deadline for a handler's
// background read and on Hijack (TestReadTimeoutSparesLongLivedRoutes).
type httpLimits struct {
	ReadHeader     time.Duration // the request line and headers
	Read           time.Duration // the whole request, body included
	Idle           time.Duration // a keep-alive connection between requests
	MaxHeaderBytes int
}

var defaultHTTPLimits = httpLimits{
	ReadHeader:     10 * time.Second,
	Read:           30 * time.Second,
	Idle:           120 * time.Second,
	MaxHeaderBytes: 64 << 10,
}

// newHTTPServer is the node's HTTP server with lim applied.
func newHTTPServer(h http.Handler, lim httpLimits, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeader,
		ReadTimeout:       lim.Read,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
