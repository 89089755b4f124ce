package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ngReader reads pcapng (draft-ietf-opsawg-pcapng) packet records.
//
// It replaces gopacket's pcapgo.NgReader for pcapng, which this tool cannot
// use on captures from tickets: it stores link types in a byte (SLL2, 276,
// becomes 20), allocates whatever a snaplen or block length claims (a 4 GiB
// buffer for a hostile 140-byte file), and hides where a record starts.
// This reader bounds every allocation, keeps 16-bit link types, and reports
// the offset of each packet block. Classic pcap still goes through pcapgo.
type ngReader struct {
	r      *bufio.Reader
	pos    func() int64 // offset of the next unread byte
	order  binary.ByteOrder
	big    bool // order is big-endian (u32 for the per-packet reads: ByteOrder's methods are not inlined)
	ifaces []ngInterface
	gen    int // counts the sections and interfaces read (capture marks)
	// sectionEnd is where the current section ends by its header's
	// section length, or -1 when the header does not say (Span).
	sectionEnd int64
	// Drops sums the interface drop counters (isb_ifdrop) seen so far.
	Drops uint64
}

type ngInterface struct {
	linkType LinkType
	snaplen  uint32
	// Timestamps are ticks of 1/tsPerSec seconds since tsOffset.
	tsPerSec uint64
	tsOffset int64
}

// pcapng block types (§4) and the options read here.
const (
	ngSectionHeader   = 0x0a0d0d0a
	ngInterfaceDesc   = 0x00000001
	ngObsoletePacket  = 0x00000002
	ngSimplePacket    = 0x00000003
	ngInterfaceStats  = 0x00000005
	ngEnhancedPacket  = 0x00000006
	ngByteOrderMagic  = 0x1a2b3c4d
	ngOptEnd          = 0
	ngOptIfTsresol    = 9
	ngOptIfTsoffset   = 14
	ngOptIsbIfdrop    = 5
	ngMaxBlockLen     = maxSnaplen + 64<<10 // a packet and generous options
	ngMaxSkipBlockLen = 16 << 20            // other blocks are skipped, not read
)

// ngRecord is one packet as the pcapng reader returns it.
type ngRecord struct {
	data      []byte
	origLen   int
	time      time.Time
	linkType  LinkType
	iface     int
	offset    int64
	hasTime   bool
	truncated bool
}

func newNgReader(r *bufio.Reader, pos func() int64) *ngReader {
	return &ngReader{r: r, pos: pos, order: binary.LittleEndian}
}

// next returns the next packet record, io.EOF at a clean end, or an error
// located at the offset of the offending block.
func (n *ngReader) next() (ngRecord, error) {
	for {
		start := n.pos()
		hdr, err := n.r.Peek(8)
		if err != nil {
			if len(hdr) == 0 && (err == io.EOF) {
				return ngRecord{}, io.EOF
			}
			return ngRecord{}, cutErr(start, "the file ends inside a block header (cut off?)")
		}
		typ := n.u32(hdr[0:4])
		if binary.LittleEndian.Uint32(hdr[0:4]) == ngSectionHeader {
			if err := n.sectionHeader(start); err != nil {
				return ngRecord{}, err
			}
			continue
		}
		length := n.u32(hdr[4:8])
		if length < 12 || length%4 != 0 {
			return ngRecord{}, corruptErr(start, fmt.Sprintf("block type 0x%x has invalid length %d (corrupt block)", typ, length))
		}
		switch typ {
		case ngEnhancedPacket, ngSimplePacket, ngObsoletePacket:
			if length > ngMaxBlockLen {
				return ngRecord{}, corruptErr(start, fmt.Sprintf("packet block length %d is beyond any snaplen (corrupt block)", length))
			}
			body, err := n.readBlock(start, length)
			if err != nil {
				return ngRecord{}, err
			}
			return n.packet(start, typ, body)
		case ngInterfaceDesc, ngInterfaceStats:
			if length > ngMaxBlockLen {
				return ngRecord{}, corruptErr(start, fmt.Sprintf("block type 0x%x length %d is too large (corrupt block)", typ, length))
			}
			body, err := n.readBlock(start, length)
			if err != nil {
				return ngRecord{}, err
			}
			if typ == ngInterfaceDesc {
				if err := n.interfaceDescription(start, body); err != nil {
					return ngRecord{}, err
				}
			} else {
				n.interfaceStatistics(body)
			}
		default:
			// Name resolution, decryption secrets, custom blocks: skipped.
			if length > ngMaxSkipBlockLen {
				return ngRecord{}, corruptErr(start, fmt.Sprintf("block type 0x%x length %d is too large (corrupt block)", typ, length))
			}
			if _, err := n.r.Discard(int(length)); err != nil {
				return ngRecord{}, cutErr(start, "the file ends inside a block (cut off?)")
			}
		}
	}
}

