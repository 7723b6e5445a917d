package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/frontdoor-project/frontdoor/media"
)

// The file format: canonical 44-byte WAV header, PCM, 2 channels (left the
// caller, right the agent), 8000 Hz, 16-bit little endian samples.
const (
	headerBytes   = 44
	channels      = 2
	sampleRate    = 8000
	bitsPerSample = 16
	frameBytes    = channels * bitsPerSample / 8 // one sample of each channel
	// BytesPerSecond is what a second of call costs on disk.
	BytesPerSecond = sampleRate * frameBytes
)

// unknownSize is written in both size fields while recording, the
// convention for a WAV stream of unknown length: readers (ffmpeg, sox,
// ReadWAV) then take the data to the end of the file. Close, or Repair
// after a crash, replaces them with the real sizes.
const unknownSize = 0xFFFFFFFF

// header returns the WAV header for dataBytes of audio.
func header(dataBytes uint32) [headerBytes]byte {
	var h [headerBytes]byte
	riff := uint32(unknownSize)
	if dataBytes != unknownSize {
		riff = 36 + dataBytes
	}
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], riff)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], channels)
	binary.LittleEndian.PutUint32(h[24:], sampleRate)
	binary.LittleEndian.PutUint32(h[28:], BytesPerSecond)
	binary.LittleEndian.PutUint16(h[32:], frameBytes)
	binary.LittleEndian.PutUint16(h[34:], bitsPerSample)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// ReadWAV decodes a recording: a stereo 8 kHz 16-bit PCM WAV file, left
// and right channel. A data chunk whose size is unknown (0xFFFFFFFF, a
// recording still open or cut short by a crash) runs to the end of the
// file, whole frames only. Every error wraps media.ErrBadWAV.
func ReadWAV(data []byte) (left, right []int16, err error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, nil, fmt.Errorf("%w: not a RIFF/WAVE file", media.ErrBadWAV)
	}
	haveFmt := false
	for rest := data[12:]; len(rest) >= 8; {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		rest = rest[8:]
		if id == "data" {
			if !haveFmt {
				return nil, nil, fmt.Errorf("%w: data before fmt chunk", media.ErrBadWAV)
			}
			if size != unknownSize {
				if uint64(size) > uint64(len(rest)) {
					return nil, nil, fmt.Errorf("%w: data chunk of %d bytes, %d in the file", media.ErrBadWAV, size, len(rest))
				}
				rest = rest[:size]
			}
			left, right = deinterleave(rest)
			return left, right, nil
		}
		if uint64(size) > uint64(len(rest)) {
			return nil, nil, fmt.Errorf("%w: chunk %q of %d bytes overruns the file", media.ErrBadWAV, id, size)
		}
		if id == "fmt " {
			if err := checkFormat(rest[:size]); err != nil {
				return nil, nil, err
			}
			haveFmt = true
		}
		rest = rest[min(uint64(size)+uint64(size&1), uint64(len(rest))):] // chunks are word aligned
	}
	return nil, nil, fmt.Errorf("%w: no data chunk", media.ErrBadWAV)
}

func checkFormat(body []byte) error {
	if len(body) < 16 {
		return fmt.Errorf("%w: fmt chunk of %d bytes", media.ErrBadWAV, len(body))
	}
	format := binary.LittleEndian.Uint16(body[0:])
	ch := binary.LittleEndian.Uint16(body[2:])
	rate := binary.LittleEndian.Uint32(body[4:])
	bits := binary.LittleEndian.Uint16(body[14:])
	if format != 1 || ch != channels || rate != sampleRate || bits != bitsPerSample {
		return fmt.Errorf("%w: format %d, %d channel(s), %d Hz, %d bits; want PCM, 2 channels, 8000 Hz, 16 bits",
			media.ErrBadWAV, format, ch, rate, bits)
	}
	return nil
}

func deinterleave(body []byte) (left, right []int16) {
	n := len(body) / frameBytes
	left, right = make([]int16, n), make([]int16, n)
	for i := range n {
		left[i] = int16(binary.LittleEndian.Uint16(body[i*frameBytes:]))
		right[i] = int16(binary.LittleEndian.Uint16(body[i*frameBytes+2:]))
	}
	return left, right
}

// ErrNotRecording is returned by Repair for a file this package did not
// write.
var ErrNotRecording = errors.New("record: not a recording made by this package")

// Repair finalises a recording that was never closed (the process died
// mid-call): it cuts a trailing partial frame and writes the real sizes
// into the header. On a recording already final it changes nothing.
// Run it at start-up over the recordings directory, before any Recorder
// opens a file there and before serving downloads (never on a file a
// Recorder is writing); readers that honour the unknown-size convention can play the
// file without it.
func Repair(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("repair recording: %w", err)
	}
	defer f.Close()
	var h [headerBytes]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("repair %s: %w: %w", path, ErrNotRecording, err)
	}
	if want := header(unknownSize); string(h[0:4]) != "RIFF" || string(h[8:40]) != string(want[8:40]) {
		return fmt.Errorf("repair %s: %w", path, ErrNotRecording)
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("repair %s: %w", path, err)
	}
	data := (info.Size() - headerBytes) / frameBytes * frameBytes
	if data > unknownSize-36 {
		return fmt.Errorf("repair %s: %d bytes of audio do not fit a WAV file", path, data)
	}
	if err := f.Truncate(headerBytes + data); err != nil {
		return fmt.Errorf("repair %s: %w", path, err)
	}
	if err := writeSizes(f, uint32(data)); err != nil {
		return fmt.Errorf("repair %s: %w", path, err)
	}
	return f.Sync()
}

// writeSizes puts the final sizes into a header written with unknownSize.
func writeSizes(f *os.File, dataBytes uint32) error {
	h := header(dataBytes)
	if _, err := f.WriteAt(h[4:8], 4); err != nil {
		return fmt.Errorf("write RIFF size: %w", err)
	}
	if _, err := f.WriteAt(h[40:44], 40); err != nil {
		return fmt.Errorf("write data size: %w", err)
	}
	return nil
}
