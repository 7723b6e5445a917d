package dashboard

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed web
var webFS embed.FS

// pages maps each page's path to its file under web/.
var pages = map[string]string{
	"/{$}":   "web/index.html", // supervisor dashboard
	"/agent": "web/agent.html", // agent: own state, current call, caller verification (audio: WebRTC later)
	"/call":  "web/call.html",  // citizen web caller (WebRTC: a later issue)
}

func (s *Server) pageRoutes() error {
	for path, file := range pages {
		body, err := webFS.ReadFile(file)
		if err != nil {
			return fmt.Errorf("dashboard: embedded page %s: %w", file, err)
		}
		s.mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(body)
		})
	}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return fmt.Errorf("dashboard: embedded static files: %w", err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	s.mux.HandleFunc("GET /static/{file...}", func(w http.ResponseWriter, r *http.Request) {
		// Files only: no directory listings.
		name := r.PathValue("file")
		if name == "" || strings.HasSuffix(name, "/") {
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		}
		if st, err := fs.Stat(static, name); err != nil || st.IsDir() {
			writeError(w, http.StatusNotFound, "not_found", "no such file: "+name)
			return
		}
		files.ServeHTTP(w, r)
	})
	return nil
}
