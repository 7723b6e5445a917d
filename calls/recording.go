package calls

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/record"
)

// recorded tells whether the call's current agency records its calls.
func (s *Switchboard) recorded(agency string) bool {
	return s.cfg.Recordings != "" && s.agencies[agency].Record
}

// startRecording opens the recording of the leg about to be bridged and returns
// the endpoints to bridge (the recorder's taps) and a stop func. Without
// recording it returns the legs themselves. A recording that cannot be created is
// logged: the call goes on unrecorded rather than not at all.
func (c *Call) startRecording(caller, agent media.Endpoint) (media.Endpoint, media.Endpoint, func()) {
	s := c.sb
	c.mu.Lock()
	agency := c.agency
	c.mu.Unlock()
	if !s.recorded(agency) {
		return caller, agent, func() {}
	}
	dir := filepath.Join(s.cfg.Recordings, agency)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		s.log.Error("recording dir", "call", c.ID, "err", err)
		return caller, agent, func() {}
	}
	var rec *record.Recorder
	var name string
	for n := 1; n < 100; n++ {
		name = c.ID + ".wav"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.wav", c.ID, n) // a later leg (transfer, callback attempt)
		}
		var err error
		rec, err = record.Create(filepath.Join(dir, name), record.Config{Now: s.cfg.Now, Logger: s.log})
		if err == nil || !errors.Is(err, fs.ErrExist) {
			if err != nil {
				s.log.Error("recording", "call", c.ID, "err", err)
				return caller, agent, func() {}
			}
			break
		}
	}
	if rec == nil {
		return caller, agent, func() {}
	}
	c.mu.Lock()
	c.recording = filepath.ToSlash(filepath.Join(agency, name))
	c.mu.Unlock()
	return rec.Caller(caller), rec.Agent(agent), func() {
		if err := rec.Close(); err != nil {
			s.log.Error("recording close", "call", c.ID, "err", err)
		}
	}
}
