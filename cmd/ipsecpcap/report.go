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
	fs.StringVar(&slice, "slice", "", "write the packets of the selected tunnels to this pcap file (several captures: OUT-1.pcap, OUT-2.pcap, ..., one per capture)")
	fs.BoolVar(&redact, "redact", false, "replace IP addresses consistently (same address, same placeholder; /24s kept together)")
	in.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap report FILE... [--format md|html|text|json] [-o OUT] [--tunnel SEL] [--slice OUT.pcap] [--redact] [--keys PATH] [--log FILE]\n"+
			"Several FILEs are captures of the same tunnels at different points (both gateways, inside and outside a NAT):\n"+
			"one report over them merged, every capture in the chain of custody, frames written capture:frame.\n"+
			"With several FILEs, --slice OUT.pcap writes one slice per capture, OUT-1.pcap, OUT-2.pcap, ... (each with that\n"+
			"capture's packets and clock), and the report maps each slice's frames to its capture's.\n"+
			"--log FILE (repeatable) adds a gateway's log (strongSwan charon, libreswan pluto, H3C Comware): its lines on the\n"+
			"timeline, the causes it states as evidence, and the log in the chain of custody (never any key material).\n")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return usageStatus(err)
	}
	if len(files) == 0 && len(in.points) == 0 {
		fmt.Fprintln(stderr, "ipsecpcap report: give a capture file (or several, taken at different points)")
		fs.Usage()
		return exitUnreadable
	}
	formatSet := false
	fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
	if out != "" {
		// -o report.html: the format from the extension; one that names
		// another format (or none the tool writes) is refused, not
		// written as Markdown under a misleading name.
		ext := strings.ToLower(filepath.Ext(out))
		byExt, known := map[string]string{".md": report.FormatMarkdown, ".markdown": report.FormatMarkdown, ".html": report.FormatHTML,
			".htm": report.FormatHTML, ".txt": report.FormatText, ".text": report.FormatText, ".json": report.FormatJSON}[ext]
		switch {
		case ext == "":
		case !known:
			fmt.Fprintf(stderr, "ipsecpcap report: -o %s: the tool writes md, html, text or json, not %s (for a PDF, write --format html and print it from a browser)\n", out, strings.TrimPrefix(ext, "."))
			return exitUnreadable
		case !formatSet:
			format = byExt
		case byExt != format:
			fmt.Fprintf(stderr, "ipsecpcap report: -o %s is a %s file by its name, --format asks for %s\n", out, byExt, format)
			return exitUnreadable
		}
	}
	if !slices.Contains(report.Formats, format) {
		fmt.Fprintf(stderr, "ipsecpcap report: unknown format %q (want md, html, text or json)\n", format)
		return exitUnreadable
	}
	if slice != "" && slices.Contains(files, "-") {
		fmt.Fprintln(stderr, "ipsecpcap report: --slice needs a capture file, not standard input (the capture is read twice)")
		return exitUnreadable
	}
	cfg := in.decodeConfig()
	points, err := in.plan(files)
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	decrypt, keyFiles := in.decrypterForPoints(points, stderr)
	res, err := pipeline.AnalyzePoints(points, pipeline.Options{Decode: cfg, Decrypt: decrypt, Logs: in.gatewayLogs(stderr), Problem: func(s string) { fmt.Fprintln(stderr, s) }})
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	for _, ri := range res.Inputs {
		if ri.SuppressedProblems > 0 {
			fmt.Fprintf(stderr, "%s: %d more problems not shown\n", ri.Name, ri.SuppressedProblems)
		}
	}
	rep, err := report.New(res, report.Options{Tunnel: tunnel, Redact: redact, KeyFiles: keyFiles, Version: Version, Now: reportClock()})
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
		return exitUnreadable
	}
	if slice != "" && len(points) > 1 {
		empty, err := rep.WriteSlices(points, cfg, slice)
		if err != nil {
			fmt.Fprintf(stderr, "ipsecpcap report: %v\n", err)
			return exitUnreadable
		}
		for _, s := range rep.Slices {
			fmt.Fprintf(stderr, "ipsecpcap report: slice of capture %d (%s): %s\n", s.Capture, s.Source, s.File)
		}
		for _, k := range empty {
			fmt.Fprintf(stderr, "ipsecpcap report: note: capture %d (%s) has no packet of the selected tunnels; %s not written\n", k, points[k-1].Label(), report.SliceName(slice, k))
		}
		if redact {
			fmt.Fprintln(stderr, "ipsecpcap report: note: the slices hold the packets as captured; their addresses are not redacted")
		}
	} else if slice != "" {
		frames, err := rep.SliceFrames(points[0], cfg)
		if err == nil && len(frames) == 0 {
			fmt.Fprintf(stderr, "ipsecpcap report: note: no IKE or ESP packet to slice; %s not written\n", slice)
		} else if err == nil {
			err = rep.WriteSlice(points[0], frames, slice)
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
