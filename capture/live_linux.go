//go:build linux && !libpcap

package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// LiveBackend names how live captures are taken in this build.
const LiveBackend = "AF_PACKET"

// afPacket captures through pcapgo's EthernetHandle (an AF_PACKET socket):
// pure Go, no libpcap.
type afPacket struct {
	h        *pcapgo.EthernetHandle
	fd       int
	nonblock bool // reads do not wait: a read first, poll only when empty
	link     LinkType
	buf      []byte // a frame with the VLAN tag the kernel took out put back
	total    atomic.Uint64
}

// socketBuffer is the receive buffer asked for: bursts at line rate queue
// here instead of being dropped while the analysis catches up.
const socketBuffer = 64 << 20

func openLive(iface string, opt LiveOptions) (liveImpl, error) {
	if opt.Expr != "" {
		return nil, errors.New("--filter needs the libpcap build (go build -tags libpcap ./cmd/ipsecpcap; it links libpcap with cgo); this build uses its own IPsec filter")
	}
	if _, err := net.InterfaceByName(iface); err != nil {
		return nil, fmt.Errorf("no interface %s: %v", iface, err)
	}
	link, err := ifaceLinkType(iface)
	if err != nil {
		return nil, err
	}
	// pcapgo's errors do not wrap the errno: probe for the permission.
	probe, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, &PermissionError{Iface: iface, Err: err}
		}
		return nil, fmt.Errorf("capturing on %s: %v", iface, err)
	}
	unix.Close(probe)
	h, err := pcapgo.NewEthernetHandle(iface)
	if err != nil {
		if strings.Contains(err.Error(), unix.EPERM.Error()) {
			return nil, &PermissionError{Iface: iface, Err: err}
		}
		return nil, fmt.Errorf("capturing on %s: %v", iface, err)
	}
	a := &afPacket{h: h, link: link, buf: make([]byte, 0, maxSnaplen+8)}
	fail := func(what string, err error) (liveImpl, error) {
		h.Close()
		return nil, fmt.Errorf("capturing on %s: %s: %v", iface, what, err)
	}
	// The socket, for poll and the buffer size: pcapgo keeps it private.
	fv := reflect.ValueOf(h).Elem().FieldByName("fd")
	if !fv.IsValid() || fv.Kind() != reflect.Int {
		return fail("socket", errors.New("pcapgo.EthernetHandle has no fd field (gopacket changed)"))
	}
	a.fd = int(fv.Int())
	if err := h.SetCaptureLength(maxSnaplen); err != nil {
		return fail("capture length", err)
	}
	prog, err := IPsecFilter(link, opt.IKEPorts, opt.NATTPorts)
	if err != nil {
		return fail("filter", err)
	}
	if err := h.SetBPF(prog); err != nil {
		return fail("attaching the filter", err)
	}
	if !opt.NoPromiscuous {
		if err := h.SetPromiscuous(true); err != nil {
			return fail("promiscuous mode", err)
		}
	}
	// Under load a read finds a packet queued: one system call per packet
	// instead of a poll and a read.
	a.nonblock = unix.SetNonblock(a.fd, true) == nil
	if unix.SetsockoptInt(a.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, socketBuffer) != nil {
		unix.SetsockoptInt(a.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, socketBuffer)
	}
	// What arrived between the bind and the filter did not pass it.
	for {
		data, _, _, err := a.read(0)
		if err != nil || data == nil {
			break
		}
	}
	h.Stats() // the counters start now
	return a, nil
}

// ifaceLinkType: Ethernet (and loopback, which has an Ethernet header of
// zeros) or raw IP (tun devices, e.g. strongSwan's ipsec0).
func ifaceLinkType(iface string) (LinkType, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return LinkTypeEthernet, nil // no sysfs: assume Ethernet
	}
	switch t := strings.TrimSpace(string(b)); t {
	case "1", "772": // ARPHRD_ETHER, ARPHRD_LOOPBACK
		return LinkTypeEthernet, nil
	case "65534", "65535": // ARPHRD_NONE (tun), ARPHRD_VOID
		return LinkTypeRaw, nil
	default:
		return 0, fmt.Errorf("capturing on %s: its link type (ARPHRD %s) is neither Ethernet nor raw IP", iface, t)
	}
}

func (a *afPacket) linkType() LinkType { return a.link }

func (a *afPacket) read(timeout time.Duration) ([]byte, time.Time, int, error) {
	if a.nonblock {
		data, ci, err := a.h.ZeroCopyReadPacketData()
		if err == nil {
			return a.frame(data, ci)
		}
		if !wouldBlock(err) {
			return nil, time.Time{}, 0, err
		}
	}
	fds := []unix.PollFd{{Fd: int32(a.fd), Events: unix.POLLIN}}
	ms := int(timeout / time.Millisecond)
	for {
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, time.Time{}, 0, err
		}
		if n == 0 {
			return nil, time.Time{}, 0, nil
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLNVAL|unix.POLLHUP) != 0 && fds[0].Revents&unix.POLLIN == 0 {
			return nil, time.Time{}, 0, fmt.Errorf("socket error (poll events %#x): the interface went away?", fds[0].Revents)
		}
		break
	}
	data, ci, err := a.h.ZeroCopyReadPacketData()
	if err != nil {
		if a.nonblock && wouldBlock(err) {
			return nil, time.Time{}, 0, nil
		}
		return nil, time.Time{}, 0, err
	}
	return a.frame(data, ci)
}

// wouldBlock: pcapgo formats the errno into its error (no wrapping), so
// EAGAIN is recognised by its text.
func wouldBlock(err error) bool {
	return strings.HasSuffix(err.Error(), unix.EAGAIN.Error())
}

// frame is the record's data: the frame as on the wire.
func (a *afPacket) frame(data []byte, ci gopacket.CaptureInfo) ([]byte, time.Time, int, error) {
	orig := ci.Length
	if len(ci.AncillaryData) > 0 && a.link == LinkTypeEthernet && len(data) >= 12 {
		// The kernel took the outer VLAN tag into metadata: put it back
		// where it was on the wire, as libpcap does.
		if tci, ok := ci.AncillaryData[0].(int); ok {
			a.buf = append(a.buf[:0], data[:12]...)
			a.buf = append(a.buf, 0x81, 0x00, byte(tci>>8), byte(tci))
			a.buf = append(a.buf, data[12:]...)
			return a.buf, ci.Timestamp, orig + 4, nil
		}
	}
	return data, ci.Timestamp, orig, nil
}

func (a *afPacket) drops() uint64 {
	if a.h != nil {
		if st, err := a.h.Stats(); err == nil {
			a.total.Add(uint64(st.Drops))
		}
	}
	return a.total.Load()
}

func (a *afPacket) close() error {
	if a.h != nil {
		a.drops()
		a.h.Close()
		a.h = nil
	}
	return nil
}
