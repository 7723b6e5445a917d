package prompts

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/tones"
)

// agencies are the demo config's agency ids; each needs its name clip.
var agencies = []string{"tax", "customs", "immigration", "military-manpower", "police-civil",
	"employment-labor", "health-insurance", "national-pension", "legal-aid", "consumer", "civil"}

func required() []string {
	names := []string{"welcome", "menu-intro", "star", "hash", "for", "press", "then", "invalid",
		"no-input", "goodbye", "please-hold", "position", "in-queue", "ewt", "minutes", "minute",
		"seconds", "less-than-a-minute", "closed", "timeout", "busy", "identity-offer", "identity-code",
		"identity-wait", "identity-match", "identity-ok", "identity-failed", "identity-required", "repeat",
		"identity-sms-offer", "identity-sms-sent", "identity-sms-failed", HoldMusic}
	for _, a := range agencies {
		names = append(names, "agency-"+a)
	}
	for i := range 10 {
		names = append(names, fmt.Sprintf("digit-%d", i))
	}
	for i := range 21 {
		names = append(names, fmt.Sprintf("number-%d", i))
	}
	for _, n := range []int{30, 40, 50, 60} {
		names = append(names, fmt.Sprintf("number-%d", n))
	}
	return names
}

func TestEmbeddedHasEveryPromptWithSound(t *testing.T) {
	s, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range required() {
		c, ok := s.Get(name)
		if !ok {
			t.Errorf("prompt %q missing", name)
			continue
		}
		if d := c.Duration(); d < 200*time.Millisecond || d > 12*time.Second {
			t.Errorf("prompt %q lasts %v", name, d)
		}
		// Spoken audio: some 20 ms frame well above the silence floor.
		loud := false
		for off := 0; off+160 <= len(c.PCM) && !loud; off += 160 {
			loud = tones.Energy(c.PCM[off:off+160]) > 10*tones.MinEnergy
		}
		if !loud {
			t.Errorf("prompt %q is silent", name)
		}
		if len(c.Encoded(media.PCMU)) != len(c.PCM) || len(c.Encoded(media.PCMA)) != len(c.PCM) {
			t.Errorf("prompt %q not encoded for both codecs", name)
		}
	}
	if _, ok := s.Get("no-such-prompt"); ok {
		t.Error("unknown name found")
	}
	clips, missing := s.Clips("welcome", "nope", "goodbye")
	if len(clips) != 2 || len(missing) != 1 || missing[0] != "nope" {
		t.Errorf("Clips: %d clips, missing %v", len(clips), missing)
	}
}

func TestLoadOverridesFromDirectory(t *testing.T) {
	dir := t.TempDir()
	tone := tones.Sine(1000, 8000, 4000)
	if err := os.WriteFile(filepath.Join(dir, "welcome.wav"), pcmWAV(tone), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.wav"), pcmWAV(tone[:800]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.Get("welcome")
	if len(w.PCM) != 4000 || !tones.Dominates(w.PCM[:160], 1000) {
		t.Fatalf("welcome not overridden: %d samples", len(w.PCM))
	}
	if _, ok := s.Get("extra"); !ok {
		t.Fatal("added prompt not loaded")
	}
	if _, ok := s.Get("goodbye"); !ok {
		t.Fatal("embedded prompt lost by override")
	}
}

func TestLoadRefusesWrongFormat(t *testing.T) {
	dir := t.TempDir()
	wav := pcmWAV(make([]int16, 100))
	binary.LittleEndian.PutUint32(wav[24:], 16000) // claim 16 kHz
	if err := os.WriteFile(filepath.Join(dir, "welcome.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if !errors.Is(err, media.ErrBadWAV) {
		t.Fatalf("16 kHz file: err = %v, want ErrBadWAV", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing directory accepted")
	}
}

// pcmWAV writes a minimal 8 kHz mono 16-bit WAV file.
func pcmWAV(pcm []int16) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*len(pcm)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(8000))
	le(uint32(16000))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * len(pcm)))
	le(pcm)
	return b.Bytes()
}
