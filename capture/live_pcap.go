//go:build libpcap

package capture

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/gopacket/pcap"
)

// LiveBackend names how live captures are taken in this build.
const LiveBackend = "libpcap"

// libpcapLive captures through libpcap (gopacket/pcap, cgo): any BPF
// expression as the filter, and the platforms libpcap runs on.
type libpcapLive struct {
	h     *pcap.Handle
	link  LinkType
	total atomic.Uint64
}

func openLive(iface string, opt LiveOptions) (liveImpl, error) {
	in, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, fmt.Errorf("capturing on %s: %v", iface, err)
	}
	defer in.CleanUp()
	for _, err := range []error{
		in.SetSnapLen(maxSnaplen),
		in.SetPromisc(!opt.NoPromiscuous),
		in.SetTimeout(liveReadTimeout),
		in.SetBufferSize(socketBuffer),
		in.SetImmediateMode(true),
	} {
		if err != nil {
			return nil, fmt.Errorf("capturing on %s: %v", iface, err)
		}
	}
	h, err := in.Activate()
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "Permission Denied") || strings.Contains(msg, "not permitted") || strings.Contains(msg, "permission") {
			return nil, &PermissionError{Iface: iface, Err: err}
		}
		return nil, fmt.Errorf("capturing on %s: %v", iface, err)
	}
	l := &libpcapLive{h: h, link: LinkType(h.LinkType())}
	if opt.Expr != "" {
		err = h.SetBPFFilter(opt.Expr)
	} else {
		var prog []pcap.BPFInstruction
		raw, ferr := IPsecFilter(l.link, opt.IKEPorts, opt.NATTPorts)
		if ferr != nil {
			h.Close()
			return nil, fmt.Errorf("capturing on %s: %v (give a --filter expression)", iface, ferr)
		}
		for _, r := range raw {
			prog = append(prog, pcap.BPFInstruction{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K})
		}
		err = h.SetBPFInstructionFilter(prog)
	}
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("capturing on %s: filter: %v", iface, err)
	}
	return l, nil
}

// socketBuffer is the capture buffer asked for.
const socketBuffer = 64 << 20

func (l *libpcapLive) linkType() LinkType { return l.link }

func (l *libpcapLive) read(time.Duration) ([]byte, time.Time, int, error) {
	data, ci, err := l.h.ZeroCopyReadPacketData()
	if errors.Is(err, pcap.NextErrorTimeoutExpired) {
		return nil, time.Time{}, 0, nil
	}
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	return data, ci.Timestamp, ci.Length, nil
}

func (l *libpcapLive) drops() uint64 {
	if l.h != nil {
		if st, err := l.h.Stats(); err == nil {
			l.total.Store(uint64(st.PacketsDropped))
		}
	}
	return l.total.Load()
}

func (l *libpcapLive) close() error {
	if l.h != nil {
		l.drops()
		l.h.Close()
		l.h = nil
	}
	return nil
}
