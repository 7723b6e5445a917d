package dashboard

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// recordingPart is one safe path element of a recording's name (agency id, file).
var recordingPart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// recording serves one call recording (supervisors and admins only):
// GET /api/v1/recordings/{agency}/{file}, the name a CDR's "recording" field holds.
// Audit: every download is an audit record, as recordings hold personal data.
func (s *Server) recording(w http.ResponseWriter, r *http.Request) {
	if s.cfg.RecordingsDir == "" {
		writeError(w, http.StatusNotFound, "recordings_disabled", "call recording is not configured")
		return
	}
	agency, file := r.PathValue("agency"), r.PathValue("file")
	if !recordingPart.MatchString(agency) || !recordingPart.MatchString(file) || filepath.Ext(file) != ".wav" {
		writeError(w, http.StatusBadRequest, "bad_name", "a recording is named {agency}/{call-id}.wav, as in the CDR")
		return
	}
	path := filepath.Join(s.cfg.RecordingsDir, agency, file)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, http.StatusNotFound, "not_found", "no such recording (never made, or past its retention)")
		return
	}
	if err != nil {
		s.log.Error("recording open", "path", path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "recording unreadable")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "recording unreadable")
		return
	}
	p := principalFrom(r.Context())
	if s.cfg.Audit != nil {
		actor := p.ID
		if actor == "" {
			actor = "admin-token"
		}
		s.cfg.Audit(r.Context(), AuditEntry{Time: s.clock.Now(), Kind: "supervisor.recording_download", Actor: actor,
			Result: "ok", Detail: agency + "/" + file})
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	http.ServeContent(w, r, file, st.ModTime(), f)
}
