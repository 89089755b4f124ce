package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

func TestLiveUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "-i IFACE is required"},
		{[]string{"-i", "eth0", "extra"}, `unexpected argument "extra"`},
		{[]string{"-i", "eth0", "--ring", "3", "--ring-size", "10M"}, "--ring and --ring-size need -w OUT"},
		{[]string{"-i", "eth0", "-w", "x.pcap", "--ring", "3"}, "--ring N and --ring-size SIZE go together"},
		{[]string{"-i", "eth0", "-w", "x.pcap", "--ring", "1", "--ring-size", "1M"}, "--ring needs at least 2 files"},
		{[]string{"-i", "eth0", "-w", "x.pcap", "--ring", "3", "--ring-size", "lots"}, `bad size "lots"`},
		{[]string{"-i", "eth0", "--count", "-1"}, "cannot be negative"},
		{[]string{"-i", "ipl-no-such-if0", "--no-tui"}, "ipl-no-such-if0"},
	}
	if capture.LiveBackend != "libpcap" {
		tests = append(tests, struct {
			args []string
			want string
		}{[]string{"-i", "lo", "--filter", "udp port 500", "--no-tui"}, "--filter needs the libpcap build"})
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"live"}, tc.args...), &stdout, &stderr)
		if code != exitUnreadable || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("live %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
