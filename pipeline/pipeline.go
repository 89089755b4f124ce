// Package pipeline runs the analysis of one capture: capture source →
// decode → correlate → diagnose, one record at a time.
//
// It owns the wiring and the progress, nothing else: the views (CLI text,
// TUI, reports) call it, and it never prints. A Run can be stepped in
// batches while another goroutine takes snapshots, which is how the TUI
// fills in while a large file loads.
package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
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
	// command prints them). It runs under the Run's lock.
	Packet func(p *decode.Packet, t0 time.Time) error
	// Decrypt, when set, is applied to every packet before correlation,
	// with the bytes of the frame it came from (ESP needs them).
	Decrypt func(p *decode.Packet, frame []byte)
}

// MaxProblems bounds the problem reports passed on per file.
const MaxProblems = 50

// Input describes the capture file for reports' chain of custody.
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
}

// Result is a consistent picture of the run so far.
type Result struct {
	Input    Input
	Stats    decode.Stats
	Pending  int // IP datagrams waiting for fragments
	Analysis *correlate.Analysis
	Findings []diagnose.Finding
	Done     bool
}

// Run is one capture being analysed.
type Run struct {
	mu        sync.Mutex
	opt       Options
	name      string
	src       *capture.File
	raw       *hashingReader
	total     int64 // file size when known (0 for stdin)
	dec       *decode.Decoder
	cor       *correlate.Correlator
	t0        time.Time
	frames    int
	problems  int
	readErr   error
	done      bool
	fatal     error
	suppress  int
	resumed   int // corrupt or bad blocks read past
	closeOnce sync.Once
}

// Start opens a capture ("-" is standard input) and prepares the run.
func Start(name string, opt Options) (*Run, error) {
	var raw io.Reader
	var closer io.Closer
	var total int64
	label := name
	if name == "-" {
		raw, label = os.Stdin, "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		raw, closer = f, f
	}
	h := newHashingReader(raw)
	src, err := capture.NewReader(h, label, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	return &Run{opt: opt, name: name, src: src, raw: h, total: total,
		dec: decode.NewDecoder(opt.Decode), cor: correlate.New(opt.Correlate)}, nil
}

// Name is the capture's name as given.
func (r *Run) Name() string { return r.name }

// Progress is how many bytes of the file were read, and its size (0 when
// unknown, as for standard input).
func (r *Run) Progress() (read, total int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw.n, r.total
}

// Step processes up to n records; done is set at the end of the capture
// (or where it broke off). err is set only when the Packet callback failed.
func (r *Run) Step(n int) (done bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return true, r.fatal
	}
	for range n {
		rec, err := r.src.Next()
		if err != nil {
			if capture.Resumable(err) {
				r.problem(err.Error())
				r.resumed++
				continue
			}
			if !errors.Is(err, io.EOF) {
				r.readErr = err
			}
			r.finish()
			return true, nil
		}
		r.frames++
		if rec.Frame == 1 {
			r.t0 = rec.Time
		}
		p, err := r.dec.Decode(rec)
		if err != nil {
			r.problem(fmt.Sprintf("%s: frame %d, %v", r.src.Name, rec.Frame, err))
			continue
		}
		if p == nil {
			continue
		}
		for _, pr := range p.Problems {
			where := "byte offset"
			if pr.InReassembled {
				where = "reassembled datagram offset"
			}
			r.problem(fmt.Sprintf("%s: frame %d, %s %d: %s", r.src.Name, p.Frame, where, pr.Offset, pr.Reason))
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
		r.cor.Add(p)
	}
	return false, nil
}

// RunToEnd steps until the end of the capture.
func (r *Run) RunToEnd() error {
	for {
		done, err := r.Step(4096)
		if done || err != nil {
			return err
		}
	}
}

func (r *Run) problem(s string) {
	if r.problems < MaxProblems {
		r.problems++
		if r.opt.Problem != nil {
			r.opt.Problem(s)
		}
		return
	}
	r.suppress++
}

// finish reads what is left of the file for the digest and closes it.
func (r *Run) finish() {
	r.done = true
	io.Copy(io.Discard, r.raw)
	r.close()
}

func (r *Run) close() {
	r.closeOnce.Do(func() {
		r.src.Close()
		r.raw.Sum() // ends the digest goroutine
	})
}

// Close releases the file; a run may be closed before its end.
func (r *Run) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.close()
}

// Snapshot returns the analysis so far, diagnosed.
func (r *Run) Snapshot() *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.cor.Snapshot()
	res := &Result{
		Input:    Input{Name: r.name, Packets: r.frames, ReadError: r.readErr, SuppressedProblems: r.suppress, SkippedBlocks: r.resumed},
		Stats:    r.dec.Stats(),
		Pending:  r.dec.PendingFragments(),
		Analysis: a,
		Findings: diagnose.Diagnose(a),
		Done:     r.done,
	}
	if r.done {
		res.Input.Size, res.Input.SHA256 = r.raw.n, r.raw.Sum()
	}
	return res
}

// Analyze runs a capture to its end and returns the result.
func Analyze(name string, opt Options) (*Result, error) {
	r, err := Start(name, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if err := r.RunToEnd(); err != nil {
		return nil, err
	}
	return r.Snapshot(), nil
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