func (n *ngReader) u32(b []byte) uint32 {
	if n.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// readBlock reads a whole block and returns its body (without type,
// lengths), checking the trailing length. The body is not copied: it lies
// in the bufio.Reader's buffer (as large as any block read here) and is
// valid until the next read.
func (n *ngReader) readBlock(start int64, length uint32) ([]byte, error) {
	b, err := n.r.Peek(int(length))
	if err != nil {
		n.r.Discard(len(b)) // as a short read would have consumed them
		return nil, cutErr(start, "the file ends inside a block (cut off?)")
	}
	n.r.Discard(int(length))
	if trail := n.u32(b[length-4:]); trail != length {
		return nil, corruptErr(start, fmt.Sprintf("block length %d and trailing length %d differ (corrupt block)", length, trail))
	}
	return b[8 : length-4], nil
}

func (n *ngReader) sectionHeader(start int64) error {
	hdr, err := n.r.Peek(12)
	if err != nil {
		return cutErr(start, "the file ends inside a section header (cut off?)")
	}
	switch {
	case binary.LittleEndian.Uint32(hdr[8:12]) == ngByteOrderMagic:
		n.order, n.big = binary.LittleEndian, false
	case binary.BigEndian.Uint32(hdr[8:12]) == ngByteOrderMagic:
		n.order, n.big = binary.BigEndian, true
	default:
		return ngErr(start, "section header has no valid byte-order magic")
	}
	length := n.order.Uint32(hdr[4:8])
	if length < 28 || length%4 != 0 || length > ngMaxBlockLen {
		return ngErr(start, fmt.Sprintf("section header has invalid length %d", length))
	}
	body, err := n.readBlock(start, length)
	if err != nil {
		return err
	}
	if major := n.order.Uint16(body[4:6]); major != 1 {
		return ngErr(start, fmt.Sprintf("pcapng major version %d is not supported", major))
	}
	n.gen++
	n.sectionEnd = -1
	if l := int64(n.order.Uint64(body[8:16])); l >= 0 && l < 1<<60 {
		n.sectionEnd = start + int64(length) + l
	}
	n.ifaces = n.ifaces[:0] // interfaces are per section
	if n.ifaces == nil {
		n.ifaces = []ngInterface{}
	}
	return nil
}

func (n *ngReader) interfaceDescription(start int64, body []byte) error {
	if len(body) < 8 {
		return &ngError{offset: start, reason: "interface description block is too short", skipped: true, notPacket: true}
	}
	if len(n.ifaces) >= 1<<16 {
		return ngErr(start, "more than 65536 interfaces")
	}
	ifc := ngInterface{
		linkType: LinkType(n.order.Uint16(body[0:2])),
		snaplen:  n.order.Uint32(body[4:8]),
		tsPerSec: 1_000_000,
	}
	n.options(body[8:], func(code uint16, v []byte) {
		switch {
		case code == ngOptIfTsresol && len(v) >= 1:
			exp := uint64(v[0] & 0x7f)
			base := uint64(10)
			if v[0]&0x80 != 0 {
				base = 2
			}
			if per, ok := pow(base, exp); ok {
				ifc.tsPerSec = per
			}
		case code == ngOptIfTsoffset && len(v) >= 8:
			ifc.tsOffset = int64(n.order.Uint64(v))
		}
	})
	n.ifaces = append(n.ifaces, ifc)
	n.gen++
	return nil
}

func (n *ngReader) interfaceStatistics(body []byte) {
	if len(body) < 12 {
		return
	}
	n.options(body[12:], func(code uint16, v []byte) {
		if code == ngOptIsbIfdrop && len(v) >= 8 {
			n.Drops += n.order.Uint64(v)
		}
	})
}

// options walks a block's options, stopping at opt_endofopt or at the
// first option that does not fit.
func (n *ngReader) options(b []byte, f func(code uint16, v []byte)) {
	for len(b) >= 4 {
		code, l := n.order.Uint16(b[0:2]), int(n.order.Uint16(b[2:4]))
		if code == ngOptEnd || 4+l > len(b) {
			return
		}
		f(code, b[4:4+l])
		b = b[min(len(b), 4+(l+3)&^3):]
	}
}

func (n *ngReader) packet(start int64, typ uint32, body []byte) (ngRecord, error) {
	rec := ngRecord{offset: start}
	var ifaceID int
	var ts uint64
	var capLen uint32
	var data []byte
	switch typ {
	case ngEnhancedPacket, ngObsoletePacket:
		if len(body) < 20 {
			return rec, skipErr(start, "packet block is too short")
		}
		if typ == ngEnhancedPacket {
			ifaceID = int(n.u32(body[0:4]))
		} else {
			ifaceID = int(n.order.Uint16(body[0:2]))
		}
		ts = uint64(n.u32(body[4:8]))<<32 | uint64(n.u32(body[8:12]))
		capLen = n.u32(body[12:16])
		rec.origLen = int(n.u32(body[16:20]))
		if int64(capLen) > int64(len(body)-20) {
			return rec, skipErr(start, fmt.Sprintf("captured length %d exceeds the %d bytes of the block", capLen, len(body)-20))
		}
		data = body[20 : 20+capLen]
		rec.hasTime = true
	case ngSimplePacket:
		if len(body) < 4 {
			return rec, skipErr(start, "simple packet block is too short")
		}
		rec.origLen = int(n.order.Uint32(body[0:4]))
		data = body[4:]
		if len(data) > rec.origLen {
			data = data[:rec.origLen] // the rest is padding
		}
	}
	if len(data) > maxSnaplen {
		return rec, skipErr(start, fmt.Sprintf("record length %d is beyond any snaplen", len(data)))
	}
	if ifaceID >= len(n.ifaces) {
		return rec, skipErr(start, fmt.Sprintf("packet names interface %d, the section has %d", ifaceID, len(n.ifaces)))
	}
	ifc := n.ifaces[ifaceID]
	if ifc.snaplen != 0 && typ == ngSimplePacket && uint32(len(data)) > ifc.snaplen {
		data = data[:ifc.snaplen]
	}
	rec.data, rec.iface, rec.linkType = data, ifaceID, ifc.linkType
	if rec.origLen < len(data) {
		rec.origLen = len(data)
	}
	if rec.hasTime {
		sec, frac := ts/ifc.tsPerSec, ts%ifc.tsPerSec
		var nsec uint64
		if ifc.tsPerSec <= 1_000_000_000 {
			nsec = frac * (1_000_000_000 / ifc.tsPerSec)
			if 1_000_000_000%ifc.tsPerSec != 0 { // binary resolutions
				nsec = frac * 1_000_000_000 / ifc.tsPerSec
			}
		} else {
			nsec = frac / (ifc.tsPerSec / 1_000_000_000)
		}
		rec.time = time.Unix(int64(sec)+ifc.tsOffset, int64(nsec)).UTC()
	}
	return rec, nil
}

// pow returns base^exp when it fits comfortably in a uint64.
func pow(base, exp uint64) (uint64, bool) {
	v := uint64(1)
	for range exp {
		if v > math.MaxUint64/base/16 {
			return 0, false
		}
		v *= base
	}
	return v, true
}

// ngError is a pcapng problem located at a block's offset. A skipped block
// was read whole and reading goes on after it; a corrupt one lost the
// block framing, and reading goes on at the next valid block found.
type ngError struct {
	offset    int64
	reason    string
	skipped   bool
	corrupt   bool
	cut       bool // the data ran out inside a block
	notPacket bool // a skipped block that was not a packet record
}

func (e *ngError) Error() string { return e.reason }

func ngErr(off int64, reason string) error { return &ngError{offset: off, reason: reason} }

// cutErr is a block that the data ends inside.
func cutErr(off int64, reason string) error { return &ngError{offset: off, reason: reason, cut: true} }

// skipErr is a problem inside a block that was read whole.
func skipErr(off int64, reason string) error {
	return &ngError{offset: off, reason: reason, skipped: true}
}

// corruptErr is a block whose framing cannot be trusted.
func corruptErr(off int64, reason string) error {
	return &ngError{offset: off, reason: reason, corrupt: true}
}

// resync looks for the next block whose header and trailing length agree,
// 4 bytes at a time (blocks are 32-bit aligned), and stops there. It
// returns how many bytes it skipped, and false at the end of the file.
func (n *ngReader) resync() (int64, bool) {
	var skipped int64
	for {
		hdr, err := n.r.Peek(12)
		if err != nil {
			d, _ := n.r.Discard(len(hdr))
			return skipped + int64(d), false
		}
		typ, length := n.order.Uint32(hdr[0:4]), n.order.Uint32(hdr[4:8])
		switch typ {
		case ngInterfaceDesc, ngSimplePacket, ngInterfaceStats, ngEnhancedPacket, ngObsoletePacket, ngSectionHeader:
			if typ == ngSectionHeader {
				length = binary.LittleEndian.Uint32(hdr[4:8])
				if binary.BigEndian.Uint32(hdr[8:12]) == ngByteOrderMagic {
					length = binary.BigEndian.Uint32(hdr[4:8])
				}
			}
			if length >= 12 && length%4 == 0 && length <= ngMaxBlockLen {
				if blk, err := n.r.Peek(int(length)); err == nil {
					trail := n.order.Uint32(blk[length-4:])
					if typ == ngSectionHeader {
						trail = binary.LittleEndian.Uint32(blk[length-4:])
						if binary.BigEndian.Uint32(hdr[8:12]) == ngByteOrderMagic {
							trail = binary.BigEndian.Uint32(blk[length-4:])
						}
					}
					if trail == length {
						return skipped, true
					}
				}
			}
		}
		n.r.Discard(4)
		skipped += 4
	}
}

// offsetOf returns the block offset carried by a pcapng error.
func offsetOf(err error) (int64, bool) {
	var ne *ngError
	if errors.As(err, &ne) {
		return ne.offset, true
	}
	return 0, false
}
