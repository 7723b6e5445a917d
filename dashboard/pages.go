package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
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

// renderPage fills a page's shared parts (web/partials.tmpl) once, at start-up.
func renderPage(file string) ([]byte, error) {
	t, err := template.ParseFS(webFS, "web/partials.tmpl", file)
	if err != nil {
		return nil, fmt.Errorf("dashboard: embedded page %s: %w", file, err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, path.Base(file), nil); err != nil {
		return nil, fmt.Errorf("dashboard: embedded page %s: %w", file, err)
	}
	return b.Bytes(), nil
}

func (s *Server) pageRoutes() error {
	for route, file := range pages {
		body, err := renderPage(file)
		if err != nil {
			return err
		}
		s.mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(body)
		})
	}
	// static: the pages' own scripts and styles; vendor: third-party files
	// kept as their authors built them (with their licences).
	for _, dir := range []string{"static", "vendor"} {
		if err := s.fileRoutes(dir); err != nil {
			return err
		}
	}
	return nil
}

// fileRoutes serves web/<dir>/ at /<dir>/.
func (s *Server) fileRoutes(dir string) error {
	sub, err := fs.Sub(webFS, "web/"+dir)
	if err != nil {
		return fmt.Errorf("dashboard: embedded %s files: %w", dir, err)
	}
	files := http.StripPrefix("/"+dir+"/", http.FileServerFS(sub))
	s.mux.HandleFunc("GET /"+dir+"/{file...}", func(w http.ResponseWriter, r *http.Request) {
		// Files only: no directory listings.
		name := r.PathValue("file")
		if name == "" || strings.HasSuffix(name, "/") {
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		}
		if st, err := fs.Stat(sub, name); err != nil || st.IsDir() {
			writeError(w, http.StatusNotFound, "not_found", "no such file: "+name)
			return
		}
		files.ServeHTTP(w, r)
	})
	return nil
}
