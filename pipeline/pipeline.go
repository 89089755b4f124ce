// Package pipeline runs the analysis of one capture: capture source →
// decode → correlate → diagnose, one record at a time.
//
// It owns the wiring and the progress, and the one loop that reads, decodes
// and decrypts records (Step; Scan for a second pass), with the frame store
// that shows a frame of the run again (Run.Frame): the views (CLI text,
// TUI, reports) call it, and it never prints. A Run can be stepped in
// batches while another goroutine takes snapshots or frames, which is how
// the TUI fills in while a large file loads.
//
// RunToEnd reads one plain capture file on every core instead, in byte
// ranges merged exactly (parallel.go), when nothing needs to see the
// packets one by one as they are read.
package pipeline

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
)

// Options configure a run.
type Options struct {
	Decode    decode.Config
	Correlate correlate.Config
	// Problem receives each malformation report ("file: frame N, byte
	// offset X: reason"); nil drops them. At most MaxProblems are passed,
	// the rest counted.
	Problem func(string)
	// Packet, when set, sees every IPsec packet after decoding (the decode
	// command prints them). It runs under the Run's lock. The packet is
	// the callback's to keep.
	Packet func(p *decode.Packet, t0 time.Time) error
	// Decrypt, when set, is applied to every packet before correlation,
	// with the bytes of the frame it came from (ESP needs them). It may
	// fill in the packet but must not keep it, nor the frame: without a
	// Packet callback the decoder reuses one Packet for every ESP and
	// NAT-keepalive frame (decode.Decoder.ReusePackets), and the frame's
	// bytes are the capture reader's buffer.
	Decrypt func(p *decode.Packet, frame []byte)
	// Decrypter, when set, makes a fresh decryption function with the
	// same keys as Decrypt (no state of packets before it): Run.Frame
	// decrypts a frame again with one, fed the IKE frames it needs, so
	// the run's own state is not moved. Without Decrypt, the run decrypts
	// with one too.
	Decrypter func() func(p *decode.Packet, frame []byte)
	// KeepFrames makes the run keep what Run.Frame needs to show any of
	// its frames again (the frame store, frames.go): for the terminal UI.
	// It costs a file next to nothing; of input that cannot be read again
	// it copies the IKE frames and the last frame of every ESP flow as
	// they pass, which a run that shows no frame need not pay.
	KeepFrames bool
	// FileOrder reads each file's records in the order they lie, as
	// Wireshark lists them (decode), instead of putting records that are
	// a little out of time order back in order (the analysis).
	FileOrder bool
	// NoDigest leaves Input.SHA256 empty. On a large file the SHA-256 of
	// the input, though computed on a second core, is the slowest part
	// of a run (about 1.7 GB/s per core with SHA-NI): this is for
	// measuring the rest, and for callers that do not report the digest.
	NoDigest bool
	// Logs are gateway logs (package gwlog) to align on the analysis: a
	// stated cause makes a diagnosis certain without keys.
	Logs []*gwlog.Log
	// Points are capture points the user named (--point NAME=FILES); the
	// files given besides are grouped by their times (see PlanPoints).
	Points []PointSpec
}

// MaxProblems bounds the problem reports passed on per file.
const MaxProblems = 50

// Input describes one capture for reports' chain of custody.
type Input struct {
	Name      string
	Size      int64  // bytes of the file as on disk, once read to the end
	SHA256    string // of those bytes, once read to the end
	Packets   int    // frames read
	ReadError error  // where the file broke off, if it did
	// SuppressedProblems counts the problem reports beyond MaxProblems.
	SuppressedProblems int
	// SkippedBlocks counts bad or corrupt blocks read past (pcapng).
	SkippedBlocks int
	// Drops is what the capturing interface reported as dropped (pcapng
	// statistics, a live socket's kernel counters).
	Drops uint64
	// Capture is the number frame IDs carry for this input (see
	// decode.FrameID): 0 in a run over one capture, else 1, 2, ...
	Capture int
	// Point is the name the user gave this capture point ("" when none),
	// Grouping why its files were taken as one point, and Files those
	// files when there are several (Size and SHA256 are then per file,
	// and Packets the frames of all).
	Point    string
	Grouping string
	Files    []InputFile
}

