//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/internal/netnstest"
)

// TestLiveReplay sends the frames of a lab capture into a veth pair in a
// namespace and runs `live --no-tui --json -w` on the other end (in a
// child process inside the namespace): the findings it prints live and in
// its final document, and those of its -w file, must be analyze's on the
// capture sent. Needs root; no strongSwan (TestLiveMirrorLab runs the lab).
func TestLiveReplay(t *testing.T) {
	const pcap = "../../testdata/pcaps/lab/ikev2-esp-one-way/capture.pcap"
	if os.Getenv("IPSECPCAP_LIVE_CHILD") == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root (network namespaces, packet sockets)")
		}
		netnstest.Lock(t)
		ns := fmt.Sprintf("ipl-lr-%d", os.Getpid())
		netnstest.Veth(t, ns, "ipl-lr0", "ipl-lr1")
		t.Logf("%s", netnstest.Rerun(t, ns, "TestLiveReplay", time.Minute, []string{"IPSECPCAP_LIVE_CHILD=1"}))
		return
	}
	dir := t.TempDir()
	outFile := filepath.Join(dir, "live.pcapng")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"live", "-i", "ipl-lr1", "--no-tui", "--json", "--duration", "3s", "-w", outFile}, &stdout, pw)
		pw.Close()
	}()
	var stderr bytes.Buffer
	started := make(chan bool, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := pr.Read(buf)
			stderr.Write(buf[:n])
			if bytes.Contains(stderr.Bytes(), []byte("capturing on")) {
				select {
				case started <- true:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-started:
	case c := <-code:
		t.Fatalf("live exited with %d", c)
	case <-time.After(10 * time.Second):
		t.Fatal("live did not start")
	}
	sent := replay(t, pcap, "ipl-lr0")
	var status int
	select {
	case status = <-code:
	case <-time.After(20 * time.Second):
		t.Fatal("live did not stop after --duration")
	}
	<-readDone
	t.Logf("exit %d, sent %d frames; stderr:\n%s", status, sent, stderr.String())
	lines, doc := parseLiveJSON(t, stdout.Bytes())
	want := analyzeCodesInProcess(t, pcap)
	fromFile := analyzeCodesInProcess(t, outFile)
	if len(want) == 0 || !slices.Equal(lines, want) || !slices.Equal(doc, want) || !slices.Equal(fromFile, want) {
		t.Fatalf("analyze %v; live lines %v, document %v, -w file %v", want, lines, doc, fromFile)
	}
	if status != exitFailure {
		t.Fatalf("exit %d, want %d (a failure found)", status, exitFailure)
	}
	if !strings.Contains(stderr.String(), " 0 dropped by the kernel") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

// replay sends every frame of the capture out of iface.
func replay(t *testing.T, path, iface string) int {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	n := 0
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		et := binary.BigEndian.Uint16(rec.Data[12:14])
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Protocol: et<<8 | et>>8}
		if err := unix.Sendto(fd, rec.Data, 0, sa); err != nil {
			t.Fatal(err)
		}
		n++
		time.Sleep(2 * time.Millisecond)
	}
}

func analyzeCodesInProcess(t *testing.T, path string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	run([]string{"analyze", "--json", "--no-keys", path}, &out, &errb)
	_, doc := parseLiveJSON(t, out.Bytes())
	return doc
}
