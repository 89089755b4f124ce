//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/internal/netnstest"
)

// liveHook is the LAB_HOOK of TestLiveMirrorLab. `up` mirrors the lab's
// capture link ($CAP_NS/$CAP_IF, both directions, tc clsact + mirred) to a
// veth pair whose far end, ipl-m1, is in the namespace ipl-m (no VLAN tag
// is pushed: this kernel has neither the tc vlan action nor VLAN devices;
// capture's TestLiveCapture covers tagged frames). It starts `ipsecpcap live` on ipl-m1 in the background. `down`
// stops it with SIGINT and waits for it (bounded), then removes the mirror.
const liveHook = `#!/bin/bash
set -u
OUT=$LIVE_OUT
log() { echo "live-hook: $*" >&2; }
case $1 in
up)
	ip netns add ipl-m || exit 1
	ip -n ipl-m link set lo up
	ip -n "$CAP_NS" link add ipl-mx type veth peer name ipl-m1 netns ipl-m || exit 1
	ip -n "$CAP_NS" link set ipl-mx up
	ip -n ipl-m link set ipl-m1 up
	ip netns exec ipl-m sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	tc -n "$CAP_NS" qdisc add dev "$CAP_IF" clsact || exit 1
	# u32 matching everything: this kernel has no matchall classifier
	tc -n "$CAP_NS" filter add dev "$CAP_IF" ingress u32 match u32 0 0 action mirred egress mirror dev ipl-mx || exit 1
	tc -n "$CAP_NS" filter add dev "$CAP_IF" egress u32 match u32 0 0 action mirred egress mirror dev ipl-mx || exit 1
	setsid sh -c 'ip netns exec ipl-m "$1" live -i ipl-m1 --no-tui --json -w "$2/live.pcap" --duration 300s >"$2/live.json" 2>"$2/live.err" &
		echo $! >"$2/live.pid"; wait $!; echo $? >"$2/live.rc"' sh "$IPSECPCAP" "$OUT" </dev/null >/dev/null 2>&1 &
	for _ in $(seq 50); do
		grep -q "capturing on" "$OUT/live.err" 2>/dev/null && exit 0
		[ -e "$OUT/live.rc" ] && break
		sleep 0.1
	done
	log "ipsecpcap live did not start"; cat "$OUT/live.err" >&2
	exit 1
	;;
down)
	pid=$(cat "$OUT/live.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null
	for _ in $(seq 100); do
		[ -e "$OUT/live.rc" ] && break
		sleep 0.1
	done
	[ -e "$OUT/live.rc" ] || { log "ipsecpcap live did not stop; killing it"; kill -KILL "$pid" 2>/dev/null; }
	tc -n "$CAP_NS" qdisc del dev "$CAP_IF" clsact 2>/dev/null
	ip -n "$CAP_NS" link del ipl-mx 2>/dev/null
	ip netns del ipl-m 2>/dev/null
	exit 0
	;;
esac
`

