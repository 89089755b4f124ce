package decrypt

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// protoIPComp is the IP protocol number of IPComp (RFC 3173), as an ESP
// trailer's next header.
const protoIPComp = 108

// maxInflated bounds a decompressed payload: an IP packet is at most
// 65535 bytes, so more is not a packet (and a small input cannot make the
// decoder allocate without end).
const maxInflated = 65535

// openIPComp reads the IPComp header at the start of data (RFC 3173 §2.2:
// next header, flags, CPI) and inflates a DEFLATE payload (RFC 2394: raw
// DEFLATE, RFC 1951). It returns the header, the payload (inflated when
// Inflated is set, else as it came), its next header, and why the packet
// cannot be IPComp ("" when it can). A negotiated CPI is tried as DEFLATE,
// the only algorithm strongSwan, libreswan and Linux implement; LZS, LZJH
// and OUI payloads are named and left compressed.
func openIPComp(data []byte) (*decode.IPComp, []byte, uint8, string) {
	if len(data) < 4 {
		return nil, nil, 0, fmt.Sprintf("IPComp header cut short: %d bytes", len(data))
	}
	nh, cpi := data[0], binary.BigEndian.Uint16(data[2:4])
	ipc := &decode.IPComp{CPI: cpi, Compressed: len(data) - 4}
	if cpi >= 1 && cpi <= 4 {
		// RFC 3173 §3.3: a well-known CPI is its transform ID; a CPI of
		// 256 and above was negotiated in IKE and says nothing by itself
		ipc.Algorithm = isakmp.IPCompName(uint8(cpi))
	}
	payload := data[4:]
	if ipc.Algorithm != "" && ipc.Algorithm != "DEFLATE" {
		return ipc, payload, nh, ""
	}
	out, err := inflate(payload)
	switch {
	case err == nil:
		ipc.Algorithm, ipc.Inflated = "DEFLATE", true
		return ipc, out, nh, ""
	case ipc.Algorithm == "DEFLATE":
		return nil, nil, 0, fmt.Sprintf("IPComp CPI 0x%04x (DEFLATE): the payload does not inflate: %v", cpi, err)
	}
	return ipc, payload, nh, ""
}

// inflate decompresses raw DEFLATE, refusing more than maxInflated bytes.
func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("inflates past %d bytes", maxInflated)
	}
	return out, nil
}
