package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// A plain capture file of one capture point is read on every core: cut
// into byte ranges (capture.PlanRanges), one per GOMAXPROCS, each read and
// decoded by its own goroutine with its own decoder, with no hand-over of
// packets between goroutines. A range keeps what the correlator needs in
// order, few: its IKE messages, ICMP errors and NAT keepalives with their
// frames and times, its problem reports, and per ESP flow a summary
// (correlate.ESPRange). The merge then feeds them to the correlator range
// after range, in frame order, through the same code as a sequential run,
// with frame numbers offset by the records of the ranges before.
//
// A range boundary is a guess: a range that does not start where the
// range before it really ended is read again, in the merge, from there.
// An ESP flow whose anti-replay window after the head is not the one its
// range computed (reordering across a boundary) has its packets in that
// range read again. Whatever else the ranges cannot do
// exactly as one pass makes the run read the file in one pass instead,
// from the start, before anything was reported: records out of time order
// (one pass puts them back in order), IP fragments (reassembly crosses
// ranges), a read error (its message names frames a range cannot number),
// pcapng interfaces or sections after the first record, more kinds of
// other traffic than a decoder tallies. Each of these costs time, never a
// different result.

// rangeEvent is one thing a range keeps for the merge, at its frame.
type rangeEvent struct {
	frame   int            // the range's own number
	last    time.Time      // latest packet time in the range up to here
	p       *decode.Packet // IKE, ICMP error, NAT keepalive
	esp     *correlate.ESPRange
	problem string // a problem report, after "file: frame N, "
}

// rangeResult is what one range read.
type rangeResult struct {
	start, end          int64 // where it started, and really ended
	records             int
	firstRec, lastRec   time.Time // times of its first and last records
	firstPkt, lastPkt   time.Time // earliest and latest IPsec packet times
	events              []rangeEvent
	stats               decode.Stats
	traffic             []decode.Traffic
	drops               uint64
	bad                 string // why the ranges cannot be merged
	restructured, other bool
	problems            int // problem reports kept (events)
	dropped             int // problem reports beyond MaxProblems, counted
}

// sawPacket widens the range's IPsec packet times to t.
func (res *rangeResult) sawPacket(t time.Time) {
	if res.firstPkt.IsZero() || t.Before(res.firstPkt) {
		res.firstPkt = t
	}
	if t.After(res.lastPkt) {
		res.lastPkt = t
	}
}

// problem keeps a problem report, or counts it beyond the MaxProblems a
// run passes on: the run's first ones are among the ranges' first ones.
func (res *rangeResult) problem(frame int, msg string) {
	if res.problems >= MaxProblems {
		res.dropped++
		return
	}
	res.problems++
	res.events = append(res.events, rangeEvent{frame: frame, problem: msg})
}

// parallelOut replaces the source decoder's counts after a parallel read.
type parallelOut struct {
	stats   decode.Stats
	traffic []decode.Traffic
	drops   uint64
}

// tryParallel reads the run's file in ranges when it can (see above); it
// returns with the run done, or with nothing read and r.parallel saying
// why not. The caller holds no lock.
func (r *Run) tryParallel() {
	r.mu.Lock()
	why := r.parallelEligible()
	if why != "" {
		r.parallel = why
		r.mu.Unlock()
		return
	}
	s := r.srcs[0]
	name := s.files[0].name
	n := r.ranges
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
		if !r.opt.NoDigest {
			// The digest is one chain on one core, as long as the
			// analysis on several: a range more would only take turns
			// with it.
			n = max(n-1, 1)
		}
		// A small file is read faster than ranges are set up.
		if size := fileSize(name); size > 0 {
			n = int(max(1, min(int64(n), size/minRangeBytes)))
		}
	}
	r.mu.Unlock()

	plan, err := capture.PlanRanges(name, n)
	if err != nil {
		r.setParallel("sequential: " + err.Error())
		return
	}
	r.parTotal.Store(plan.Size)
	r.parActive.Store(true)
	defer r.parActive.Store(false)

	var digest chan digestResult
	if !r.opt.NoDigest {
		digest = make(chan digestResult, 1)
		go func() { digest <- digestFile(name, plan.Size) }()
	}
	results := r.readRanges(plan)
	var dr digestResult
	if digest != nil {
		dr = <-digest
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if digest != nil && dr.err != nil {
		// The file could not be read again for its digest: let the
		// one-pass reading read it (and report what it finds).
		r.parallel = "sequential: digest: " + dr.err.Error()
		return
	}
	if why := r.mergeRanges(plan, results); why != "" {
		r.parallel = "sequential: " + why
		r.cor = correlate.New(r.ccfg)
		return
	}
	r.parallel = fmt.Sprintf("parallel: %d ranges", plan.Ranges())
	if r.parRereads > 0 {
		r.parallel += fmt.Sprintf(", %d read again", r.parRereads)
	}
	f := s.files[0]
	if f.raw != nil {
		f.raw.Sum() // the sequential reader's digest of the header it read
	}
	if s.opened != nil {
		s.opened.Close() // opened for the sequential reader, which never came to it
	}
	f.raw = newHashingReader(nil, false)
	f.raw.n, f.total, f.sum, f.done = plan.Size, plan.Size, dr.sum, true
	r.finish()
}

