package pipeline

import (
	"slices"
	"time"
	"unsafe"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// The frame store: what a run keeps, as it reads, to show one of its frames
// again (the TUI's detail, Run.Frame) without reading its captures from the
// start, or at all when they cannot be read again.
//
// Frames of a file that can be read again by offset (uncompressed, opened by
// path) are found by where they lie (capture.Mark), never copied: each IKE
// frame and ICMP error has an entry with its mark, and ESP costs nothing per
// packet: a checkpoint every checkpointEvery bytes of a file is where a
// frame is looked for, reading forward. For input that cannot be read
// again (gzip, standard input, a live interface) the store holds the bytes
// themselves: of the IKE frames and ICMP errors (with the IP fragments they
// were reassembled from), and of the first and the last frame of each ESP
// flow, which is what the views show of ESP.
//
// Memory is bounded: entries and the bytes they hold by maxStoreBytes (an
// IKE flood stops filling the store, and the detail of a frame after it says
// so); checkpoints by maxCheckpoints per source (their spacing doubles
// instead); the ESP frames held by maxKeptFlows and maxKeptESPBytes per
// source; fragments waiting to be claimed by a ring.

const (
	maxStoreBytes   = 32 << 20
	maxCheckpoints  = 4096
	maxKeptFlows    = 8192
	maxKeptESPBytes = 16 << 20
)

// checkpointEvery is the spacing of checkpoints in a file to begin with
// (a variable for tests): reading 1 MiB forward takes about a millisecond.
var checkpointEvery int64 = 1 << 20

// entryCost is what an entry takes besides the bytes it holds: itself, the
// slack of the growing slice, and its index.
const entryCost = 2*int(unsafe.Sizeof(frameEntry{})) + 48

// frameStore is a run's frame store. It is used under the Run's lock.
type frameStore struct {
	srcs    []*frameSource
	entries []frameEntry  // in the order the run took them
	byID    map[int]int32 // frame ID → index in entries
	size    int           // bytes taken by entries and what they hold
	// lost counts the entries not made once the store was full, from
	// frame lostFrom on.
	lost     int
	lostFrom int
}

// frameEntry is one IKE frame or ICMP error (or an ESP frame whose IP
// fragments began before the checkpoint it would be looked for from).
type frameEntry struct {
	id    int // frame ID
	src   int // index in frameStore.srcs
	kind  decode.Kind
	ver   uint8 // IKE major version, 0 when not IKE
	msgID uint32
	ispi  isakmp.SPI
	// from is the frame ID of the first IP fragment of a datagram
	// reassembled from several frames, 0 for one frame.
	from int
	mark capture.Mark // where it lies, when its file can be read again
	// held is the frame (last) and the fragments before it, when it
	// cannot be read again; some fragments may be missing.
	held []heldRecord
}

// frameSource is the store's part for one source of the run.
type frameSource struct {
	i      int    // index in frameStore.srcs
	k      int    // capture number of its frame IDs (decode.FrameID)
	name   string // as given
	marker capture.Marker
	t0     time.Time // its first record's time
	last   int       // its last frame number taken

	// File input: checkpoints, in frame order.
	cps      []checkpoint
	file     string // the file of the record last checkpointed
	nextAt   int64  // offset in file of the next checkpoint
	every    int64  // spacing of checkpoints
	seekable bool   // the last checkpoint's file can be read again

	// Input that cannot be read again.
	frags heldRing
	flows espKept
}

// checkpoint is where reading forward finds any frame after it.
type checkpoint struct {
	frame     int // the source's frame number (not the frame ID)
	mark      capture.Mark
	fileStart bool // the first record of its file: kept when thinning
}

func newFrameStore(srcs []*source) *frameStore {
	st := &frameStore{byID: map[int]int32{}}
	for i, s := range srcs {
		fs := &frameSource{i: i, k: s.index, name: s.name, every: checkpointEvery}
		fs.marker, _ = s.src.(capture.Marker)
		st.srcs = append(st.srcs, fs)
	}
	return st
}

// of is the store's part for a source of the run.
func (st *frameStore) of(s *source) *frameSource {
	if len(st.srcs) == 1 {
		return st.srcs[0]
	}
	return st.srcs[s.index-1]
}

// see takes one record of the run (local is its frame number in its
// source; p what it decoded to, if anything). For a file that can be read
// again it costs two comparisons per ESP record.
func (st *frameStore) see(s *source, rec *capture.Record, local int, p *decode.Packet) {
	fs := st.of(s)
	if fs.last == 0 {
		fs.t0 = rec.Time
	}
	fs.last = max(fs.last, local) // records put back in time order come out of frame order
	if fs.marker != nil && (rec.Offset >= fs.nextAt || rec.File != fs.file) {
		fs.checkpoint(rec, local)
	}
	if !fs.seekable {
		st.hold(fs, s.dec, rec, p)
		return
	}
	if p == nil || (p.Kind == decode.KindESP || p.Kind == decode.KindNATKeepalive) && !fs.straddles(p) {
		return
	}
	st.add(fs, p, frameEntry{mark: fs.mark()}, 0)
}

// mark is the mark of the record the source returned last.
func (fs *frameSource) mark() capture.Mark {
	m, _ := fs.marker.Mark()
	return m
}

// checkpoint notes where the record lies, when its file can be read again.
func (fs *frameSource) checkpoint(rec *capture.Record, local int) {
	if n := len(fs.cps); n > 0 && local <= fs.cps[n-1].frame {
		return // a record put back in time order: the checkpoints stay in frame order
	}
	m, ok := fs.marker.Mark()
	start := rec.File != fs.file
	fs.file, fs.seekable, fs.nextAt = rec.File, ok, rec.Offset+fs.every
	if !ok {
		return
	}
	if len(fs.cps) >= maxCheckpoints {
		fs.thin()
	}
	fs.cps = append(fs.cps, checkpoint{frame: local, mark: m, fileStart: start})
}

// thin drops every other checkpoint (not those at the start of a file) and
// doubles the spacing: a longer read forward instead of more memory.
func (fs *frameSource) thin() {
	kept := fs.cps[:0]
	for i, c := range fs.cps {
		if c.fileStart || i%2 == 0 {
			kept = append(kept, c)
		}
	}
	clear(fs.cps[len(kept):])
	fs.cps = kept
	fs.every *= 2
}

// straddles reports whether a datagram reassembled from fragments began
// before the last checkpoint: read forward from that checkpoint, its first
// fragments would be missed, so it gets an entry.
func (fs *frameSource) straddles(p *decode.Packet) bool {
	if len(p.Fragments) < 2 || len(fs.cps) == 0 {
		return false
	}
	_, first := decode.SplitFrame(p.Fragments[0])
	return first < fs.cps[len(fs.cps)-1].frame
}

// checkpointBefore is the last checkpoint at or before frame n.
func (fs *frameSource) checkpointBefore(n int) (checkpoint, bool) {
	i, found := slices.BinarySearchFunc(fs.cps, n, func(c checkpoint, n int) int { return c.frame - n })
	if found {
		return fs.cps[i], true
	}
	if i == 0 {
		return checkpoint{}, false
	}
	return fs.cps[i-1], true
}

// add makes an entry for the packet p of the record last seen, unless the
// store is full; heldBytes is what e.held takes.
func (st *frameStore) add(fs *frameSource, p *decode.Packet, e frameEntry, heldBytes int) {
	cost := entryCost + heldBytes
	if st.size+cost > maxStoreBytes || len(st.entries) >= 1<<31-1 {
		if st.lost == 0 {
			st.lostFrom = p.Frame
		}
		st.lost++
		return
	}
	e.id, e.src, e.kind = p.Frame, fs.i, p.Kind
	if p.Kind == decode.KindIKE && p.IKE != nil {
		e.ver, e.ispi, e.msgID = uint8(p.IKE.MajorVersion()), p.IKE.InitiatorSPI, p.IKE.MessageID
	}
	if len(p.Fragments) > 1 {
		e.from = p.Fragments[0]
	}
	st.byID[e.id] = int32(len(st.entries))
	st.entries = append(st.entries, e)
	st.size += cost
}
