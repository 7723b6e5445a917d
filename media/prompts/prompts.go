// Package prompts holds the IVR's recorded prompts: 8 kHz mono µ-law WAV
// files made by gen.sh (espeak-ng + sox) and embedded in the binary, plus
// an optional override directory with files of the same names.
//
// A prompt's name is its file's base name: "welcome", "menu-intro",
// "agency-<agency id>", "digit-0".."digit-9", "star", "hash", "for",
// "press", "then", "number-0".."number-20", "number-30".."number-60",
// "minute(s)", "identity-*", "hold" (the hold music) and so on; Names
// lists them all.
package prompts

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/frontdoor-project/frontdoor/media"
)

//go:embed audio/*.wav
var embedded embed.FS

// Clip is one decoded prompt, ready to play in either G.711 law.
type Clip = media.Prompt

// HoldMusic is the name of the generated hold music loop.
const HoldMusic = "hold"

// Set is a read-only collection of clips by name; safe for concurrent use.
type Set struct {
	clips map[string]Clip
}

// Embedded returns the prompts built into the binary.
func Embedded() (*Set, error) {
	s := &Set{clips: map[string]Clip{}}
	if err := s.addFS(embedded, "audio"); err != nil {
		return nil, fmt.Errorf("embedded prompts: %w", err)
	}
	return s, nil
}

// Load returns the embedded prompts with the WAV files in dir (8 kHz mono;
// 16-bit PCM, µ-law or A-law) replacing or adding to them by base name.
// dir "" means the embedded prompts only.
func Load(dir string) (*Set, error) {
	s, err := Embedded()
	if err != nil || dir == "" {
		return s, err
	}
	if err := s.addFS(os.DirFS(dir), "."); err != nil {
		return nil, fmt.Errorf("prompts directory %s: %w", dir, err)
	}
	return s, nil
}

func (s *Set) addFS(fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(path.Ext(e.Name()), ".wav") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		clip, err := media.LoadPrompt(name, data)
		if err != nil {
			return err
		}
		s.clips[name] = clip
	}
	return nil
}

// Get returns the clip called name.
func (s *Set) Get(name string) (Clip, bool) {
	c, ok := s.clips[name]
	return c, ok
}

// Clips returns the named clips in order, and the names it does not know.
func (s *Set) Clips(names ...string) (clips []Clip, missing []string) {
	for _, n := range names {
		if c, ok := s.clips[n]; ok {
			clips = append(clips, c)
		} else {
			missing = append(missing, n)
		}
	}
	return clips, missing
}

// Names lists every clip name, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.clips))
	for n := range s.clips {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
