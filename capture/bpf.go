package capture

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// FilterSnaplen is what the kernel filter keeps of an accepted packet: all
// of it (tcpdump's MAXIMUM_SNAPLEN).
const FilterSnaplen = maxSnaplen

// IPsecFilter assembles the classic BPF program a live capture attaches to
// its socket so that only what the analysis reads crosses into user space:
// UDP to or from the IKE and NAT-T ports (500 and 4500 always, plus the
// ports given), ESP (IP protocol 50), AH (51), GRE (47, so that ERSPAN and
// GRE mirror copies pass; the decoder opens them), ICMP and ICMPv6 errors,
// and every IPv4/IPv6 fragment. IPv6 is followed through one hop-by-hop,
// routing or destination options header.
//
// link is LinkTypeEthernet (up to two VLAN tags in the frame are skipped:
// 802.1Q, 802.1ad, 0x9100; on AF_PACKET the kernel usually strips the outer
// tag into metadata, which the program then never sees) or LinkTypeRaw (the
// packet starts with the IP header).
func IPsecFilter(link LinkType, ikePorts, nattPorts []uint16) ([]bpf.RawInstruction, error) {
	ports := []uint16{500, 4500}
	for _, p := range append(slices.Clone(ikePorts), nattPorts...) {
		if !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	if len(ports) > 32 {
		return nil, fmt.Errorf("too many IKE/NAT-T ports for the capture filter (%d, at most 32)", len(ports))
	}
	a := &asm{}
	switch link {
	case LinkTypeEthernet:
		// ethertype, then up to two in-frame VLAN tags; the conditional
		// jumps (8-bit distances) go to trampolines, unconditional jumps
		// reach the blocks
		a.ins(bpf.LoadAbsolute{Off: 12, Size: 2})
		for tags := 0; tags <= 2; tags++ {
			l3 := uint32(14 + 4*tags)
			a.jeq(0x0800, fmt.Sprintf("t_v4_%d", tags), "")
			a.jeq(0x86dd, fmt.Sprintf("t_v6_%d", tags), "")
			if tags < 2 {
				a.jeq(0x8100, fmt.Sprintf("tag_%d", tags), "")
				a.jeq(0x88a8, fmt.Sprintf("tag_%d", tags), "")
				a.jeq(0x9100, fmt.Sprintf("tag_%d", tags), "reject")
				a.label(fmt.Sprintf("tag_%d", tags))
				a.ins(bpf.LoadAbsolute{Off: l3 + 2, Size: 2})
			} else {
				a.jump("reject")
			}
		}
		a.label("reject")
		a.ins(bpf.RetConstant{Val: 0})
		for tags := 0; tags <= 2; tags++ {
			for _, v := range []string{"v4", "v6"} {
				a.label(fmt.Sprintf("t_%s_%d", v, tags))
				a.jump(fmt.Sprintf("%s_%d", v, tags))
			}
		}
		for tags := 0; tags <= 2; tags++ {
			l3 := uint32(14 + 4*tags)
			a.label(fmt.Sprintf("v4_%d", tags))
			a.ipv4(l3, ports, fmt.Sprint(tags))
			a.verdicts()
			a.label(fmt.Sprintf("v6_%d", tags))
			a.ipv6(l3, ports, fmt.Sprint(tags))
			a.verdicts()
		}
	case LinkTypeRaw:
		a.ins(bpf.LoadAbsolute{Off: 0, Size: 1})
		a.ins(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
		a.jeq(0x40, "v4", "")
		a.jeq(0x60, "v6", "reject")
		a.label("v4")
		a.ipv4(0, ports, "")
		a.verdicts()
		a.label("v6")
		a.ipv6(0, ports, "")
		a.verdicts()
	default:
		return nil, fmt.Errorf("no capture filter for link type %d", int(link))
	}
	prog, err := a.resolve()
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(prog)
}

// ipv4 checks the IPv4 header at l3; it ends in a jump to accept or reject.
func (a *asm) ipv4(l3 uint32, ports []uint16, sfx string) {
	// fragments: MF set or a fragment offset
	a.ins(bpf.LoadAbsolute{Off: l3 + 6, Size: 2})
	a.jset(0x3fff, "accept", "")
	a.ins(bpf.LoadAbsolute{Off: l3 + 9, Size: 1})
	a.jeq(50, "accept", "")
	a.jeq(51, "accept", "")
	a.jeq(47, "accept", "")
	a.jeq(17, "udp4"+sfx, "")
	a.jeq(1, "", "reject")
	// ICMP: the error types (unreachable, source quench, redirect, time
	// exceeded, parameter problem) quote the packet they are about
	a.ins(bpf.LoadMemShift{Off: l3})
	a.ins(bpf.LoadIndirect{Off: l3, Size: 1})
	a.jeq(3, "accept", "")
	a.jeq(4, "accept", "")
	a.jeq(5, "accept", "")
	a.jeq(11, "accept", "")
	a.jeq(12, "accept", "reject")
	a.label("udp4" + sfx)
	a.ins(bpf.LoadMemShift{Off: l3})
	a.ports(l3, ports)
}

// ipv6 checks the IPv6 header at l3, and one extension header after it.
func (a *asm) ipv6(l3 uint32, ports []uint16, sfx string) {
	a.ins(bpf.LoadAbsolute{Off: l3 + 6, Size: 1})
	a.ins(bpf.LoadConstant{Dst: bpf.RegX, Val: 0})
	for ext := 0; ext < 2; ext++ {
		s := fmt.Sprintf("%s_%d", sfx, ext)
		a.jeq(50, "accept", "")
		a.jeq(51, "accept", "")
		a.jeq(47, "accept", "")
		a.jeq(44, "accept", "") // fragment header
		a.jeq(17, "udp6"+s, "")
		a.jeq(58, "icmp6"+s, "")
		if ext == 1 {
			a.jump("reject")
			break
		}
		a.jeq(0, "ext6"+s, "")
		a.jeq(43, "ext6"+s, "")
		a.jeq(60, "ext6"+s, "reject")
		a.label("ext6" + s)
		// X = (hdr ext len + 1) * 8; A = its next header; on to round 2
		a.ins(bpf.LoadAbsolute{Off: l3 + 41, Size: 1})
		a.ins(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1})
		a.ins(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 3})
		a.ins(bpf.TAX{})
		a.ins(bpf.LoadAbsolute{Off: l3 + 40, Size: 1})
	}
	for ext := 0; ext < 2; ext++ {
		s := fmt.Sprintf("%s_%d", sfx, ext)
		a.label("icmp6" + s)
		// ICMPv6 errors are types 1-127 (X: the extension header's length)
		a.ins(bpf.LoadIndirect{Off: l3 + 40, Size: 1})
		a.jumpIf(bpf.JumpGreaterOrEqual, 128, "reject", "accept")
		a.label("udp6" + s)
		a.ports(l3+40, ports)
	}
}

