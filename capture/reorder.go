package capture

import (
	"errors"
	"time"
)

// ReorderOptions bound a Reorder. Zero fields take the defaults.
type ReorderOptions struct {
	// Window is how far back in capture time a record may come and still
	// be put in order: a record is held until one Window later was read.
	// Default 2 s.
	Window time.Duration
	// MaxRecords and MaxBytes bound what is held (bytes of record data,
	// counted by the buffers that hold them): past either, the oldest
	// record is let go before its Window is over. Defaults 100 000 and
	// 64 MiB.
	MaxRecords int
	MaxBytes   int64
	// Probe is how many records are read at the start, held as a Window
	// lets them go, to see whether the source is in order; if it was,
	// records then pass straight through, and a later step back in time
	// turns holding on again for good. Not a whole Window: on a busy link
	// two seconds are a hundred thousand records, which would cost the
	// memory of a run (a multi-queue card's disorder shows within a few
	// thousand). Default 1024.
	Probe int
}

// Default ReorderOptions.
const (
	DefaultReorderWindow     = 2 * time.Second
	DefaultReorderMaxRecords = 100_000
	DefaultReorderMaxBytes   = 64 << 20
	DefaultReorderProbe      = 1024
)

// Reorder is a Source that yields the records of another in capture-time
// order when they are out of order by up to a bounded window: captures
// merged from several, or taken on a card with several queues. Records of
// equal time keep their frame order.
//
// On the common, in-order file it costs nothing: after the first records
// (ReorderOptions.Probe), held and found in order, records pass straight
// through, not copied. The first record that goes back in time in that
// mode cannot be put back: it is emitted at once (and reported), and the
// rest of the source is held and sorted. Held records are copied into
// buffers the Reorder owns and reuses.
//
// A record that is older than one already emitted (it came back further
// than the window, or a bound let the newer one go) is still emitted, at
// once, and reported to the late func given to NewReorder with how far it
// is behind the latest record read before it.
//
// Errors keep their place: an error that reading goes on after
// (Resumable) is held like a record stamped with the latest time read, so
// the records read before it come out before it. ErrNoPacket (a live
// source with nothing yet) is passed on at once. Any other error, and
// io.EOF, come after every record held.
type Reorder struct {
	src  Source
	opt  ReorderOptions
	late func(rec *Record, behind time.Duration)

	pass     bool // records pass straight through
	probing  bool // the first records, which may end in pass-through
	draining bool // emptying the buffer before passing through
	end      error

	read     int
	first    time.Time  // capture time of the first record read
	latest   latestMark // the record of the latest time read
	emitted  time.Time  // time of the last record emitted in order
	anyEmit  bool
	seq      uint64
	held     reorderHeap
	heldSize int64 // bytes of the buffers held
	free     []*reorderItem
	freeSize int64
	out      *reorderItem // the item returned last, reused at the next call
	copies   int          // records copied (tests)
}

var _ interface {
	Source
	DropCounter
	Marker
} = (*Reorder)(nil)

// RecordRef names a record without holding it.
type RecordRef struct {
	Frame     int
	File      string
	FileFrame int
	Time      time.Time
}

// latestMark is a RecordRef in the few words that passing a record through
// can afford to keep, compared without time.Time's out-of-line methods.
type latestMark struct {
	sec, nsec        int64
	frame, fileFrame int
	file             string
}

func (m *latestMark) set(r *Record) {
	m.sec, m.nsec = r.Time.Unix(), int64(r.Time.Nanosecond())
	m.frame, m.fileFrame, m.file = r.Frame, r.FileFrame, r.File
}

// later tells whether the mark is later than t.
func (m *latestMark) later(t time.Time) bool {
	s := t.Unix()
	return s < m.sec || s == m.sec && int64(t.Nanosecond()) < m.nsec
}

func (m *latestMark) time() time.Time { return time.Unix(m.sec, m.nsec).UTC() }

// reorderItem is a held record, or a held error.
type reorderItem struct {
	rec    Record
	buf    []byte
	err    error
	seq    uint64
	mark   Mark // where the record lies, when the source can say
	marked bool
}

// NewReorder puts the records of src in capture-time order. late, which
// may be nil, is told of each record emitted out of order.
func NewReorder(src Source, opt ReorderOptions, late func(rec *Record, behind time.Duration)) *Reorder {
	if opt.Window <= 0 {
		opt.Window = DefaultReorderWindow
	}
	if opt.MaxRecords <= 0 {
		opt.MaxRecords = DefaultReorderMaxRecords
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultReorderMaxBytes
	}
	if opt.Probe <= 0 {
		opt.Probe = DefaultReorderProbe
	}
	return &Reorder{src: src, opt: opt, late: late, probing: true}
}