func (r *Run) setParallel(why string) {
	r.mu.Lock()
	r.parallel = why
	r.mu.Unlock()
}

// parallelEligible is "" when the run can read in ranges, else why not.
func (r *Run) parallelEligible() string {
	switch {
	case r.noParallel:
		return "sequential: not asked"
	case len(r.srcs) != 1:
		return "sequential: several capture points"
	case r.done || r.srcs[0].frames > 0 || r.srcs[0].next != nil:
		return "sequential: already reading"
	case r.srcs[0].chain == nil || len(r.srcs[0].files) != 1:
		return "sequential: not one file"
	case r.srcs[0].files[0].name == "-":
		return "sequential: standard input"
	case r.opt.Packet != nil || r.opt.Decrypt != nil || r.frames != nil || r.scan != nil:
		return "sequential: packets are seen one by one (decode, decryption, frame store, scan)"
	}
	return ""
}

// readRanges reads every range of the plan, each on its own goroutine.
// A range that fails does not stop the others, unless it is the first
// (whose start is certain): a range whose start was guessed wrong fails
// for that, and is read again from where the range before ended.
func (r *Run) readRanges(plan *capture.RangePlan) []*rangeResult {
	results := make([]*rangeResult, plan.Ranges())
	sh := &rangeShared{budget: rangeBudget + int64(plan.Ranges())*rangeBudgetEach}
	var wg sync.WaitGroup
	for i := range results {
		results[i] = &rangeResult{}
		wg.Add(1)
		go func(res *rangeResult) {
			defer wg.Done()
			r.readRange(plan, plan.Starts[i], plan.End(i), res, sh)
			if i == 0 && res.bad != "" {
				sh.abort.Store(true)
			}
		}(results[i])
	}
	wg.Wait()
	return results
}

const beyondNanos = "time stamps beyond what nanoseconds since 1970 hold"

// nanosFit reports whether t is within what Time.UnixNano holds (1678 to
// 2262): range summaries keep times as nanoseconds.
func nanosFit(t time.Time) bool { return !t.Before(minNanosTime) && !t.After(maxNanosTime) }

var (
	minNanosTime = time.Unix(0, -1<<63)
	maxNanosTime = time.Unix(0, 1<<63-1)
)

// maxRangeRecords bounds a range's records: ESP range summaries keep
// frames in 31 bits (correlate.ESPRange).
const maxRangeRecords = 1 << 31

// minRangeBytes is the least a range is given when the run chooses the
// number of ranges (GOMAXPROCS).
const minRangeBytes = 4 << 20

// espHead is the head an ESPRange keeps (a variable for the tests).
var espHead = correlate.ESPRangeHead

// progressEvery is how many records a range reads between progress
// updates.
const progressEvery = 4096

// rangeShared is what the ranges read at once share: whether to stop,
// and the memory they may keep for the merge.
type rangeShared struct {
	abort  atomic.Bool
	spent  atomic.Int64 // bytes kept, as estimated
	budget int64
}

// rangeBudget bounds what the ranges keep for the merge, as estimated: the
// IKE messages, ICMP errors and keepalives, and a summary per flow and
// range. Memory follows SAs, not packets, unless the capture is an IKE
// flood or an SPI scan: past the budget the file is read in one pass, with
// the correlator's own bounds. The 2 GB bench capture keeps a few MiB.
var rangeBudget int64 = 128 << 20 // a variable for the tests

const rangeBudgetEach = 2 << 20

// Estimated costs of what a range keeps (and, for ESP flows,
// correlate.ESPRangeCost).
const (
	flowSlotCost = 2 * int(unsafe.Sizeof(flowSlot{})) // a flow table at most half full
	eventCost    = 256                                // an event, a packet without its message
	keptCheckout = 64 << 10
)

// keep counts n bytes kept; false when the budget is spent (the ranges
// stop).
func (sh *rangeShared) keep(n int) bool {
	if sh == nil {
		return true
	}
	if sh.spent.Add(int64(n)) > sh.budget {
		sh.abort.Store(true)
		return false
	}
	return true
}

