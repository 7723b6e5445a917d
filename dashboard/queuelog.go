package dashboard

import (
	"bufio"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// queueLog serves the core's Asterisk-style queue_log
// (epoch|callid|queue|agent|event|data...), whole (with Range and
// If-Modified-Since, for tools that fetch it repeatedly) or from ?since on.
func (s *Server) queueLog(w http.ResponseWriter, r *http.Request) {
	if s.cfg.QueueLogPath == "" {
		writeError(w, http.StatusServiceUnavailable, "queue_log_unavailable", "this server writes no queue_log")
		return
	}
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_since", "since must be an RFC 3339 time such as 2026-01-02T09:00:00Z")
			return
		}
		since = t.Unix()
	}
	f, err := os.Open(s.cfg.QueueLogPath)
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, http.StatusNotFound, "no_queue_log", "no queue_log has been written yet")
		return
	}
	if err != nil {
		s.log.Error("open queue_log", "path", s.cfg.QueueLogPath, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not read the queue_log")
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="queue_log"`)
	if since == 0 {
		st, err := f.Stat()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "could not read the queue_log")
			return
		}
		http.ServeContent(w, r, "queue_log", st.ModTime(), f)
		return
	}
	w.WriteHeader(http.StatusOK)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		line := sc.Text()
		epoch, _, _ := strings.Cut(line, "|")
		if t, err := strconv.ParseInt(epoch, 10, 64); err != nil || t < since {
			continue
		}
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		s.log.Warn("read queue_log", "err", err)
	}
	if err := bw.Flush(); err != nil {
		s.log.Debug("write queue_log", "err", err)
	}
}