// ports accepts when the UDP source or destination port at X+off is one of
// ports, and rejects otherwise.
func (a *asm) ports(off uint32, ports []uint16) {
	for _, field := range []uint32{0, 2} {
		a.ins(bpf.LoadIndirect{Off: off + field, Size: 2})
		for _, p := range ports {
			a.jeq(uint32(p), "accept", "")
		}
	}
	a.jump("reject")
}

// verdicts emits the accept and reject returns that the jumps before it
// reach (each block has its own, so every jump stays short).
func (a *asm) verdicts() {
	a.label("accept")
	a.ins(bpf.RetConstant{Val: FilterSnaplen})
	a.label("reject")
	a.ins(bpf.RetConstant{Val: 0})
}

// asm is a small assembler with labels for forward jumps; a label may be
// defined several times, a jump goes to the next definition after it.
type asm struct {
	prog   []bpf.Instruction
	labels map[string][]int
	fix    []fixup
}

type fixup struct {
	at           int
	true, false_ string // "" is the next instruction
	always       bool
}

func (a *asm) ins(i bpf.Instruction) { a.prog = append(a.prog, i) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string][]int{}
	}
	a.labels[name] = append(a.labels[name], len(a.prog))
}

func (a *asm) jumpIf(c bpf.JumpTest, v uint32, t, f string) {
	a.fix = append(a.fix, fixup{at: len(a.prog), true: t, false_: f})
	a.ins(bpf.JumpIf{Cond: c, Val: v})
}

func (a *asm) jeq(v uint32, t, f string) { a.jumpIf(bpf.JumpEqual, v, t, f) }

func (a *asm) jset(v uint32, t, f string) { a.jumpIf(bpf.JumpBitsSet, v, t, f) }

func (a *asm) jump(to string) {
	a.fix = append(a.fix, fixup{at: len(a.prog), true: to, always: true})
	a.ins(bpf.Jump{})
}

// resolve fills in the jump distances. Classic BPF conditional jumps reach
// at most 255 instructions ahead (checked here).
func (a *asm) resolve() ([]bpf.Instruction, error) {
	skip := func(from int, to string) (int, error) {
		if to == "" {
			return 0, nil
		}
		for _, t := range a.labels[to] {
			if t > from {
				return t - from - 1, nil
			}
		}
		return 0, fmt.Errorf("capture filter: no label %q after instruction %d", to, from)
	}
	for _, f := range a.fix {
		st, err := skip(f.at, f.true)
		if err != nil {
			return nil, err
		}
		if f.always {
			a.prog[f.at] = bpf.Jump{Skip: uint32(st)}
			continue
		}
		sf, err := skip(f.at, f.false_)
		if err != nil {
			return nil, err
		}
		if st > 255 || sf > 255 {
			return nil, fmt.Errorf("capture filter: jump of %d instructions is out of reach", max(st, sf))
		}
		j := a.prog[f.at].(bpf.JumpIf)
		j.SkipTrue, j.SkipFalse = uint8(st), uint8(sf)
		a.prog[f.at] = j
	}
	return a.prog, nil
}
