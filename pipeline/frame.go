package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// FrameDetail is one frame of a run read again from the frame store:
// decoded by a fresh decoder with the run's configuration, and decrypted
// with the run's keys as the run decrypted it.
type FrameDetail struct {
	ID      int       // frame ID (decode.FrameID)
	Capture int       // k of the frame ID: 0 in a run over one capture
	Name    string    // the capture's name as given
	T0      time.Time // the capture's first frame: times in the tree count from it
	// Record is the frame; its Data is the detail's own.
	Record capture.Record
	// Packet is what the frame decoded to; nil when it holds no IPsec
	// packet (or one whose other IP fragments are not there).
	Packet *decode.Packet
	// DecodeErr is the decoder's error for a frame whose link or IP layer
	// is malformed.
	DecodeErr error
}

// ErrNotKept is wrapped by Frame's error for a frame the run did not keep;
// the error says why.
var ErrNotKept = errors.New("not kept")

// Frame reads frame id (a frame ID the run numbered) again and decodes it,
// without reading the captures from the start: by its entry in the frame
// store, the frame itself for input that cannot be read again, or reading
// forward from the checkpoint before it. It may be called from another
// goroutine while the run is being stepped.
//
// Decryption uses Options.Decrypter, fresh for each call: an IKE frame is
// preceded by the frames of its IKE SA the run took before it that its
// decryption depended on (IKEv1: phase 1, for the KE payloads, the chosen
// transform and the IVs, and its message ID's, for the IV chain; IKEv2: its
// message's, for SKF fragments), so it decrypts as it did in the run,
// without moving the run's own state (Options.Decrypt is not called again).
func (r *Run) Frame(id int) (*FrameDetail, error) {
	r.mu.Lock()
	job, err := r.planFrame(id)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var decrypt func(*decode.Packet, []byte)
	if r.opt.Decrypter != nil {
		decrypt = r.opt.Decrypter()
	}
	rd := &rereader{cfg: r.opt.Decode}
	defer rd.marks.Close()
	if decrypt != nil {
		for _, f := range job.replay {
			if d, err := f.load(rd); err == nil && d.p != nil {
				decrypt(d.p, d.rec.Data)
			}
		}
	}
	d, err := job.target.load(rd)
	if err != nil {
		return nil, fmt.Errorf("frame %s: %w", decode.FrameLabel(id), err)
	}
	if d.p != nil && decrypt != nil {
		decrypt(d.p, d.rec.Data)
	}
	return &FrameDetail{ID: id, Capture: job.k, Name: job.name, T0: job.t0, Record: *d.rec, Packet: d.p, DecodeErr: d.err}, nil
}

// frameJob is what reading a frame again takes, copied out of the store
// under the run's lock.
type frameJob struct {
	k      int
	name   string
	t0     time.Time
	target fetch
	replay []fetch // to decrypt first, in the run's order
}

// fetch is how one frame is read again: from held bytes, from its mark,
// or forward from a checkpoint.
type fetch struct {
	id   int          // frame ID
	held []heldRecord // decoded in order, the frame last
	mark capture.Mark // the frame's own, when cp is not set
	cp   *checkpoint  // read forward from here to frame n
	n    int          // the frame's number in its source (with cp)
}

func (r *Run) planFrame(id int) (*frameJob, error) {
	st := r.frames
	if st == nil {
		return nil, fmt.Errorf("frame %s: %w: the run keeps no frames (Options.KeepFrames)", decode.FrameLabel(id), ErrNotKept)
	}
	k, n := decode.SplitFrame(id)
	var fs *frameSource
	switch {
	case len(st.srcs) == 1 && k == 0:
		fs = st.srcs[0]
	case len(st.srcs) > 1 && k >= 1 && k <= len(st.srcs):
		fs = st.srcs[k-1]
	default:
		return nil, fmt.Errorf("frame %s: no such capture in this run", decode.FrameLabel(id))
	}
	if n < 1 || n > fs.last {
		return nil, fmt.Errorf("frame %s: not read (yet)", decode.FrameLabel(id))
	}
	job := &frameJob{k: fs.k, name: fs.name, t0: fs.t0}
	if i, ok := st.byID[id]; ok {
		e := &st.entries[i]
		f, err := fs.entryFetch(e, n)
		if err != nil {
			return nil, err
		}
		job.target = f
		for j := range st.entries[:i] {
			o := &st.entries[j]
			if sameSA(o, e) {
				if f, err := st.srcs[o.src].entryFetch(o, 0); err == nil {
					job.replay = append(job.replay, f)
				}
			}
		}
		return job, nil
	}
	if h, ok := fs.flows.find(id); ok {
		job.target = fetch{id: id, held: []heldRecord{h}}
		return job, nil
	}
	if cp, ok := fs.checkpointBefore(n); ok {
		job.target = fetch{id: id, cp: &cp, n: n}
		return job, nil
	}
	return nil, st.notKept(fs, id)
}

