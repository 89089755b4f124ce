package capture

import (
	"encoding/binary"
	"slices"
	"time"
)

// Finding the last record of a file from its end.
//
// Neither format can be read backwards for sure: a pcap record has no
// trailer at all, and a pcapng block's trailing length can be cut off or
// look like data. So the tail is read forwards from every offset at once:
// from each (aligned) offset of the window, the chain of records or
// blocks that would start there is followed to the end of the file, and
// the last whole record of each chain that gets there noted. The real
// records form one such chain from the first record boundary in the
// window; a chain from bytes inside a record that only look like a header
// soon lands on something implausible, or joins the real chain (and so
// ends at the same last record). A file cut in the middle of a record
// ends its chain with that record's plausible start. When chains end at
// different last records (a capture of a capture file, or a crafted one),
// or no chain covers the window from its start, the tail does not tell.

// pcapng block types that may be cut at the end of a file besides packets
// (those the writers of ring files put there).
const (
	ngNameResolution    = 0x00000004
	ngDecryptionSecrets = 0x0000000a
	ngCustom            = 0x00000bad
	ngCustomNoCopy      = 0x40000bad
)

// stepKind is what a chain step finds at an offset.
type stepKind uint8

const (
	stepBad    stepKind = iota // nothing plausible starts here
	stepRecord                 // a whole record of n bytes
	stepOther                  // a whole block of n bytes that is no record (pcapng)
	stepCut                    // a plausible start whose n bytes run past the end
)

// Chain results per offset: the offset of the last whole record of the
// chain from there, or one of these.
const (
	chainBad  = -1 // the chain meets something implausible
	chainNone = -2 // the chain gets to the end without a whole record
)

// lastInTail finds the offset in buf, the end of a file, of the last whole
// record. starts are the offsets, ascending, where a record or block may
// start by a quick test of the format's (what fails it is implausible);
// step tells what starts at the beginning of its argument, which runs to
// the end of the file. minHdr is the least a step needs to look at (fewer
// bytes at the end are a cut header). anchored says that buf starts at a
// record boundary, so only the chain from 0 counts; otherwise a chain must
// start within cover bytes of buf's start, and every chain must agree.
// found is false when no whole record follows buf's start (anchored
// only); ok is false when the tail does not tell.
func lastInTail(buf []byte, starts []int32, minHdr, cover int, anchored bool, step func(b []byte) (stepKind, int)) (off int, found, ok bool) {
	if len(buf) < minHdr {
		return 0, false, anchored // nothing whole after the first record
	}
	res := make([]int32, len(starts))
	// rest is the result of the chain from o, a later offset than those
	// being worked out.
	rest := func(o int) int32 {
		if len(buf)-o < minHdr {
			return chainNone // the end, or a cut header
		}
		i, ok := slices.BinarySearch(starts, int32(o))
		if !ok {
			return chainBad
		}
		return res[i]
	}
	for i := len(starts) - 1; i >= 0; i-- {
		o := int(starts[i])
		if len(buf)-o < minHdr {
			res[i] = chainNone
			continue
		}
		k, n := step(buf[o:])
		switch {
		case k == stepBad || n <= 0:
			res[i] = chainBad
		case k == stepCut || o+n > len(buf):
			res[i] = chainNone
		default:
			switch r := rest(o + n); {
			case r != chainNone:
				res[i] = r
			case k == stepRecord:
				res[i] = int32(o)
			default:
				res[i] = chainNone
			}
		}
	}
	if anchored {
		switch r := rest(0); r {
		case chainBad:
			return 0, false, false
		case chainNone:
			return 0, false, true
		default:
			return int(r), true, true
		}
	}
	last, covered := -1, false
	for i, r := range res {
		if r < 0 {
			continue
		}
		if last >= 0 && int(r) != last {
			return 0, false, false // two chains, two ends
		}
		last = int(r)
		if int(starts[i]) < cover {
			covered = true
		}
	}
	return last, last >= 0, covered
}

// pcapTail finds the last record of a classic pcap file from the window
// buf (see tailSpan).
func (f *File) pcapTail(buf []byte, anchored bool, cover int, first time.Time) (time.Time, bool, bool) {
	order, mul := f.pcap.order, f.pcap.nsecMul
	fracLimit := uint32(1_000_000)
	if mul == 1 {
		fracLimit = 1_000_000_000
	}
	minSec := max(first.Add(-spanMargin).Unix(), 0)
	big := order == binary.BigEndian
	u32 := func(b []byte) uint32 {
		if big {
			return binary.BigEndian.Uint32(b)
		}
		return binary.LittleEndian.Uint32(b)
	}
	plausible := func(h []byte) bool {
		frac, caplen, wire := u32(h[4:8]), u32(h[8:12]), u32(h[12:16])
		return frac < fracLimit && int64(u32(h[0:4])) >= minSec && caplen <= maxSnaplen && caplen <= wire
	}
	var starts []int32
	for o := 0; o+pcapRecordHeaderLen <= len(buf); o++ {
		if plausible(buf[o : o+pcapRecordHeaderLen]) {
			starts = append(starts, int32(o))
		}
	}
	step := func(b []byte) (stepKind, int) {
		if !plausible(b[:pcapRecordHeaderLen]) {
			return stepBad, 0
		}
		n := pcapRecordHeaderLen + int(u32(b[8:12]))
		if n > len(b) {
			return stepCut, n
		}
		return stepRecord, n
	}
	off, found, ok := lastInTail(buf, starts, pcapRecordHeaderLen, cover, anchored, step)
	if !ok {
		return time.Time{}, false, false
	}
	if !found {
		return first, anchored, true
	}
	h := buf[off:]
	last := time.Unix(int64(order.Uint32(h[0:4])), int64(order.Uint32(h[4:8])*mul)).UTC()
	if !anchored && !plausibleLast(first, last) {
		return time.Time{}, false, false
	}
	return last, anchored, true
}