// TestLiveMirrorLab runs lab scenarios with the capture link mirrored to
// `ipsecpcap live`: the findings it reports live, those of its final
// document and those of its -w file must be analyze's on the lab's own
// capture of the same run (codes; frame numbers differ, tcpdump's filter
// keeps more). Needs root, strongSwan and tc; takes about 20 s a scenario.
func TestLiveMirrorLab(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (the lab's namespaces)")
	}
	for _, p := range []string{"/usr/lib/ipsec/charon", "/usr/sbin/swanctl"} {
		if _, err := os.Stat(p); err != nil {
			t.Skip("strongSwan is not installed:", err)
		}
	}
	for _, c := range []string{"tc", "ip", "setsid"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skip("needs", c)
		}
	}
	netnstest.Lock(t)
	if _, err := os.Stat("/run/netns/ipl-i"); err == nil {
		t.Skip("another lab run holds the ipl-* namespaces")
	}
	dir := t.TempDir()
	bin := buildIpsecpcap(t, dir)
	hook := filepath.Join(dir, "live-hook")
	if err := os.WriteFile(hook, []byte(liveHook), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"ikev2-psk-mismatch", "ikev2-ok"} {
		t.Run(sc, func(t *testing.T) {
			out := filepath.Join(dir, sc)
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "../../lab/run.sh", sc)
			cmd.Env = append(os.Environ(), "LAB_OUT="+out, "LAB_HOOK="+hook, "LIVE_OUT="+out, "IPSECPCAP="+bin)
			// on timeout, TERM: run.sh's trap tears the lab down
			cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
			cmd.WaitDelay = 15 * time.Second
			t.Cleanup(func() {
				// whatever a failed run left in the mirror namespace
				if pids, err := exec.Command("ip", "netns", "pids", "ipl-m").Output(); err == nil {
					for _, p := range strings.Fields(string(pids)) {
						exec.Command("kill", "-KILL", p).Run()
					}
					exec.Command("ip", "netns", "del", "ipl-m").Run()
				}
			})
			labOut, err := cmd.CombinedOutput()
			capPath := filepath.Join(out, sc, "capture.pcap")
			if _, serr := os.Stat(capPath); serr != nil {
				t.Fatalf("lab run: %v (no capture: %v)\n%s", err, serr, labOut)
			}
			if err != nil {
				t.Logf("lab run: %v (the scenario did not come out as scenarios.json says; comparing anyway)", err)
			}
			liveErr, _ := os.ReadFile(filepath.Join(out, "live.err"))
			rc, _ := os.ReadFile(filepath.Join(out, "live.rc"))
			t.Logf("ipsecpcap live (exit %s): %s", strings.TrimSpace(string(rc)), liveErr)
			raw, err := os.ReadFile(filepath.Join(out, "live.json"))
			if err != nil {
				t.Fatal(err)
			}
			lines, doc := parseLiveJSON(t, raw)
			want := analyzeCodes(t, bin, capPath)
			fromFile := analyzeCodes(t, bin, filepath.Join(out, "live.pcap"))
			t.Logf("analyze on the lab's capture: %v; live lines: %v; live document: %v; -w file: %v", want, lines, doc, fromFile)
			if len(want) == 0 {
				t.Fatal("analyze found nothing on the lab's capture")
			}
			if !slices.Equal(doc, want) {
				t.Errorf("live document findings %v, analyze %v", doc, want)
			}
			if !slices.Equal(lines, want) {
				t.Errorf("findings printed live %v, analyze %v", lines, want)
			}
			if !slices.Equal(fromFile, want) {
				t.Errorf("findings of the -w file %v, analyze %v", fromFile, want)
			}
			if !bytes.Contains(liveErr, []byte("("+capture.LiveBackend+",")) {
				t.Errorf("not captured through %s: %s", capture.LiveBackend, liveErr)
			}
			if !bytes.Contains(liveErr, []byte(" 0 dropped by the kernel")) {
				t.Errorf("drops reported: %s", liveErr)
			}
			for _, n := range []string{"/run/netns/ipl-m"} {
				if _, err := os.Stat(n); err == nil {
					t.Errorf("%s left behind", n)
				}
			}
		})
	}
}

// parseLiveJSON splits `live --json` output: finding lines, then the
// document; it returns the sorted finding codes of each.
func parseLiveJSON(t *testing.T, b []byte) (lines, doc []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	gotDoc := false
	for {
		var v map[string]json.RawMessage
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("live --json output: %v\n%s", err, b)
		}
		if _, ok := v["schema"]; ok {
			var d struct {
				Findings []struct {
					Code string `json:"code"`
				} `json:"findings"`
			}
			b, _ := json.Marshal(v)
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			for _, f := range d.Findings {
				doc = append(doc, f.Code)
			}
			gotDoc = true
			continue
		}
		var code string
		if err := json.Unmarshal(v["code"], &code); err != nil {
			t.Fatalf("a finding line without a code: %v", v)
		}
		lines = append(lines, code)
	}
	if !gotDoc {
		t.Fatalf("no final document in\n%s", b)
	}
	slices.Sort(lines)
	slices.Sort(doc)
	return lines, doc
}

// analyzeCodes runs `analyze --json --no-keys` and returns the sorted codes.
func analyzeCodes(t *testing.T, bin, path string) []string {
	t.Helper()
	out, _ := exec.Command(bin, "analyze", "--json", "--no-keys", path).Output()
	var d struct {
		Findings []struct {
			Code string `json:"code"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("analyze %s: %v\n%s", path, err, out)
	}
	var codes []string
	for _, f := range d.Findings {
		codes = append(codes, f.Code)
	}
	slices.Sort(codes)
	return codes
}