// InputFile is one file of a capture point read from several.
type InputFile struct {
	Name    string
	Size    int64
	SHA256  string
	Packets int
	// FirstFrame and LastFrame are its frames as the point numbers them
	// (one run of numbers across the files, as mergecap -a would).
	FirstFrame, LastFrame int
	// ReadError is why the file could not be opened, or where it broke
	// off (reading went on with the next file).
	ReadError error
}

// Result is a consistent picture of the run so far.
type Result struct {
	// Input is the first (usually the only) capture; Inputs all of them.
	Input    Input
	Inputs   []Input
	Stats    decode.Stats
	Pending  int // IP datagrams waiting for fragments
	Analysis *correlate.Analysis
	Findings []diagnose.Finding
	Done     bool
}

// Run is one analysis of one or more captures being read.
type Run struct {
	mu        sync.Mutex
	opt       Options
	srcs      []*source
	cor       *correlate.Correlator
	t0        time.Time
	done      bool
	fatal     error
	final     *Result // once Final was called
	logs      placedLogs
	closeOnce sync.Once
	frames    *frameStore                                       // with Options.KeepFrames
	scan      func(p *decode.Packet, rec *capture.Record) error // a Scan's, instead of correlating

	// Reading in ranges on every core (parallel.go).
	ccfg       correlate.Config // what the correlator was made with
	parallel   string           // how RunToEnd read: "parallel: ...", or "sequential: why"
	ranges     int              // ranges to read in; 0: GOMAXPROCS (tests set it)
	parRereads int              // ranges read again in the merge (a wrong boundary, ESP tails)
	noParallel bool             // read sequentially (tests)
	parRead    atomic.Int64     // bytes the ranges read so far
	parTotal   atomic.Int64     // the file's size
	parActive  atomic.Bool      // ranges are being read
}

// Start opens a capture ("-" is standard input) and prepares the run.
func Start(name string, opt Options) (*Run, error) {
	return StartFiles([]string{name}, opt)
}

// StartFiles opens captures for one analysis. Files (or directories of
// them) are taken as capture points by their times (PlanPoints): the
// pieces of one rotated capture are read one after the other as one
// timeline; captures taken at different points of the same network are
// merged in time order and the correlator recognises the same message seen
// at several points. opt.Points names points explicitly.
func StartFiles(names []string, opt Options) (*Run, error) {
	points, err := planFiles(names, opt)
	if err != nil {
		return nil, err
	}
	return StartPoints(points, opt)
}

// planFiles takes files and opt.Points as capture points.
func planFiles(names []string, opt Options) ([]Point, error) {
	if len(names) == 0 && len(opt.Points) == 0 {
		return nil, errors.New("no capture given")
	}
	return PlanPoints(names, opt.Points, SpanReader(opt.Decode))
}

// StartPoints opens capture points as planned.
func StartPoints(points []Point, opt Options) (*Run, error) {
	var srcs []*source
	r := &Run{}
	for _, p := range points {
		s, err := openPoint(p, opt, r.late)
		if err != nil {
			for _, s := range srcs {
				s.close()
			}
			return nil, err
		}
		srcs = append(srcs, s)
	}
	r.init(srcs, opt)
	return r, nil
}

// StartSource prepares a run reading from src (a live interface); name is
// how reports call it.
func StartSource(name string, src capture.Source, opt Options) *Run {
	r := &Run{}
	r.init([]*source{{name: name, src: src, dec: decode.NewDecoder(opt.Decode)}}, opt)
	return r
}

func (r *Run) init(srcs []*source, opt Options) {
	if len(srcs) > 1 {
		for i, s := range srcs {
			s.index = i + 1
		}
	}
	for _, s := range srcs {
		// The correlator keeps only copies of a packet: without a Packet
		// callback that might keep them, ESP packets need no allocation.
		s.dec.ReusePackets(opt.Packet == nil)
	}
	if opt.Decrypt == nil && opt.Decrypter != nil {
		opt.Decrypt = opt.Decrypter()
	}
	ccfg := opt.Correlate
	ccfg.Captures = len(srcs)
	for _, s := range srcs {
		ccfg.CaptureNames = append(ccfg.CaptureNames, s.point.Name)
	}
	r.opt, r.srcs, r.cor, r.ccfg = opt, srcs, correlate.New(ccfg), ccfg
	if opt.KeepFrames {
		r.frames = newFrameStore(srcs)
	}
}

