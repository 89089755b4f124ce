package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/report"
)

// reportClock is the analysis time stamped into reports; tests replace it.
var reportClock = time.Now

// runReport is `ipsecpcap report` (issue 7).
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var format, out, tunnel, slice string
	var redact bool
	var in inputFlags
	fs.StringVar(&format, "format", report.FormatMarkdown, "md, html, text or json (default: from the -o file's extension, else md)")
	fs.StringVar(&out, "o", "", "write the report to this file instead of standard output")
	fs.StringVar(&tunnel, "tunnel", "", "only these IKE SAs: comma-separated IDs, peer addresses, IKE SPIs or ESP SPIs")
	fs.StringVar(&slice, "slice", "", "write the packets of the selected tunnels to this pcap file")
	fs.BoolVar(&redact, "redact", false, "replace IP addresses consistently (same address, same placeholder; /24s kept together)")
	in.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap report FILE [--format md|html|text|json] [-o OUT] [--tunnel SEL] [--slice OUT.pcap] [--redact] [--keys PATH]\n")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUnreadable
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "ipsecpcap report: give exactly one capture file")
		fs.Usage()
		return exitUnreadable
	}
	name := files[0]
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	if !formatSet && out != "" {
		// -o report.html: the format from the extension.
		switch strings.ToLower(filepath.Ext(out)) {
		case ".html", ".htm":
			format = report.FormatHTML
		case ".txt":
			format = report.FormatText
		case ".json":
			format = report.FormatJSON
		}
	}
	if !slices.Contains(report.Formats, format) {
		fmt.Fprintf(stderr, "ipsecpcap report: unknown format %q (want md, html, text or json)\n", format)
		return exitUnreadable
	}
	if slice != "" && name == "-" {
		fmt.Fprintln(stderr, "ipsecpcap report: --slice needs a capture file, not standard input (the capture is read twice)")
		return exitUnreadable
	}
	cfg := in.decodeConfig()
	decrypt, keyFiles := in.decrypter(name, stderr)
	res, err := pipeline.Analyze(name, pipeline.Options{Decode: cfg, Decrypt: decrypt, Problem: func(s string) { fmt.Fprintln(stderr, s) }})
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	if res.Input.SuppressedProblems > 0 {
		fmt.Fprintf(stderr, "%s: %d more problems not shown\n", name, res.Input.SuppressedProblems)
	}
	rep, err := report.New(res, report.Options{Tunnel: tunnel, Redact: redact, KeyFiles: keyFiles, Version: Version, Now: reportClock()})
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
		return exitUnreadable
	}
	if slice != "" {
		frames, err := rep.SliceFrames(name, cfg)
		if err == nil && len(frames) == 0 {
			fmt.Fprintf(stderr, "ipsecpcap report: note: no IKE or ESP packet to slice; %s not written\n", slice)
		} else if err == nil {
			err = rep.WriteSlice(name, frames, slice)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
			return exitUnreadable
		}
		if redact {
			fmt.Fprintln(stderr, "ipsecpcap report: note: the slice holds the packets as captured; its addresses are not redacted")
		}
	}
	var w io.Writer = stdout
	var f *os.File
	if out != "" && out != "-" {
		if f, err = os.Create(out); err != nil {
			fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
			return exitUnreadable
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = rep.Write(bw, format)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
		return exitUnreadable
	}
	if rep.Failed() {
		return exitFailure
	}
	return exitOK
}
