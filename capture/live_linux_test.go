//go:build linux

package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipsecpcap/ipsecpcap/internal/netnstest"
)

// The live tests need root: they make a namespace ipl-lt-PID with a veth
// pair (ipl-lt0, ipl-lt1), and run themselves again inside it (the child
// is told by IPSECPCAP_LIVE_CHILD), injecting frames on one end and
// capturing on the other.

const liveChildEnv = "IPSECPCAP_LIVE_CHILD"

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, packet sockets)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip")
	}
}

// liveNS makes the namespace with the veth pair and returns its name.
func liveNS(t *testing.T) string {
	t.Helper()
	netnstest.Lock(t)
	ns := fmt.Sprintf("ipl-lt-%d", os.Getpid())
	netnstest.Veth(t, ns, "ipl-lt0", "ipl-lt1")
	return ns
}

// inChild runs the named test in the namespace (argv prefix wrap, e.g.
// setpriv) and fails with its output when it fails.
func inChild(t *testing.T, ns, test string, wrap ...string) string {
	t.Helper()
	return netnstest.Rerun(t, ns, test, 60*time.Second, []string{liveChildEnv + "=1"}, wrap...)
}

func TestLiveCapture(t *testing.T) {
	if os.Getenv(liveChildEnv) == "" {
		needRoot(t)
		inChild(t, liveNS(t), "TestLiveCapture")
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := OpenLive(ctx, "ipl-lt1", LiveOptions{IKEPorts: []uint16{1500}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.LinkType() != LinkTypeEthernet {
		t.Fatalf("link type %v", l.LinkType())
	}
	ike := tEther(0x0800, tIP4(17, 5, 0, tUDP(500, 500)))
	ike1500 := tEther(0x0800, tIP4(17, 5, 0, tUDP(1500, 1500)))
	esp := tEther(0x0800, tIP4(50, 5, 0, make([]byte, 60)))
	tagged := tTag(tEther(0x0800, tIP4(17, 5, 0, tUDP(4500, 4500))), 0x8100, 100)
	qinq := tTag(tTag(tEther(0x0800, tIP4(50, 5, 0, make([]byte, 60))), 0x8100, 100), 0x8100, 200)
	dns := tEther(0x0800, tIP4(17, 5, 0, tUDP(53, 53)))
	arp := tEther(0x0806, make([]byte, 28))
	for _, f := range [][]byte{dns, arp} {
		f[0] = 0x02 // not to the veth's MAC: promiscuous mode must let IPsec in
	}
	send := [][]byte{dns, ike, arp, esp, tagged, dns, ike1500, qinq}
	want := [][]byte{ike, esp, tagged, ike1500, qinq}
	inject(t, "ipl-lt0", send...)
	var got [][]byte
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < len(want) && time.Now().Before(deadline) {
		rec, err := l.Next()
		if errors.Is(err, ErrNoPacket) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Frame != len(got)+1 || rec.LinkType != LinkTypeEthernet || rec.OrigLen != len(rec.Data) || time.Since(rec.Time) > time.Minute {
			t.Fatalf("record %+v", rec)
		}
		got = append(got, append([]byte(nil), rec.Data...))
	}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d:\n got % x\nwant % x", i+1, got[i], want[i])
		}
	}
	// Nothing else came (the DNS and ARP frames were filtered out).
	inject(t, "ipl-lt0", dns)
	if rec, err := l.Next(); !errors.Is(err, ErrNoPacket) {
		t.Fatalf("after the filtered frame: %v %v", rec, err)
	}
	if d := l.Drops(); d != 0 {
		t.Fatalf("%d drops", d)
	}
	// A stop ends Next promptly, after what is queued.
	inject(t, "ipl-lt0", ike)
	time.Sleep(50 * time.Millisecond)
	cancel()
	start := time.Now()
	rec, err := l.Next()
	for errors.Is(err, ErrNoPacket) {
		rec, err = l.Next()
	}
	if err != nil || !bytes.Equal(rec.Data, ike) {
		t.Fatalf("queued frame after the stop: %v", err)
	}
	if _, err := l.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the stop: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("stopping took %v", time.Since(start))
	}
}

func TestLiveLimits(t *testing.T) {
	if os.Getenv(liveChildEnv) == "" {
		needRoot(t)
		inChild(t, liveNS(t), "TestLiveLimits")
		return
	}
	ike := tEther(0x0800, tIP4(17, 5, 0, tUDP(500, 500)))
	// --count
	l, err := OpenLive(context.Background(), "ipl-lt1", LiveOptions{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	inject(t, "ipl-lt0", ike, ike, ike)
	n := 0
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		_, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			n++
		}
	}
	l.Close()
	if n != 2 {
		t.Fatalf("count 2: %d packets", n)
	}
	// --duration
	start := time.Now()
	l, err = OpenLive(context.Background(), "ipl-lt1", LiveOptions{Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("duration not kept")
		}
	}
	l.Close()
	if el := time.Since(start); el < 300*time.Millisecond || el > 2*time.Second {
		t.Fatalf("duration 300ms took %v", el)
	}
	if _, err := OpenLive(context.Background(), "ipl-nonexistent", LiveOptions{}); err == nil {
		t.Fatal("no error for a missing interface")
	}
}

// TestLiveNoPermission: without CAP_NET_RAW the error says what to do.
func TestLiveNoPermission(t *testing.T) {
	if os.Getenv(liveChildEnv) == "" {
		needRoot(t)
		if _, err := exec.LookPath("setpriv"); err != nil {
			t.Skip("needs setpriv")
		}
		inChild(t, liveNS(t), "TestLiveNoPermission", "setpriv", "--inh-caps=-all", "--bounding-set=-net_raw")
		return
	}
	_, err := OpenLive(context.Background(), "ipl-lt1", LiveOptions{})
	var pe *PermissionError
	if !errors.As(err, &pe) {
		t.Fatalf("err %v, want a PermissionError", err)
	}
	for _, s := range []string{"capturing on ipl-lt1 needs CAP_NET_RAW", "setcap cap_net_raw"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("%q lacks %q", err, s)
		}
	}
}

// inject sends frames out of the interface through a packet socket.
func inject(t *testing.T, iface string, frames ...[]byte) {
	t.Helper()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, f := range frames {
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: htons(binary.BigEndian.Uint16(f[12:14]))}
		if err := unix.Sendto(fd, f, 0, sa); err != nil {
			t.Fatal(err)
		}
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