// readRange reads the range from start to end into res; sh, when set, is
// shared with the ranges read at the same time.
func (r *Run) readRange(plan *capture.RangePlan, start, end int64, res *rangeResult, sh *rangeShared) {
	res.start = start
	rr, err := plan.OpenSpan(start, end)
	if err != nil {
		res.bad = err.Error()
		return
	}
	defer rr.Close()
	dec := decode.NewDecoder(r.opt.Decode)
	dec.ReusePackets(true)
	var flows flowTable
	summaries := correlate.NewESPRanges(espHead)
	espFlowCost := correlate.ESPRangeCost(espHead) + flowSlotCost
	var quick decode.ESPFields
	kept := 0 // bytes kept since the last check of the budget
	// newFlow keeps a flow first seen in the range at frame.
	newFlow := func(fr *correlate.ESPRange, k flowSlot, frame int) {
		flows.add(k, fr)
		kept += espFlowCost
		res.events = append(res.events, rangeEvent{frame: frame, esp: fr})
	}
	fileOrder := r.opt.FileOrder
	reported := res.start
	for {
		if res.records%progressEvery == 0 || kept >= keptCheckout {
			if !sh.keep(kept) {
				res.bad = overBudget
				return
			}
			kept = 0
			if sh != nil && sh.abort.Load() {
				res.bad = aborted
				return
			}
			off := rr.Offset()
			r.parRead.Add(off - reported)
			reported = off
		}
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.bad = "read error: " + err.Error()
			return
		}
		res.records++
		if res.records == maxRangeRecords {
			res.bad = "more records than a range numbers"
			return
		}
		if res.records == 1 || fileOrder {
			if !nanosFit(rec.Time) {
				res.bad = beyondNanos
				return
			}
			if res.records == 1 {
				res.firstRec = rec.Time
			}
		} else if rec.Time.Before(res.lastRec) {
			res.bad = "records out of time order"
			return
		}
		res.lastRec = rec.Time
		if dec.QuickESP(rec.LinkType, rec.Data, &quick) {
			// Nearly every record: an ESP packet, read in a few
			// dozen instructions, for its flow's counters.
			res.sawPacket(rec.Time)
			fr, k := flows.find(quick.SPI, quick.Src.Addr(), quick.Dst.Addr())
			if fr == nil {
				fr = summaries.New(&quick, rec.Time)
				newFlow(fr, k, rec.Frame)
			}
			fr.AddPacket(rec.Frame, rec.Time.UnixNano(), quick.Seq, false, quick.Length)
			continue
		}
		p, err := dec.Decode(rec)
		if dec.Fragmented() {
			res.bad = "IP fragments"
			return
		}
		if err != nil {
			res.problem(rec.Frame, err.Error())
			continue
		}
		if p == nil {
			continue
		}
		for _, pr := range p.Problems {
			res.problem(rec.Frame, pr.String())
		}
		if p.Time.IsZero() {
			// Packets without a time stamp (pcapng simple packet
			// blocks) make the analysis' first time depend on where
			// they lie.
			res.bad = "packets without time stamps"
			return
		}
		res.sawPacket(p.Time)
		switch p.Kind {
		case decode.KindESP:
			// What QuickESP leaves: ESP cut short, in fragments
			// reassembled, behind AH or in GRE.
			fr, k := flows.find(p.ESP.SPI, p.Src.Addr(), p.Dst.Addr())
			if fr == nil {
				fr = summaries.NewPacket(p)
				newFlow(fr, k, rec.Frame)
			}
			fr.Add(p)
		case decode.KindNATKeepalive:
			kept += eventCost
			cp := *p // the decoder reuses it
			res.events = append(res.events, rangeEvent{frame: rec.Frame, last: res.lastPkt, p: &cp})
		default:
			kept += eventCost + 2*len(rec.Data)
			res.events = append(res.events, rangeEvent{frame: rec.Frame, last: res.lastPkt, p: p})
		}
	}
	if res.records > 0 && !nanosFit(res.lastRec) {
		res.bad = beyondNanos
		return
	}
	r.parRead.Add(rr.Offset() - reported)
	res.end = rr.Offset()
	res.stats, res.traffic, res.drops = dec.Stats(), dec.Traffic(), rr.Drops()
	res.restructured = rr.Restructured()
	for _, t := range res.traffic {
		res.other = res.other || t.Layer == "other"
	}
}

const aborted = "stopped: another range failed"

const overBudget = "more IKE messages, ICMP errors, keepalives and ESP flows than ranges keep (an IKE flood, an SPI scan?)"

// maxTrafficKinds is the decoder's bound on the kinds of other traffic it
// tallies (decode).
const maxTrafficKinds = 256