// sameSA reports whether the run's decrypter needed entry o before e:
// the frames of the same message ID of the same IKE SA (IKEv1 IV chains,
// IKEv2 SKF fragments) and, for IKEv1, its phase 1 (KE payloads, the
// chosen transform, the phase-1 IVs a phase-2 IV starts from).
func sameSA(o, e *frameEntry) bool {
	if e.ver == 0 || o.ver != e.ver || o.ispi != e.ispi {
		return false
	}
	return o.msgID == e.msgID || e.ver == 1 && o.msgID == 0
}

// entryFetch is how an entry's frame is read again (n: its number in the
// source, 0 to compute it).
func (fs *frameSource) entryFetch(e *frameEntry, n int) (fetch, error) {
	if e.held != nil {
		return fetch{id: e.id, held: e.held}, nil
	}
	if n == 0 {
		_, n = decode.SplitFrame(e.id)
	}
	if e.from == 0 {
		return fetch{id: e.id, mark: e.mark, n: n}, nil
	}
	// Reassembled: read forward from before the first fragment.
	_, first := decode.SplitFrame(e.from)
	cp, ok := fs.checkpointBefore(first)
	if !ok {
		return fetch{}, fmt.Errorf("frame %s: %w: no checkpoint before its first IP fragment", decode.FrameLabel(e.id), ErrNotKept)
	}
	return fetch{id: e.id, cp: &cp, n: n}, nil
}

// notKept says why a frame of input that cannot be read again is not
// there.
func (st *frameStore) notKept(fs *frameSource, id int) error {
	var more string
	if st.lost > 0 && id >= st.lostFrom {
		more += fmt.Sprintf("; the store was full (%d MiB) from frame %s on (an IKE flood?) and kept none of the %d IKE frames and ICMP errors after it",
			maxStoreBytes>>20, decode.FrameLabel(st.lostFrom), st.lost)
	}
	if fs.flows.lost > 0 {
		more += fmt.Sprintf("; %d ESP flows beyond %d (or %d MiB) were not kept", fs.flows.lost, maxKeptFlows, maxKeptESPBytes>>20)
	}
	name := fs.name
	if name == "-" {
		name = "standard input"
	}
	return fmt.Errorf("frame %s: %w: %s cannot be read again (standard input, a compressed file or a live capture), and of it the run keeps "+
		"the IKE frames and ICMP errors and the first and last frame of each ESP flow, not other frames%s", decode.FrameLabel(id), ErrNotKept, name, more)
}

// decoded is a frame read again and what the decoder made of it.
type decoded struct {
	p   *decode.Packet
	rec *capture.Record // its own copy
	err error           // the decoder's
}

// rereader reads the frames of one Frame call.
type rereader struct {
	cfg   decode.Config
	marks capture.Rereader
	one   *decode.Decoder // for frames in one record, which leave it as it was
}

// load reads the frame and decodes it with a fresh decoder, with the
// frames it needs before it.
func (f *fetch) load(rd *rereader) (decoded, error) {
	k, _ := decode.SplitFrame(f.id)
	if f.held == nil && f.cp == nil {
		rec, err := rd.marks.Read(f.mark)
		if err != nil {
			return decoded{}, err
		}
		if rd.one == nil {
			rd.one = decode.NewDecoder(rd.cfg)
		}
		rec.Frame = f.id
		p, derr := rd.one.Decode(rec)
		return decoded{p, rec, derr}, nil
	}
	dec := decode.NewDecoder(rd.cfg)
	if f.held != nil {
		var d decoded
		for _, h := range f.held {
			d.rec = h.record()
			d.p, d.err = dec.Decode(d.rec)
		}
		d.rec.Data = bytes.Clone(d.rec.Data)
		return d, nil
	}
	from := f.cp.mark
	src, err := capture.OpenAt(from)
	if err != nil {
		return decoded{}, err
	}
	defer src.Close()
	for {
		rec, err := src.Next()
		if err != nil {
			if capture.Resumable(err) {
				continue
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("not found in the capture (it changed since it was read?)")
			}
			return decoded{}, err
		}
		n := f.cp.frame + rec.FileFrame - from.FileFrame
		if n > f.n {
			return decoded{}, errors.New("not found in the capture (it changed since it was read?)")
		}
		rec.Frame = decode.FrameID(k, n)
		p, derr := dec.Decode(rec)
		if n == f.n {
			c := *rec
			c.Data = bytes.Clone(rec.Data)
			return decoded{p, &c, derr}, nil
		}
	}
}
