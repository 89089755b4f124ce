//go:build libpcap && linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestLivePcapFilterExpr captures through libpcap with a filter expression
// (the libpcap build's --filter): a UDP 500 packet sent on the veth passes,
// others do not.
func TestLivePcapFilterExpr(t *testing.T) {
	if os.Getenv(liveChildEnv) == "" {
		needRoot(t)
		inChild(t, liveNS(t), "TestLivePcapFilterExpr")
		return
	}
	if LiveBackend != "libpcap" {
		t.Fatalf("backend %s", LiveBackend)
	}
	l, err := OpenLive(context.Background(), "ipl-lt1", LiveOptions{Expr: "udp port 500"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ike := tEther(0x0800, tIP4(17, 5, 0, tUDP(500, 500)))
	esp := tEther(0x0800, tIP4(50, 5, 0, make([]byte, 60)))
	dns := tEther(0x0800, tIP4(17, 5, 0, tUDP(53, 53)))
	inject(t, "ipl-lt0", dns, esp, ike)
	var got [][]byte
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		rec, err := l.Next()
		if errors.Is(err, ErrNoPacket) {
			if len(got) > 0 {
				break
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Frame != len(got)+1 || rec.LinkType != LinkTypeEthernet {
			t.Fatalf("record %+v", rec)
		}
		got = append(got, append([]byte(nil), rec.Data...))
	}
	if len(got) != 1 || !bytes.Equal(got[0], ike) {
		t.Fatalf("got %d frames, want the UDP 500 one", len(got))
	}
}