// mergeRanges feeds the ranges' results to the correlator in frame order;
// it returns why it could not (the correlator must then be replaced).
// A range that does not start where the range before it ended (a boundary
// guessed wrong) is read again from there; the packets of an ESP flow whose
// range summary cannot be applied are read again from its range. Problems
// are reported only once the merge succeeded.
func (r *Run) mergeRanges(plan *capture.RangePlan, results []*rangeResult) string {
	s := r.srcs[0]
	file := s.files[0].name
	var out parallelOut
	var tallies [][]decode.Traffic
	var problems []string
	var lastRec time.Time // of the last range with records
	frames := 0
	for i, res := range results {
		if i > 0 {
			prev := results[i-1]
			if res.start != prev.end {
				r.parRereads++
				res = &rangeResult{}
				r.readRange(plan, prev.end, plan.End(i), res, nil)
				results[i] = res
			}
		}
		switch {
		case res.bad == aborted:
			for k, o := range results {
				if o.bad != "" && o.bad != aborted {
					return fmt.Sprintf("range %d: %s", k+1, o.bad)
				}
			}
			return fmt.Sprintf("range %d: %s", i+1, res.bad)
		case res.bad != "":
			return fmt.Sprintf("range %d: %s", i+1, res.bad)
		case res.restructured:
			return fmt.Sprintf("range %d: a pcapng section or interface after the first record", i+1)
		case res.other:
			return fmt.Sprintf("range %d: more than %d kinds of other traffic", i+1, maxTrafficKinds)
		case !r.opt.FileOrder && res.records > 0 && frames > 0 && res.firstRec.Before(lastRec):
			return fmt.Sprintf("range %d: records out of time order", i+1)
		}
		if res.records > 0 {
			lastRec = res.lastRec
		}
		out.stats.Add(res.stats)
		out.drops += res.drops
		tallies = append(tallies, res.traffic)
		var again []*correlate.ESPRange
		for _, ev := range res.events {
			switch {
			case ev.problem != "":
				problems = append(problems, fmt.Sprintf("%s: frame %d, %s", file, frames+ev.frame, ev.problem))
			case ev.esp != nil:
				if !r.cor.AddESPRange(ev.esp, frames) {
					again = append(again, ev.esp)
				}
			default:
				ev.p.Frame += frames
				if ev.p.ICMP != nil && ev.p.ICMP.Quoted != nil {
					ev.p.ICMP.Quoted.Frame += frames
				}
				r.cor.AddAfter(ev.p, ev.last)
			}
		}
		if len(again) > 0 {
			// Nothing but its own packets reads or changes a flow: its
			// packets are added now, before the ranges after this one.
			if why := r.rereadFlows(plan, res, again, frames); why != "" {
				return fmt.Sprintf("range %d: %s", i+1, why)
			}
		}
		r.cor.SeeTimes(res.firstPkt, res.lastPkt)
		frames += res.records
	}
	out.traffic = decode.MergeTraffic(tallies...)
	if len(out.traffic) > maxTrafficKinds {
		return fmt.Sprintf("more than %d kinds of other traffic", maxTrafficKinds)
	}
	s.frames = frames
	s.par = &out
	if frames > 0 {
		r.t0 = results[0].firstRec
	}
	for _, msg := range problems {
		r.problem(s, msg)
	}
	for _, res := range results {
		s.suppress += res.dropped
	}
	return ""
}

// rereadFlows reads a range again for the packets of the flows, and adds
// them to the correlator (frames: the records before the range).
func (r *Run) rereadFlows(plan *capture.RangePlan, res *rangeResult, flows []*correlate.ESPRange, frames int) string {
	r.parRereads++
	rr, err := plan.OpenSpan(res.start, res.end)
	if err != nil {
		return err.Error()
	}
	defer rr.Close()
	dec := decode.NewDecoder(r.opt.Decode)
	dec.ReusePackets(true)
	seen := make([]int, len(flows))
	for {
		rec, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "reading again: " + err.Error()
		}
		p, _ := dec.Decode(rec)
		if p == nil || p.Kind != decode.KindESP {
			continue
		}
		for k, f := range flows {
			if f.Is(p.ESP.SPI, p.Src.Addr(), p.Dst.Addr()) {
				seen[k]++
				p.Frame += frames
				r.cor.AddESPAgain(p)
				break
			}
		}
	}
	for k, f := range flows {
		if uint64(seen[k]) != f.Packets() {
			return "reading again: the file changed"
		}
	}
	return ""
}

type digestResult struct {
	sum string
	err error
}

// digestFile is the SHA-256 of the first size bytes of a file (the bytes
// the ranges read, should it grow meanwhile), read beside the ranges.
func digestFile(name string, size int64) digestResult {
	f, err := os.Open(name)
	if err != nil {
		return digestResult{err: err}
	}
	defer f.Close()
	d := sha256.New()
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(d, io.NewSectionReader(f, 0, size), buf)
	if err != nil {
		return digestResult{err: err}
	}
	if n != size {
		return digestResult{err: fmt.Errorf("%s: %d bytes read for the digest, %d planned (the file changed?)", name, n, size)}
	}
	return digestResult{sum: hex.EncodeToString(d.Sum(nil))}
}
