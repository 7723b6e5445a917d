package record

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/g711"
)

// writer owns the file; it runs on its own goroutine.
type writer struct {
	rec     *Recorder
	f       *os.File
	buf     *bufio.Writer
	tl      timeline
	streams [channels]stream
	pcm     [maxChunk]int16
	err     error
}

func (w *writer) run(flushEvery time.Duration) {
	r := w.rec
	defer close(r.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case c := <-r.in:
			w.place(&c)
		case <-tick.C:
			w.setErr(w.buf.Flush())
		case reply := <-r.syncReq:
			w.drain()
			w.setErr(w.tl.flush(w.buf, w.tl.end-hold))
			w.setErr(w.buf.Flush())
			reply <- w.err
		case <-r.quit:
			w.drain()
			r.err = w.finish()
			return
		}
	}
}

// drain places every packet already queued.
func (w *writer) drain() {
	for {
		select {
		case c := <-w.rec.in:
			w.place(&c)
		default:
			return
		}
	}
}

func (w *writer) place(c *chunk) {
	if w.err != nil {
		return
	}
	var pcm []int16
	if c.pt == media.PCMA.PayloadType {
		pcm = g711.DecodeALaw(w.pcm[:], c.data[:c.n])
	} else {
		pcm = g711.DecodeULaw(w.pcm[:], c.data[:c.n])
	}
	arrival := int64(c.at * sampleRate / time.Second)
	pos := w.streams[c.ch].place(c.ssrc, c.ts, arrival)
	w.setErr(w.tl.put(w.buf, int(c.ch), pos, pcm))
}

func (w *writer) setErr(err error) {
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("record %s: %w", w.rec.path, err)
		w.rec.log.Error("recording stopped", "err", err)
	}
}

// finish writes the rest of the timeline, the final header, and closes
// the file.
func (w *writer) finish() error {
	w.setErr(w.tl.flush(w.buf, w.tl.end))
	w.setErr(w.buf.Flush())
	if w.err == nil {
		if n := w.tl.bytes(); n > unknownSize-36 {
			w.setErr(fmt.Errorf("%d bytes of audio do not fit a WAV file", n))
		} else {
			w.setErr(writeSizes(w.f, uint32(n)))
		}
	}
	w.setErr(w.f.Sync())
	w.setErr(w.f.Close())
	return w.err
}
