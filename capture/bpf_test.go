package capture

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"
)

// Frames by hand for the filter test.

func tEther(etype uint16, payload []byte) []byte {
	h := []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0, 0}
	binary.BigEndian.PutUint16(h[12:14], etype)
	return append(h, payload...)
}

// tTag inserts a VLAN tag (tpid) in front of the frame's ethertype.
func tTag(frame []byte, tpid uint16, id uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	out = binary.BigEndian.AppendUint16(out, tpid)
	out = binary.BigEndian.AppendUint16(out, id)
	return append(out, frame[12:]...)
}

// tIP4 is an IPv4 header with ihl 32-bit words (options zero-filled).
func tIP4(proto uint8, ihl int, flagsOff uint16, payload []byte) []byte {
	h := make([]byte, ihl*4)
	h[0] = 0x40 | byte(ihl)
	binary.BigEndian.PutUint16(h[2:4], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:8], flagsOff)
	h[8], h[9] = 64, proto
	copy(h[12:], []byte{198, 18, 1, 1, 198, 18, 1, 2})
	return append(h, payload...)
}

func tIP6(next uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:6], uint16(len(payload)))
	h[6], h[7] = next, 64
	h[8], h[39] = 0x20, 1
	return append(h, payload...)
}

func tUDP(sport, dport uint16) []byte {
	b := make([]byte, 8, 40)
	binary.BigEndian.PutUint16(b[0:2], sport)
	binary.BigEndian.PutUint16(b[2:4], dport)
	binary.BigEndian.PutUint16(b[4:6], 40)
	return append(b, make([]byte, 32)...)
}

func tExt6(next uint8, units int) []byte {
	b := make([]byte, 8*(1+units))
	b[0], b[1] = next, byte(units)
	return b
}

