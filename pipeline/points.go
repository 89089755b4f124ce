package pipeline

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// A capture point is one place packets were captured: one file, or the
// pieces a rotating capture (tcpdump -C/-G/-W, Wireshark's ring buffer,
// editcap -c, live --ring) cut one timeline into. Pieces of one point are
// read one after the other as one capture; several points are merged in
// time and the correlator matches the same packet seen at each.

// Point is one capture point of a run: its files in the order they are
// read, and why they were taken together.
type Point struct {
	// Name is the name the user gave it (--point NAME=...), "" when the
	// files were grouped by their times.
	Name  string
	Files []string
	// Why says how the files were taken as this point, for the output.
	Why string
}

// Label is how the views call the point: its name, or its file, or its
// first and last files.
func (p Point) Label() string {
	switch {
	case p.Name != "":
		return p.Name
	case len(p.Files) == 1:
		return p.Files[0]
	}
	return fmt.Sprintf("%s … %s (%d files)", p.Files[0], filepath.Base(p.Files[len(p.Files)-1]), len(p.Files))
}

// FilesOf lists the files of capture points.
func FilesOf(points []Point) []string {
	var files []string
	for _, p := range points {
		files = append(files, p.Files...)
	}
	return files
}

// FileSpan is the capture time a file covers, from its first record to its
// last in file order. Known is false where it could not be read (standard
// input, an unreadable file): such a file is a point of its own.
type FileSpan struct {
	Name        string
	First, Last time.Time
	Records     bool // false for a capture holding no record
	Known       bool
	// Heads are signatures of the IPsec packets at the file's start
	// (packetSignatures), each with the times of its copies: files sharing
	// them hold the same traffic seen at two points, whatever their clocks
	// say.
	Heads map[uint64][]time.Time
}

// samePackets reports whether two files hold the same packets seen at two
// points: most of the IPsec packets at the start of the smaller are at the
// start of the other too, each k-th copy of a packet the same time apart
// (the clock offset between the points, give or take the path's delay).
// A capture point whose clock is off by more than the capture lasts would
// otherwise pass for the next piece. Pieces of one capture share only an
// IKE message retransmitted across the cut, and its copies are not a
// constant time apart: retransmissions back off.
func samePackets(a, b FileSpan) bool {
	var deltas []time.Duration
	for sig, tb := range b.Heads {
		ta := a.Heads[sig]
		for i := range min(len(ta), len(tb)) {
			deltas = append(deltas, tb[i].Sub(ta[i]))
		}
	}
	smaller := min(headCount(a), headCount(b))
	if len(deltas) == 0 || len(deltas)*10 < smaller*8 {
		return false
	}
	slices.Sort(deltas)
	if len(deltas) == 1 {
		// One packet: a copy so soon after is not a retransmission.
		return deltas[0].Abs() < minRetransmit
	}
	return deltas[len(deltas)-1]-deltas[0] <= sameDelayJitter
}

// minRetransmit is less than any IKE daemon waits before retransmitting
// (libreswan 0.5 s, strongSwan 4 s, Cisco and Juniper 2 s or more).
const minRetransmit = 200 * time.Millisecond

// sameDelayJitter bounds how much the delay between two capture points
// varies over the packets of their start.
const sameDelayJitter = 100 * time.Millisecond

// headCount is how many IPsec packets the signatures of a file's start
// stand for.
func headCount(s FileSpan) int {
	n := 0
	for _, ts := range s.Heads {
		n += len(ts)
	}
	return n
}

// pieceTolerance is how far a piece may start before the previous piece of
// its point ends and still follow it: the records at a cut of a capture
// whose records are a little out of order (multi-queue capture) straddle
// it. It is the records' reorder window: beyond it they are not one
// timeline read in order anyway.
const pieceTolerance = reorderWindow

// follows reports whether b can come after a in one capture point: they
// hold different packets, and b starts when or after a ends (or before,
// within the tolerance and by a small part of either file only, so two
// points captured at the same time are never taken for pieces).
func follows(a, b FileSpan) bool {
	if !a.Records || !b.Records || samePackets(a, b) {
		return false
	}
	if !b.First.Before(a.Last) {
		return true
	}
	overlap := a.Last.Sub(b.First)
	short := min(a.Last.Sub(a.First), b.Last.Sub(b.First))
	return overlap <= pieceTolerance && overlap*4 < short
}