// spanMaxLength is the longest a file found from its end may last: a
// capture file of more than a year is a clock that jumped, or a last
// record that is not one (a pcapng section with another resolution).
const spanMaxLength = 366 * 24 * time.Hour

// plausibleLast tells whether last, found from the end of a file, can be
// the time of its last record, whose first is stamped first.
func plausibleLast(first, last time.Time) bool {
	return !last.Before(first.Add(-spanMargin)) && !last.After(first.Add(spanMaxLength))
}

// ngTail finds the last packet of a pcapng file from the window buf,
// which starts at byte wstart of the file of size bytes (see tailSpan).
// Packets are stamped by the interfaces read from the start of the
// section; an interface or section header in the window is beyond that,
// and so is an interface the start did not describe.
func (f *File) ngTail(buf []byte, wstart, size int64, anchored bool, cover int, first time.Time) (time.Time, bool, bool) {
	n := f.ng
	if n.sectionEnd >= 0 && n.sectionEnd != size {
		return time.Time{}, false, false // another section follows, or the file is cut
	}
	u32 := n.u32
	// Where a block may start: its lengths agree, or it runs past the
	// end, or it is a section header.
	var starts []int32
	for o := 0; o+8 <= len(buf); o += 4 {
		l := int(u32(buf[o+4 : o+8]))
		if l >= 12 && l%4 == 0 && (l > len(buf)-o || int(u32(buf[o+l-4:o+l])) == l) ||
			binary.LittleEndian.Uint32(buf[o:o+4]) == ngSectionHeader {
			starts = append(starts, int32(o))
		}
	}
	doubt := false
	step := func(b []byte) (stepKind, int) {
		typ, l := u32(b[0:4]), u32(b[4:8])
		if binary.LittleEndian.Uint32(b[0:4]) == ngSectionHeader {
			doubt = true // or data that looks like one: either way, read the file
			return stepBad, 0
		}
		if l < 12 || l%4 != 0 {
			return stepBad, 0
		}
		whole := int64(l) <= int64(len(b)) && u32(b[l-4:]) == l
		switch typ {
		case ngEnhancedPacket, ngSimplePacket, ngObsoletePacket:
			if l > ngMaxBlockLen {
				return stepBad, 0
			}
			if int64(l) > int64(len(b)) {
				return stepCut, int(l)
			}
			if !whole {
				return stepBad, 0
			}
			return f.ngPacketStep(typ, b[8:l-4]), int(l)
		case ngInterfaceDesc:
			if whole {
				doubt = true
			}
			return stepBad, 0
		}
		if l > ngMaxSkipBlockLen {
			return stepBad, 0
		}
		if int64(l) > int64(len(b)) {
			switch typ {
			case ngInterfaceStats, ngNameResolution, ngDecryptionSecrets, ngCustom, ngCustomNoCopy:
				return stepCut, int(l)
			}
			return stepBad, 0
		}
		if !whole {
			return stepBad, 0
		}
		return stepOther, int(l)
	}
	off, found, ok := lastInTail(buf, starts, 8, cover, anchored, step)
	if !ok || doubt {
		return time.Time{}, false, false
	}
	exact := anchored || n.sectionEnd == size
	if !found {
		return first, exact, true
	}
	b := buf[off:]
	l := u32(b[4:8])
	rec, err := n.packet(wstart+int64(off), u32(b[0:4]), b[8:l-4])
	if err != nil || (!exact && !plausibleLast(first, rec.time)) {
		return time.Time{}, false, false
	}
	return rec.time, exact, true
}

// ngPacketStep tells whether a whole packet block with this body is a
// record as ngReader.packet reads it, or one it skips (stepOther); a
// packet of an interface the start of the section did not describe is
// doubtful (stepBad).
func (f *File) ngPacketStep(typ uint32, body []byte) stepKind {
	n := f.ng
	iface := 0
	switch typ {
	case ngEnhancedPacket:
		if len(body) >= 4 {
			iface = int(n.order.Uint32(body[0:4]))
		}
	case ngObsoletePacket:
		if len(body) >= 2 {
			iface = int(n.order.Uint16(body[0:2]))
		}
	}
	if iface >= len(n.ifaces) {
		return stepBad
	}
	if _, err := n.packet(0, typ, body); err != nil {
		return stepOther
	}
	return stepRecord
}