// Next returns the next record in capture-time order.
func (r *Reorder) Next() (*Record, error) {
	if r.out != nil {
		r.recycle(r.out)
		r.out = nil
	}
	for {
		if r.pass {
			rec, err := r.src.Next()
			if err != nil {
				return rec, err
			}
			if r.latest.later(rec.Time) {
				// Held and sorted from here on; what passed was in order,
				// up to the latest.
				r.pass, r.emitted, r.anyEmit = false, r.latest.time(), true
				r.reportLate(rec)
				return rec, nil
			}
			r.latest.set(rec)
			return rec, nil
		}
		if it := r.ready(); it != nil {
			return r.emit(it)
		}
		if r.end != nil {
			return nil, r.end
		}
		if r.draining { // emptied: from now on, straight through
			r.draining, r.pass = false, true
			r.free, r.freeSize = nil, 0 // the probe's buffers are not needed again
			continue
		}
		rec, err := r.src.Next()
		if err != nil {
			switch {
			case errors.Is(err, ErrNoPacket):
				return nil, err
			case Resumable(err):
				it := r.item()
				it.rec.Time, it.rec.Frame, it.err = r.latest.time(), r.latest.frame, err
				r.heldSize += int64(cap(it.buf))
				r.held.push(it)
			default:
				r.end = err
			}
			continue
		}
		if r.read == 0 {
			r.first = rec.Time
			r.latest.set(rec)
		}
		r.read++
		if r.anyEmit && rec.Time.Before(r.emitted) {
			r.probing = false
			r.reportLate(rec) // too late to be put in order
			return rec, nil
		}
		if r.latest.later(rec.Time) {
			r.probing = false // out of order: hold to the end
		} else {
			r.latest.set(rec)
		}
		r.hold(rec)
		if r.probing && (r.read >= r.opt.Probe || r.full()) {
			r.probing, r.draining = false, true
		}
	}
}

// ready returns the held item to emit now, or nil: the oldest, once a
// Window later was read, a bound is passed, or the buffer is emptied.
func (r *Reorder) ready() *reorderItem {
	if len(r.held) == 0 {
		return nil
	}
	if r.end != nil || r.draining || r.full() || !r.held[0].rec.Time.After(r.latest.time().Add(-r.opt.Window)) {
		return r.held.pop()
	}
	return nil
}

func (r *Reorder) full() bool {
	return len(r.held) > r.opt.MaxRecords || r.heldSize > r.opt.MaxBytes
}

func (r *Reorder) emit(it *reorderItem) (*Record, error) {
	r.heldSize -= int64(cap(it.buf))
	if it.err != nil {
		err := it.err
		r.recycle(it)
		return nil, err
	}
	r.emitted, r.anyEmit = it.rec.Time, true
	r.out = it
	return &it.rec, nil
}

func (r *Reorder) reportLate(rec *Record) {
	if r.late != nil {
		r.late(rec, r.latest.time().Sub(rec.Time))
	}
}

// hold copies rec into a buffer of the Reorder's.
func (r *Reorder) hold(rec *Record) {
	it := r.item()
	it.buf = append(it.buf[:0], rec.Data...)
	it.rec = *rec
	it.rec.Data = it.buf
	if m, ok := r.src.(Marker); ok {
		it.mark, it.marked = m.Mark()
	}
	r.heldSize += int64(cap(it.buf))
	r.copies++
	r.held.push(it)
}

// item takes an item from the free list, or a new one.
func (r *Reorder) item() *reorderItem {
	var it *reorderItem
	if n := len(r.free); n > 0 {
		it, r.free = r.free[n-1], r.free[:n-1]
		r.freeSize -= int64(cap(it.buf))
	} else {
		it = &reorderItem{}
	}
	r.seq++
	it.seq = r.seq
	return it
}

// recycle keeps an item for reuse, as long as the free list stays a
// fraction of what may be held.
func (r *Reorder) recycle(it *reorderItem) {
	it.err, it.rec, it.mark, it.marked = nil, Record{}, Mark{}, false
	if len(r.free) >= 4096 || r.freeSize+int64(cap(it.buf)) > r.opt.MaxBytes/8 {
		return
	}
	r.free = append(r.free, it)
	r.freeSize += int64(cap(it.buf))
}

// Latest names the record of the latest capture time read so far: in the
// late func, the one the late record is behind ("frame N is 3.2 s earlier
// than frame M before it").
func (r *Reorder) Latest() RecordRef {
	m := r.latest
	return RecordRef{Frame: m.frame, File: m.file, FileFrame: m.fileFrame, Time: m.time()}
}

// Mark is where the record Next returned last lies (Marker): kept with it
// while it was held, else the source's own.
func (r *Reorder) Mark() (Mark, bool) {
	if r.out != nil {
		return r.out.mark, r.out.marked
	}
	if m, ok := r.src.(Marker); ok {
		return m.Mark()
	}
	return Mark{}, false
}

// Drops is the source's (DropCounter).
func (r *Reorder) Drops() uint64 {
	if dc, ok := r.src.(DropCounter); ok {
		return dc.Drops()
	}
	return 0
}

// Close closes the source and lets the buffers go.
func (r *Reorder) Close() error {
	r.held, r.free, r.out, r.heldSize, r.freeSize = nil, nil, nil, 0, 0
	return r.src.Close()
}