// GroupPoints takes files given without a point name as capture points:
// files whose time ranges follow one another are pieces of one point, read
// in time order; files whose ranges overlap are different points. Where a
// piece could follow several points, the one whose file names share the
// longest prefix with it is taken (a_002.pcap follows a_001.pcap, not
// b_001.pcap), then the one that ended last. Files with no record or an
// unknown span are points of their own. The points come in the order of
// their first files' times (PlanPoints then orders them as given).
func GroupPoints(spans []FileSpan) []Point {
	var chains []*pieceChain
	var alone []Point
	sorted := append([]FileSpan(nil), spans...)
	sort.SliceStable(sorted, func(i, j int) bool { return inTimeOrder(sorted[i], sorted[j]) })
	for _, s := range sorted {
		if !s.Known || !s.Records {
			why := "its time range could not be read: a capture point of its own"
			if s.Known {
				why = "it holds no packet"
			}
			alone = append(alone, Point{Files: []string{s.Name}, Why: why})
			continue
		}
		var best *pieceChain
		bestPrefix := -1
		for _, c := range chains {
			last := c.files[len(c.files)-1]
			if !follows(last, s) {
				continue
			}
			p := commonPrefix(filepath.Base(last.Name), filepath.Base(s.Name))
			if p > bestPrefix || p == bestPrefix && last.Last.After(best.files[len(best.files)-1].Last) {
				best, bestPrefix = c, p
			}
		}
		if best == nil {
			chains = append(chains, &pieceChain{files: []FileSpan{s}})
			continue
		}
		last := best.files[len(best.files)-1]
		gap := s.First.Sub(last.Last)
		how := fmt.Sprintf("starts %s after", roundGap(gap))
		if gap < 0 {
			how = fmt.Sprintf("starts %s before the end of", roundGap(-gap))
		}
		best.why = append(best.why, fmt.Sprintf("%s %s %s", filepath.Base(s.Name), how, filepath.Base(last.Name)))
		best.files = append(best.files, s)
	}
	var out []Point
	for _, c := range chains {
		p := Point{}
		for _, f := range c.files {
			p.Files = append(p.Files, f.Name)
		}
		if len(c.files) == 1 {
			p.Why = "one file"
		} else {
			p.Why = "one capture point in pieces, read in time order: " + strings.Join(c.why, "; ")
		}
		out = append(out, p)
	}
	if len(out) > 1 {
		for i := range out {
			apart := whyApart(chains, i)
			if len(out[i].Files) == 1 {
				out[i].Why = apart
			} else {
				out[i].Why += "; " + apart
			}
		}
	}
	return append(out, alone...)
}

// pieceChain is a capture point being assembled from pieces.
type pieceChain struct {
	files []FileSpan
	why   []string
}

// whyApart says why chain i is a capture point of its own: its first file
// holds the same packets as another point's file, or overlaps it in time.
func whyApart(chains []*pieceChain, i int) string {
	f := chains[i].files[0]
	for j, c := range chains {
		if j == i {
			continue
		}
		for _, g := range c.files {
			if samePackets(f, g) || samePackets(g, f) {
				return fmt.Sprintf("a capture point of its own: %s holds the same packets as %s", filepath.Base(f.Name), filepath.Base(g.Name))
			}
		}
	}
	for j, c := range chains {
		if j == i {
			continue
		}
		for _, g := range c.files {
			if f.First.Before(g.Last) && g.First.Before(f.Last) {
				return fmt.Sprintf("a capture point of its own: %s overlaps %s in time", filepath.Base(f.Name), filepath.Base(g.Name))
			}
		}
	}
	return "a capture point of its own: it follows no other capture"
}

// inTimeOrder orders files by their first record (ties by name); files
// whose time range is unknown or that hold no record come last, as given.
func inTimeOrder(a, b FileSpan) bool {
	at, bt := a.Known && a.Records, b.Known && b.Records
	switch {
	case at != bt:
		return at
	case !at:
		return false
	case !a.First.Equal(b.First):
		return a.First.Before(b.First)
	}
	return a.Name < b.Name
}

