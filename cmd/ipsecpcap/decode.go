package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/view/packetview"
)

// maxReportedProblems bounds the per-file problem lines on stderr; the rest
// are counted.
const maxReportedProblems = 50

type decodeOptions struct {
	verbose bool
	json    bool
	cfg     decode.Config
}

func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt decodeOptions
	var ike, natt portList
	fs.BoolVar(&opt.verbose, "v", false, "print the full payload tree of every packet")
	fs.BoolVar(&opt.json, "json", false, "print one JSON object per packet")
	fs.Var(&ike, "ike-port", "UDP port carrying IKE (repeatable; default 500)")
	fs.Var(&natt, "natt-port", "UDP port carrying NAT-T IKE and ESP (repeatable; default 4500)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap decode [-v|--json] [--ike-port N] [--natt-port N] FILE...\n")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUnreadable
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUnreadable
	}
	opt.cfg = decode.Config{IKEPorts: ike, NATTPorts: natt}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status := exitOK
	for i, name := range files {
		if len(files) > 1 && !opt.json {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "==> %s <==\n", name)
		}
		if err := decodeFile(name, len(files) > 1, opt, out, stderr); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			status = exitUnreadable
		}
	}
	return status
}

// decodeFile prints every IPsec packet of one capture. It returns an error
// only when the file cannot be read at all; a file that breaks off midway is
// decoded up to the break and the break reported on stderr.
func decodeFile(name string, multi bool, opt decodeOptions, out *bufio.Writer, stderr io.Writer) error {
	src, err := capture.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	dec := decode.NewDecoder(opt.cfg)
	var t0 time.Time
	reported, suppressed := 0, 0
	report := func(format string, args ...any) {
		if reported < maxReportedProblems {
			out.Flush()
			fmt.Fprintf(stderr, format+"\n", args...)
			reported++
		} else {
			suppressed++
		}
	}
	enc := json.NewEncoder(out)
	var readErr error
	for {
		rec, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
		if rec.Frame == 1 {
			t0 = rec.Time
		}
		p, err := dec.Decode(rec)
		if err != nil {
			report("%s: frame %d, %v", name, rec.Frame, err)
			continue
		}
		if p == nil {
			continue
		}
		for _, pr := range p.Problems {
			where := "byte offset"
			if pr.InReassembled {
				where = "reassembled datagram offset"
			}
			report("%s: frame %d, %s %d: %s", name, p.Frame, where, pr.Offset, pr.Reason)
		}
		switch {
		case opt.json:
			o := packetview.Describe(p, t0)
			if multi {
				o = append(packetview.Obj{{K: "file", V: name}}, o...)
			}
			if err := enc.Encode(o); err != nil {
				return err
			}
		default:
			fmt.Fprintln(out, packetview.Line(p, t0))
			if opt.verbose {
				packetview.WriteTree(out, packetview.Describe(p, t0), "        ")
			}
		}
	}
	if suppressed > 0 {
		out.Flush()
		fmt.Fprintf(stderr, "%s: %d more problems not shown\n", name, suppressed)
	}
	if readErr != nil {
		out.Flush()
		fmt.Fprintf(stderr, "ipsecpcap: %v; the frames before it were decoded\n", readErr)
	}
	st := dec.Stats()
	summary := fmt.Sprintf("%d frames: %d IKE, %d ESP, %d NAT-keepalive, %d ICMP errors quoting IPsec, %d not IPsec, %d unreadable",
		st.Frames, st.IKE, st.ESP, st.NATKeepalives, st.ICMPErrors, st.NotIPsec, st.LinkErrors)
	if st.Fragments > 0 {
		summary += fmt.Sprintf("; %d IP fragments, %d datagrams reassembled, %d incomplete", st.Fragments, st.Reassembled, dec.PendingFragments())
	}
	if opt.json {
		out.Flush()
		fmt.Fprintf(stderr, "%s: %s\n", name, summary)
	} else {
		fmt.Fprintf(out, "# %s\n", summary)
	}
	return nil
}
