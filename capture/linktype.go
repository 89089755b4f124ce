package capture

import (
	"encoding/binary"
)

// LinkType is a LINKTYPE_ value from the tcpdump.org registry. gopacket
// v1.1.19 stores link types in a byte, which cannot hold LINKTYPE_LINUX_SLL2
// (276, what `tcpdump -i any` writes), so the reader keeps its own.
type LinkType uint16

// Link types the decoder knows.
const (
	LinkTypeNull      LinkType = 0
	LinkTypeEthernet  LinkType = 1
	LinkTypeRawAlt1   LinkType = 12 // DLT_RAW on some BSDs
	LinkTypeRawAlt2   LinkType = 14 // DLT_RAW on OpenBSD
	LinkTypeRaw       LinkType = 101
	LinkTypeLoop      LinkType = 108
	LinkTypeLinuxSLL  LinkType = 113
	LinkTypeIPv4      LinkType = 228
	LinkTypeIPv6      LinkType = 229
	LinkTypeLinuxSLL2 LinkType = 276
)

// pcapLinkType reads the link type from a classic pcap file header, in
// either byte order.
func pcapLinkType(hdr []byte) LinkType {
	order := binary.ByteOrder(binary.LittleEndian)
	if m := binary.BigEndian.Uint32(hdr); m == 0xa1b2c3d4 || m == 0xa1b23c4d {
		order = binary.BigEndian
	}
	return LinkType(order.Uint32(hdr[20:24]) & 0xffff)
}
