package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// parseInterspersed parses flags that may come before, between or after the
// file names, as engineers type them ("decode x.pcap --json").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// portList is a repeatable port flag.
type portList []uint16

func (p *portList) String() string {
	s := make([]string, len(*p))
	for i, v := range *p {
		s[i] = strconv.Itoa(int(v))
	}
	return strings.Join(s, ",")
}

func (p *portList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return errors.New("want a UDP port number 1-65535")
		}
		*p = append(*p, uint16(n))
	}
	return nil
}

// inputFlags are the flags of every command that reads captures.
type inputFlags struct {
	ike, natt portList
	keys      pathList
	noKeys    bool
	logs      pathList
	points    pointList
	parsed    []*gwlog.Log // the --log files, once read
	parsedAt  []string     // and their paths
}

// pointList is the repeatable --point NAME=FILES flag.
type pointList []pipeline.PointSpec

func (p *pointList) String() string {
	var s []string
	for _, ps := range *p {
		s = append(s, ps.Name+"="+ps.Pattern)
	}
	return strings.Join(s, ",")
}

func (p *pointList) Set(v string) error {
	ps, err := pipeline.ParsePointSpec(v)
	if err != nil {
		return err
	}
	*p = append(*p, ps)
	return nil
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.ike, "ike-port", "UDP port carrying IKE (repeatable; default 500)")
	fs.Var(&f.natt, "natt-port", "UDP port carrying NAT-T IKE and ESP (repeatable; default 4500)")
	fs.Var(&f.keys, "keys", "key file or directory: Wireshark ikev1/ikev2_decryption_table, esp_sa, ip xfrm state output, charon log (repeatable)")
	fs.BoolVar(&f.noKeys, "no-keys", false, "use only the --keys files: no key files lying next to the capture, no keys from --log files")
	fs.Var(&f.points, "point", "NAME=FILES: these files (a file, a directory, or a pattern such as 'a_*.pcap') are one capture point, shown as NAME (repeatable; other FILEs are grouped by their times)")
	fs.Var(&f.logs, "log", "gateway log to align with the captures: strongSwan charon (file or syslog), libreswan pluto, H3C Comware debugging (repeatable; format detected)")
}

// gatewayLogs reads the --log files (once). A log that cannot be read is
// reported and left out; foreign lines in a log are counted, not fatal.
func (f *inputFlags) gatewayLogs(stderr io.Writer) []*gwlog.Log {
	if f.parsed != nil || len(f.logs) == 0 {
		return f.parsed
	}
	f.parsed = []*gwlog.Log{}
	for _, p := range f.logs {
		l, err := gwlog.ParseFile(p)
		if err != nil {
			fmt.Fprintf(stderr, "ipsecpcap: log: %v\n", err)
			continue
		}
		if len(l.Events) == 0 {
			fmt.Fprintf(stderr, "ipsecpcap: log %s: no line of a known gateway log format (%d lines skipped)\n", p, l.Skipped)
		}
		f.parsed = append(f.parsed, l)
		f.parsedAt = append(f.parsedAt, p)
	}
	return f.parsed
}

// decrypter loads the keys for one capture: the --keys paths and, unless
// --no-keys, the key files beside it. Problems in key files are reported
// (file and line, never key bytes) and do not stop the analysis. It
// returns nil when there are no keys, and the names of the files used.
func (f *inputFlags) decrypter(capturePath string, stderr io.Writer) (func(*decode.Packet, []byte), []string) {
	return f.decrypterFor([]string{capturePath}, stderr)
}

// plan takes the FILE arguments and the --point flags as capture points.
func (f *inputFlags) plan(files []string) ([]pipeline.Point, error) {
	return pipeline.PlanPoints(files, f.points, pipeline.SpanReader(f.decodeConfig()))
}

// decrypterForPoints loads the keys for the files of capture points.
func (f *inputFlags) decrypterForPoints(points []pipeline.Point, stderr io.Writer) (func(*decode.Packet, []byte), []string) {
	return f.decrypterFor(pipeline.FilesOf(points), stderr)
}

// decrypterFor loads the keys for captures analysed together.
func (f *inputFlags) decrypterFor(capturePaths []string, stderr io.Writer) (func(*decode.Packet, []byte), []string) {
	d, _, used := f.decryptersFor(capturePaths, stderr)
	return d, used
}

// decryptersFor is decrypterFor that also returns a maker of fresh
// decryption functions with the same keys, loaded once (nil without keys):
// a run's frame store decrypts a frame again with one (pipeline's
// Options.Decrypter).
func (f *inputFlags) decryptersFor(capturePaths []string, stderr io.Writer) (func(*decode.Packet, []byte), func() func(*decode.Packet, []byte), []string) {
	paths := append([]string(nil), f.keys...)
	// A charon log at level 4 holds the keys it derived.
	for i, l := range f.gatewayLogs(stderr) {
		if l.Format == gwlog.FormatCharon && !f.noKeys {
			paths = append(paths, f.parsedAt[i])
		}
	}
	for _, c := range capturePaths {
		if !f.noKeys && c != "-" {
			paths = append(paths, keys.Discover(c)...)
		}
	}
	if len(paths) == 0 {
		return nil, nil, nil
	}
	// Once each, in order: the first file to name an SA wins, and
	// keys.Discover puts Wireshark's tables before logs.
	var unique []string
	for _, p := range paths {
		if !slices.Contains(unique, p) {
			unique = append(unique, p)
		}
	}
	store, errs := keys.Load(unique)
	for _, err := range errs {
		fmt.Fprintf(stderr, "ipsecpcap: keys: %v\n", err)
	}
	if store == nil {
		return nil, nil, nil
	}
	if a, b, c := store.Counts(); a+b+c == 0 {
		return nil, nil, nil
	}
	fresh := func() func(*decode.Packet, []byte) { return decrypt.New(store).PacketFrame }
	return fresh(), fresh, store.Sources()
}

// pathList is a repeatable path flag.
type pathList []string

func (s *pathList) String() string { return strings.Join(*s, ",") }

func (s *pathList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func (f *inputFlags) decodeConfig() decode.Config {
	return decode.Config{IKEPorts: f.ike, NATTPorts: f.natt}
}

// parseFiles parses the flags and returns the file names; ok is false
// after a usage error or -h (already reported on the flag set's output),
// and status is then the command's exit status (usageStatus).
func parseFiles(fs *flag.FlagSet, args []string) (files []string, status int, ok bool) {
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, usageStatus(err), false
	}
	if len(files) == 0 && (fs.Lookup("point") == nil || fs.Lookup("point").Value.String() == "") {
		fs.Usage()
		return nil, exitUnreadable, false
	}
	return files, exitOK, true
}

// usageStatus is the exit status after a flag error: 0 when help was asked
// for (-h, --help), 2 for a usage error.
func usageStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUnreadable
}
