package record

import (
	"encoding/binary"
	"io"
)

// Window sizes, in samples per channel.
const (
	// ringSamples is how much of the timeline is held in memory, open for
	// packets to land in their place.
	ringSamples = sampleRate
	// hold keeps the last 200 ms unwritten, so a packet that arrives late
	// (jitter, reordering) still lands where it belongs rather than being
	// dropped.
	hold = sampleRate / 5
	// batch is how far past hold the timeline runs before writing, so the
	// file sees a few large writes rather than one per packet.
	batch = sampleRate / 10
)

// timeline lays both channels side by side on one sample clock (sample 0 =
// when the recording began) and writes them interleaved, silence where no
// packet landed. Both channels always have the same length in the file;
// what keeps them aligned is that each packet is placed by its position in
// time, not appended.
type timeline struct {
	ring    [channels][ringSamples]int16
	written int64 // samples per channel already in the file
	end     int64 // furthest sample placed, exclusive
	out     [batch * frameBytes]byte
}

// put places pcm at sample pos of channel ch, writing to w whatever falls
// out of the window. Audio before the written part is too late and lost.
func (t *timeline) put(w io.Writer, ch int, pos int64, pcm []int16) error {
	if late := t.written - pos; late > 0 {
		if late >= int64(len(pcm)) {
			return nil
		}
		pcm, pos = pcm[late:], t.written
	}
	end := pos + int64(len(pcm))
	if over := end - t.written - ringSamples; over > 0 {
		if err := t.flush(w, t.written+over); err != nil {
			return err
		}
	}
	ring := &t.ring[ch]
	for i, s := range pcm {
		ring[(pos+int64(i))%ringSamples] = s
	}
	t.end = max(t.end, end)
	if t.end-t.written >= hold+batch {
		return t.flush(w, t.end-hold)
	}
	return nil
}

// flush writes the timeline up to sample upTo (exclusive) and clears what
// it wrote, so the ring slots come back as silence.
func (t *timeline) flush(w io.Writer, upTo int64) error {
	for t.written < upTo {
		n := min(upTo-t.written, batch)
		for i := range n {
			slot := (t.written + i) % ringSamples
			binary.LittleEndian.PutUint16(t.out[i*frameBytes:], uint16(t.ring[0][slot]))
			binary.LittleEndian.PutUint16(t.out[i*frameBytes+2:], uint16(t.ring[1][slot]))
			t.ring[0][slot], t.ring[1][slot] = 0, 0
		}
		if _, err := w.Write(t.out[:n*frameBytes]); err != nil {
			return err
		}
		t.written += n
		t.end = max(t.end, t.written)
	}
	return nil
}

// bytes is how much audio the timeline has written.
func (t *timeline) bytes() int64 { return t.written * frameBytes }
