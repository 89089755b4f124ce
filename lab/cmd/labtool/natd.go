package main

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// natdMismatches checks the NAT detection payloads of the capture against
// the addresses and ports of the packets that carry them (RFC 7296 2.23:
// SHA-1(SPIi | SPIr | IP | port); RFC 3947: HASH(CKY-I | CKY-R | IP | port)
// with the negotiated hash, the first NAT-D the destination, the others
// the source). It returns the frames whose hashes do not match.
func natdMismatches(dir string) ([]int, error) {
	out, err := tshark(dir, "-Y", "isakmp", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.number", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.srcport", "-e", "udp.dstport",
		"-e", "isakmp.ispi", "-e", "isakmp.rspi", "-e", "isakmp.version",
		"-e", "isakmp.notify.msgtype", "-e", "isakmp.notify.data", "-e", "isakmp.ike.nat_hash")
	if err != nil {
		return nil, err
	}
	var bad []int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 11 {
			continue
		}
		frame, _ := strconv.Atoi(f[0])
		src, err1 := netip.ParseAddr(first(f[1]))
		dst, err2 := netip.ParseAddr(first(f[2]))
		sport, _ := strconv.Atoi(first(f[3]))
		dport, _ := strconv.Atoi(first(f[4]))
		ispi, err3 := hex.DecodeString(strings.ReplaceAll(first(f[5]), ":", ""))
		rspi, err4 := hex.DecodeString(strings.ReplaceAll(first(f[6]), ":", ""))
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			continue
		}
		// UDP 4500 carries IKE after a 4-byte non-ESP marker; the ports
		// are those of the UDP header either way
		type check struct {
			want []byte
			addr netip.Addr
			port int
		}
		var checks []check
		if strings.HasPrefix(f[7], "0x2") || strings.HasPrefix(f[7], "2") {
			types := strings.Split(f[8], ",")
			datas := strings.Split(f[9], ",")
			for i, t := range types {
				if i >= len(datas) {
					break
				}
				d, err := hex.DecodeString(strings.ReplaceAll(datas[i], ":", ""))
				if err != nil {
					continue
				}
				switch t {
				case "16388":
					checks = append(checks, check{d, src, sport})
				case "16389":
					checks = append(checks, check{d, dst, dport})
				}
			}
		} else if f[10] != "" {
			for i, h := range strings.Split(f[10], ",") {
				d, err := hex.DecodeString(strings.ReplaceAll(h, ":", ""))
				if err != nil {
					continue
				}
				if i == 0 {
					checks = append(checks, check{d, dst, dport})
				} else {
					checks = append(checks, check{d, src, sport})
				}
			}
		}
		for _, c := range checks {
			buf := append(append([]byte{}, ispi...), rspi...)
			buf = append(buf, c.addr.AsSlice()...)
			buf = binary.BigEndian.AppendUint16(buf, uint16(c.port))
			if !hashMatches(c.want, buf) {
				bad = append(bad, frame)
				break
			}
		}
	}
	return bad, nil
}

func first(s string) string {
	if i := strings.IndexByte(s, ','); i >= 0 {
		return s[:i]
	}
	return s
}

// hashMatches tells whether want is the hash of data with the hash function
// its length implies.
func hashMatches(want, data []byte) bool {
	var got []byte
	switch len(want) {
	case md5.Size:
		h := md5.Sum(data)
		got = h[:]
	case sha1.Size:
		h := sha1.Sum(data)
		got = h[:]
	case sha256.Size:
		h := sha256.Sum256(data)
		got = h[:]
	case sha512.Size384:
		h := sha512.Sum384(data)
		got = h[:]
	case sha512.Size:
		h := sha512.Sum512(data)
		got = h[:]
	default:
		return false
	}
	return string(got) == string(want)
}

func formatFrames(fr []int) string {
	s := make([]string, len(fr))
	for i, f := range fr {
		s[i] = strconv.Itoa(f)
	}
	return fmt.Sprintf("frame %s", strings.Join(s, ", "))
}
