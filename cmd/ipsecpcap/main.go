// Command ipsecpcap analyses IPsec (IKEv1, IKEv2, ESP) in packet captures.
//
//	ipsecpcap FILE...              (the terminal UI on a terminal)
//	ipsecpcap analyze [--json] [--events FILE|-] [--separate] [--log FILE] FILE...
//	ipsecpcap decode [-v|--json] [--frame LIST] [--ike-port N] [--natt-port N] FILE...
//	ipsecpcap report FILE... --format md|html|text|json [-o OUT] [--tunnel SEL] [--slice OUT.pcap] [--redact] [--log FILE]
//	ipsecpcap live -i IFACE [-w OUT.pcap] [--duration D] [--count N] [--no-tui|--json] [--metrics ADDR] [--events FILE|-]
//
// FILE may be pcap or pcapng, gzip-compressed or not, or "-" for standard
// input. Exit status: 0 done (analyze: healthy), 1 analyze found a failure,
// 2 bad usage or an unreadable input.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is the tool's version, stamped into reports.
var Version = "0.1.0-dev"

const usage = `ipsecpcap — find out why an IPsec tunnel does not come up, from a capture

Usage:
  ipsecpcap analyze [flags] FILE...  the failure point, its causes and remedy, and the timeline per tunnel (--json: one document)
  ipsecpcap FILE...                  the terminal UI on a terminal, else the same as analyze
  ipsecpcap decode [flags] FILE...   one line per IKE/ESP packet (-v: payload tree, --json: JSON lines,
                                     --frame 17,20-25: only those frames)
  ipsecpcap report FILE... [--format md|html|text|json] [-o OUT] [--tunnel SEL] [--slice OUT.pcap] [--redact]
                                     a timeline to attach to a ticket
  ipsecpcap live -i IFACE [-w OUT.pcap] [--duration D] [--count N] [--no-tui | --json] [--metrics ADDR] [--events FILE|-]
                                     capture on an interface (a mirror port) and analyse as packets arrive
  ipsecpcap codes [-v | --json]      every finding code: meaning, severity, phase, category (-v: remedy, commands)
  ipsecpcap version

Every command takes --keys PATH (repeatable) and picks up key files beside the capture (--no-keys: don't).
Several FILEs are captures of the same tunnels taken at different points (both gateways, inside and outside
a NAT): analyze, report and the terminal UI merge them into one timeline (analyze --separate: one by one).
FILEs whose times follow one another (a rotated capture) are one capture point; a DIR stands for the captures
in it; --point NAME=FILES names a point.
--log FILE (repeatable) adds a gateway's own log: strongSwan charon, libreswan pluto, H3C Comware debugging.

Exit status of analyze: 0 healthy, 1 a failure found, 2 could not analyse, 3 no IKE and no ESP in the capture.

FILE is a pcap or pcapng file, optionally gzip-, zstd- or lz4-compressed; "-" reads standard input.
`

// exitUsage and exitUnreadable are the documented exit codes.
const (
	exitOK         = 0
	exitUnreadable = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUnreadable
	}
	switch args[0] {
	case "decode":
		return runDecode(args[1:], stdout, stderr)
	case "analyze":
		return runAnalyze(args[1:], stdout, stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "live":
		return runLive(args[1:], stdout, stderr)
	case "codes":
		return runCodes(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "ipsecpcap", Version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	// A bare file (or flags first) opens the terminal UI on a terminal,
	// and prints the analysis otherwise.
	if _, err := os.Stat(args[0]); err == nil || args[0] == "-" || strings.HasPrefix(args[0], "-") {
		if wantTUI(args, stdout) {
			return runTUI(args, stdout, stderr)
		}
		return runAnalyze(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "ipsecpcap: unknown command or file %q\n\n%s", args[0], usage)
	return exitUnreadable
}