// late reports a record that came further back in time than the reorder
// window: it is analysed where it stands, out of order.
func (r *Run) late(s *source, rec *capture.Record, behind time.Duration) {
	r.problem(s, fmt.Sprintf("%s, %s earlier than a frame before it: beyond the %s reorder window, analysed out of time order",
		s.where(rec.File, rec.FileFrame, rec.Frame), behind.Round(time.Microsecond), reorderWindow))
}

// Name is the first capture's name as given.
func (r *Run) Name() string { return r.srcs[0].name }

// Names are the captures' names as given, in capture order: capture k of
// decode.FrameID is Names()[k-1] (a single-capture run has one name).
func (r *Run) Names() []string {
	names := make([]string, len(r.srcs))
	for i, s := range r.srcs {
		names[i] = s.name
	}
	return names
}

// Progress is how many bytes of the files were read, and their size (0
// when unknown, as for standard input or a live interface).
func (r *Run) Progress() (read, total int64) {
	if r.parActive.Load() {
		return r.parRead.Load(), r.parTotal.Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	known := true // every size known (not standard input)
	for _, s := range r.srcs {
		if len(s.files) == 0 {
			return read, 0 // live
		}
		for _, f := range s.files {
			if f.raw != nil {
				read += f.raw.n
			}
			if f.total == 0 && f.raw == nil && f.name != "-" {
				f.total = fileSize(f.name)
			}
			total += f.total
			known = known && f.total > 0
		}
	}
	if !known {
		total = 0
	}
	return read, total
}

// PendingFragments is the number of IP datagrams the run's decoders hold,
// waiting for fragments: a frame read already may still be part of a
// datagram the run has not passed on.
func (r *Run) PendingFragments() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.srcs {
		n += s.dec.PendingFragments()
	}
	return n
}

// Step processes up to n records; done is set at the end of the captures
// (or where they broke off). err is set only when the Packet callback
// failed.
func (r *Run) Step(n int) (done bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return true, r.fatal
	}
	for range n {
		var s *source
		if len(r.srcs) == 1 {
			// One capture: nothing to merge.
			if s = r.srcs[0]; s.peek(r.reportRead) == nil {
				s = nil
			}
		} else {
			s = earliest(r.srcs, r.reportRead)
		}
		if s == nil && r.waiting() {
			return false, nil // a live source had nothing: let snapshots in
		}
		if s == nil {
			r.finish()
			return true, nil
		}
		rec := s.next
		s.next = nil
		s.frames++
		if r.t0.IsZero() {
			r.t0 = rec.Time
		}
		// Problems name the file and the frame's number in it.
		file, fileFrame, local := rec.File, rec.FileFrame, rec.Frame
		rec.Frame = decode.FrameID(s.index, rec.Frame)
		p, err := s.dec.Decode(rec)
		if r.frames != nil {
			r.frames.see(s, rec, local, p)
		}
		if err != nil {
			r.problem(s, fmt.Sprintf("%s, %v", s.where(file, fileFrame, rec.Frame), err))
			continue
		}
		if p == nil {
			continue
		}
		for _, pr := range p.Problems {
			r.problem(s, s.where(file, fileFrame, rec.Frame)+", "+pr.String())
		}
		if r.opt.Decrypt != nil {
			r.opt.Decrypt(p, rec.Data)
		}
		if r.opt.Packet != nil {
			if err := r.opt.Packet(p, r.t0); err != nil {
				r.fatal = err
				r.finish()
				return true, err
			}
		}
		if r.scan != nil {
			if err := r.scan(p, rec); err != nil {
				r.fatal = err
				r.finish()
				return true, err
			}
			continue
		}
		r.cor.Add(p)
	}
	return false, nil
}

// waiting reports whether a source has not ended (a live one that had no
// packet to give).
func (r *Run) waiting() bool {
	for _, s := range r.srcs {
		if !s.eof {
			return true
		}
	}
	return false
}

// reportRead passes on a source's read error (a bad block read past).
func (r *Run) reportRead(s *source, msg string) { r.problem(s, msg) }