// commonPrefix is the length of the common prefix of two names.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// roundGap prints a gap between pieces as engineers read it.
func roundGap(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// PointSpec is a capture point the user named: --point NAME=FILES, FILES a
// file, a directory or a glob pattern.
type PointSpec struct {
	Name    string
	Pattern string
}

// ParsePointSpec reads NAME=FILES.
func ParsePointSpec(v string) (PointSpec, error) {
	name, pattern, ok := strings.Cut(v, "=")
	name, pattern = strings.TrimSpace(name), strings.TrimSpace(pattern)
	if !ok || name == "" || pattern == "" {
		return PointSpec{}, fmt.Errorf("--point %q: want NAME=FILES (a file, a directory or a pattern such as a_*.pcap)", v)
	}
	return PointSpec{Name: name, Pattern: pattern}, nil
}

// PlanPoints decides the capture points of a run: each --point spec's files
// (in time order) as that named point, and the other arguments, where a
// directory stands for the capture files in it, grouped by their times
// (GroupPoints). span reads a file's time range (capture.Span in a run;
// tests give their own).
func PlanPoints(args []string, named []PointSpec, span func(string) FileSpan) ([]Point, error) {
	if len(named) == 0 && len(args) == 1 && !isDir(args[0]) {
		return []Point{{Files: args, Why: "one file"}}, nil // nothing to read ahead
	}
	var points []Point
	seen := map[string]string{} // file → the point or argument that took it
	for _, ps := range named {
		files, err := expandPattern(ps.Pattern)
		if err != nil {
			return nil, fmt.Errorf("--point %s: %w", ps.Name, err)
		}
		i := -1
		for k := range points {
			if points[k].Name == ps.Name {
				i = k
			}
		}
		if i < 0 {
			points = append(points, Point{Name: ps.Name})
			i = len(points) - 1
		}
		for _, f := range files {
			if by, dup := seen[f]; dup {
				return nil, fmt.Errorf("%s is given twice (%s and --point %s)", f, by, ps.Name)
			}
			seen[f] = "--point " + ps.Name
			points[i].Files = append(points[i].Files, f)
		}
	}
	for i := range points {
		points[i].Files, points[i].Why = orderPieces(points[i].Files, span)
		points[i].Why = "named with --point: " + points[i].Why
	}
	var rest []FileSpan
	for _, a := range args {
		files := []string{a}
		if a != "-" {
			var err error
			if files, err = expandArg(a); err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			if by, dup := seen[f]; dup {
				return nil, fmt.Errorf("%s is given twice (%s and %s)", f, by, a)
			}
			seen[f] = a
			if f == "-" {
				rest = append(rest, FileSpan{Name: f})
				continue
			}
			rest = append(rest, span(f))
		}
	}
	if len(points) == 0 && len(rest) == 1 {
		return []Point{{Files: []string{rest[0].Name}, Why: "one file"}}, nil
	}
	// Capture k is the k-th point given: a point whose pieces were grouped
	// counts where its first file was given on the command line.
	given := map[string]int{}
	for i, r := range rest {
		given[r.Name] = i
	}
	grouped := GroupPoints(rest)
	sort.SliceStable(grouped, func(i, j int) bool {
		return firstGiven(grouped[i], given) < firstGiven(grouped[j], given)
	})
	points = append(points, grouped...)
	if len(points) == 0 {
		return nil, fmt.Errorf("no capture given")
	}
	return points, nil
}

// firstGiven is the position of a point's earliest-given file.
func firstGiven(p Point, given map[string]int) int {
	n := len(given)
	for _, f := range p.Files {
		n = min(n, given[f])
	}
	return n
}

// orderPieces puts a named point's files in time order and says how they
// follow each other.
func orderPieces(files []string, span func(string) FileSpan) ([]string, string) {
	if len(files) == 1 {
		return files, "one file"
	}
	spans := make([]FileSpan, len(files))
	for i, f := range files {
		spans[i] = span(f)
	}
	sort.SliceStable(spans, func(i, j int) bool { return inTimeOrder(spans[i], spans[j]) })
	var why []string
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
		if i == 0 {
			continue
		}
		prev := spans[i-1]
		switch {
		case !s.Known || !prev.Known:
			why = append(why, filepath.Base(s.Name)+" (time range unknown) after "+filepath.Base(prev.Name))
		case !follows(prev, s) && s.Records && prev.Records:
			why = append(why, fmt.Sprintf("%s overlaps %s by %s: its records are read in time order within the reorder window, the rest out of order", filepath.Base(s.Name), filepath.Base(prev.Name), roundGap(prev.Last.Sub(s.First))))
		}
	}
	msg := fmt.Sprintf("%d files read in time order", len(files))
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	return out, msg
}