func TestIPsecFilter(t *testing.T) {
	esp := make([]byte, 40)
	ike := tUDP(500, 500)
	tcp := make([]byte, 40)
	tests := []struct {
		name   string
		frame  []byte
		accept bool
	}{
		{"IKE on 500", tEther(0x0800, tIP4(17, 5, 0, ike)), true},
		{"IKE from 500 to a high port", tEther(0x0800, tIP4(17, 5, 0, tUDP(500, 33000))), true},
		{"NAT-T on 4500", tEther(0x0800, tIP4(17, 5, 0, tUDP(4500, 4500))), true},
		{"NAT-T to 4500 with IP options", tEther(0x0800, tIP4(17, 7, 0, tUDP(40000, 4500))), true},
		{"extra IKE port 1500", tEther(0x0800, tIP4(17, 5, 0, tUDP(1500, 1500))), true},
		{"extra NAT-T port 14500", tEther(0x0800, tIP4(17, 5, 0, tUDP(33000, 14500))), true},
		{"ESP", tEther(0x0800, tIP4(50, 5, 0, esp)), true},
		{"AH", tEther(0x0800, tIP4(51, 5, 0, esp)), true},
		{"GRE (ERSPAN)", tEther(0x0800, tIP4(47, 5, 0, esp)), true},
		{"ICMP port unreachable", tEther(0x0800, tIP4(1, 5, 0, append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, tIP4(17, 5, 0, ike)...))), true},
		{"ICMP time exceeded", tEther(0x0800, tIP4(1, 5, 0, append([]byte{11, 0, 0, 0, 0, 0, 0, 0}, tIP4(50, 5, 0, esp)...))), true},
		{"ICMP echo request", tEther(0x0800, tIP4(1, 5, 0, []byte{8, 0, 0, 0, 0, 1, 0, 1})), false},
		{"IPv4 first fragment of TCP", tEther(0x0800, tIP4(6, 5, 0x2000, tcp)), true},
		{"IPv4 later fragment", tEther(0x0800, tIP4(17, 5, 0x00b9, tcp)), true},
		{"DNS", tEther(0x0800, tIP4(17, 5, 0, tUDP(53, 33000))), false},
		{"TCP 500", tEther(0x0800, tIP4(6, 5, 0, tUDP(500, 500))), false},
		{"ARP", tEther(0x0806, make([]byte, 28)), false},
		{"802.1Q IKE", tTag(tEther(0x0800, tIP4(17, 5, 0, ike)), 0x8100, 100), true},
		{"802.1Q DNS", tTag(tEther(0x0800, tIP4(17, 5, 0, tUDP(53, 53))), 0x8100, 100), false},
		{"QinQ ESP", tTag(tTag(tEther(0x0800, tIP4(50, 5, 0, esp)), 0x8100, 100), 0x88a8, 200), true},
		{"QinQ 0x9100 NAT-T", tTag(tTag(tEther(0x0800, tIP4(17, 5, 0, tUDP(4500, 4500))), 0x8100, 100), 0x9100, 200), true},
		{"QinQ TCP", tTag(tTag(tEther(0x0800, tIP4(6, 5, 0, tcp)), 0x8100, 100), 0x88a8, 200), false},
		{"three tags", tTag(tTag(tTag(tEther(0x0800, tIP4(50, 5, 0, esp)), 0x8100, 1), 0x8100, 2), 0x88a8, 3), false},
		{"802.1Q IPv6 ESP", tTag(tEther(0x86dd, tIP6(50, esp)), 0x8100, 100), true},
		{"IPv6 IKE", tEther(0x86dd, tIP6(17, ike)), true},
		{"IPv6 ESP", tEther(0x86dd, tIP6(50, esp)), true},
		{"IPv6 GRE", tEther(0x86dd, tIP6(47, esp)), true},
		{"IPv6 fragment", tEther(0x86dd, tIP6(44, esp)), true},
		{"IPv6 destination options then IKE", tEther(0x86dd, tIP6(60, append(tExt6(17, 1), tUDP(4500, 4500)...))), true},
		{"IPv6 hop-by-hop then ESP", tEther(0x86dd, tIP6(0, append(tExt6(50, 0), esp...))), true},
		{"IPv6 hop-by-hop then DNS", tEther(0x86dd, tIP6(0, append(tExt6(17, 0), tUDP(53, 53)...))), false},
		{"IPv6 hop-by-hop then ICMPv6 packet too big", tEther(0x86dd, tIP6(0, append(tExt6(58, 0), []byte{2, 0, 0, 0, 0, 0, 5, 0}...))), true},
		{"ICMPv6 destination unreachable", tEther(0x86dd, tIP6(58, append([]byte{1, 4, 0, 0, 0, 0, 0, 0}, tIP6(17, ike)...))), true},
		{"ICMPv6 neighbour solicitation", tEther(0x86dd, tIP6(58, append([]byte{135}, make([]byte, 23)...))), false},
		{"ICMPv6 echo", tEther(0x86dd, tIP6(58, []byte{128, 0, 0, 0, 0, 1, 0, 1})), false},
		{"IPv6 TCP", tEther(0x86dd, tIP6(6, tcp)), false},
		{"runt", []byte{1, 2, 3}, false},
	}
	prog, err := IPsecFilter(LinkTypeEthernet, []uint16{1500}, []uint16{14500})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d instructions", len(prog))
	vm := newVM(t, prog)
	for _, tc := range tests {
		n, err := vm.Run(tc.frame)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (n > 0) != tc.accept {
			t.Errorf("%s: filter returned %d, want accept=%v", tc.name, n, tc.accept)
		}
		if n > 0 && n != FilterSnaplen {
			t.Errorf("%s: snaplen %d", tc.name, n)
		}
	}
	// The same packets without the link layer, for raw-IP interfaces.
	raw, err := IPsecFilter(LinkTypeRaw, []uint16{1500}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rvm := newVM(t, raw)
	for _, tc := range tests {
		if len(tc.frame) < 14 || tc.name == "extra NAT-T port 14500" {
			continue
		}
		if et := binary.BigEndian.Uint16(tc.frame[12:14]); et != 0x0800 && et != 0x86dd {
			continue
		}
		n, err := rvm.Run(tc.frame[14:])
		if err != nil {
			t.Fatalf("raw %s: %v", tc.name, err)
		}
		if (n > 0) != tc.accept {
			t.Errorf("raw %s: filter returned %d, want accept=%v", tc.name, n, tc.accept)
		}
	}
}

func TestIPsecFilterManyPorts(t *testing.T) {
	var ports []uint16
	for p := uint16(1000); p < 1030; p++ {
		ports = append(ports, p)
	}
	prog, err := IPsecFilter(LinkTypeEthernet, ports, nil)
	if err != nil {
		t.Fatal(err)
	}
	vm := newVM(t, prog)
	for _, tc := range []struct {
		port   uint16
		accept bool
	}{{1029, true}, {500, true}, {1030, false}} {
		for _, fr := range [][]byte{tEther(0x0800, tIP4(17, 5, 0, tUDP(9, tc.port))), tTag(tTag(tEther(0x86dd, tIP6(60, append(tExt6(17, 0), tUDP(tc.port, 9)...))), 0x8100, 1), 0x88a8, 2)} {
			if n, _ := vm.Run(fr); (n > 0) != tc.accept {
				t.Errorf("port %d: %d", tc.port, n)
			}
		}
	}
	if _, err := IPsecFilter(LinkTypeEthernet, append(ports, 2000, 2001, 2002), nil); err == nil {
		t.Error("35 ports accepted")
	}
	if _, err := IPsecFilter(LinkTypeLinuxSLL, nil, nil); err == nil {
		t.Error("SLL accepted")
	}
}

func newVM(t *testing.T, raw []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	prog := make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		prog[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}