// RunToEnd steps until the end of the captures. A run over one plain
// capture file that no step has read yet is read on every core
// (GOMAXPROCS), in byte ranges (parallel.go), with the same result as
// stepping through it; standard input, compressed files, several capture
// points, and runs that see every packet (Options.Packet, Decrypt,
// Decrypter, KeepFrames) are read sequentially.
func (r *Run) RunToEnd() error {
	r.tryParallel()
	for {
		done, err := r.Step(4096)
		if done || err != nil {
			return err
		}
	}
}

func (r *Run) problem(s *source, msg string) {
	if s.problems < MaxProblems {
		s.problems++
		if r.opt.Problem != nil {
			r.opt.Problem(msg)
		}
		return
	}
	s.suppress++
}

// finish reads what is left of the files for the digests and closes them.
func (r *Run) finish() {
	r.done = true
	for _, s := range r.srcs {
		s.finish()
	}
	r.close()
}

func (r *Run) close() {
	r.closeOnce.Do(func() {
		for _, s := range r.srcs {
			s.close()
		}
	})
}

// Close releases the files; a run may be closed before its end.
func (r *Run) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.close()
}

// Snapshot returns the analysis so far, diagnosed.
func (r *Run) Snapshot() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.final != nil {
		return r.final
	}
	return r.result(r.cor.Snapshot())
}

// Final returns the result of a run that is over (RunToEnd returned): the
// analysis is made of the correlator's own state, not a copy of it, and
// the run takes no more records; Snapshot returns the same result after.
// Before the end it is Snapshot.
func (r *Run) Final() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.final != nil {
		return r.final
	}
	if !r.done {
		return r.result(r.cor.Snapshot())
	}
	r.final = r.result(r.cor.Final())
	return r.final
}

// result diagnoses an analysis of the run and adds what the sources say.
func (r *Run) result(a *correlate.Analysis) *Result {
	r.logs.place(a, r.opt.Logs)
	res := &Result{Analysis: a, Done: r.done}
	for _, s := range r.srcs {
		in := s.input()
		if r.done {
			for i, f := range s.files {
				if f.raw == nil {
					continue
				}
				in.Size += f.raw.n
				if len(in.Files) > 0 {
					in.Files[i].Size, in.Files[i].SHA256 = f.raw.n, f.sum
				} else {
					in.SHA256 = f.sum
				}
			}
		}
		res.Inputs = append(res.Inputs, in)
		if s.par != nil {
			res.Stats.Add(s.par.stats)
		} else {
			res.Stats.Add(s.dec.Stats())
		}
		res.Pending += s.dec.PendingFragments()
		a.CaptureDrops += in.Drops
	}
	res.Input = res.Inputs[0]
	var tallies [][]decode.Traffic
	for _, s := range r.srcs {
		if s.par != nil {
			tallies = append(tallies, s.par.traffic)
			continue
		}
		tallies = append(tallies, s.dec.Traffic())
	}
	a.Frames, a.OtherTraffic, a.Ended = res.Stats.Frames, decode.MergeTraffic(tallies...), r.done
	res.Findings = diagnose.Diagnose(a)
	return res
}

// Analyze runs a capture to its end and returns the result.
func Analyze(name string, opt Options) (*Result, error) {
	return AnalyzeFiles([]string{name}, opt)
}

// AnalyzeFiles runs captures (taken as capture points as StartFiles
// takes them) to their end, as one analysis, and returns the result.
func AnalyzeFiles(names []string, opt Options) (*Result, error) {
	points, err := planFiles(names, opt)
	if err != nil {
		return nil, err
	}
	return AnalyzePoints(points, opt)
}

// AnalyzePoints runs capture points, as planned, to their end.
func AnalyzePoints(points []Point, opt Options) (*Result, error) {
	r, err := StartPoints(points, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.RunToEnd(); err != nil {
		return nil, err
	}
	return r.Final(), nil
}

// Summary is the one-line count of what the decoder saw.
func (res *Result) Summary() string {
	st := res.Stats
	s := fmt.Sprintf("%d frames: %d IKE, %d ESP, %d NAT-keepalive, %d ICMP errors quoting IPsec, %d not IPsec, %d unreadable",
		st.Frames, st.IKE, st.ESP, st.NATKeepalives, st.ICMPErrors, st.NotIPsec, st.LinkErrors)
	if st.Fragments > 0 {
		s += fmt.Sprintf("; %d IP fragments, %d datagrams reassembled, %d incomplete", st.Fragments, st.Reassembled, res.Pending)
	}
	return s
}
