package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/events"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// Exit statuses of an analysis beyond exitOK and exitUnreadable: a failure
// found, and a capture without any IKE or ESP (it tells nothing).
const (
	exitFailure = 1
	exitNoIPsec = 3
)

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var asJSON, separate, noDigest bool
	var eventsPath string
	var in inputFlags
	in.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the analysis as one JSON document (docs/analysis-schema.md)")
	fs.BoolVar(&noDigest, "no-digest", false, "with --json, do not compute the inputs' SHA-256 (input.sha256 stays empty): on a large file the digest is the slowest part of a run (the text output does not show it, so it is computed only for --json)")
	fs.StringVar(&eventsPath, "events", "", "also write every finding and tunnel state change as JSON lines (Elastic Common Schema, docs/events.md) to FILE, in time order; - writes them alone to standard output")
	fs.BoolVar(&separate, "separate", false, "analyse each capture point on its own instead of merging them as captures from several points of one path")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap analyze [--json] [--events FILE|-] [--separate] [--no-digest] [--keys PATH] [--log FILE] [--point NAME=FILES] [--ike-port N] [--natt-port N] FILE|DIR...\n"+
			"FILEs whose times follow one another (a rotated capture: tcpdump -C/-G, a ring buffer, editcap -c) are one capture\n"+
			"point, read in time order; a DIR stands for the captures in it. FILEs whose times overlap are captures of the same\n"+
			"tunnels at different points (both gateways, inside and outside a NAT): they are merged into one timeline, unless\n"+
			"--separate. --point names a point and its files where their times cannot tell. --log adds the gateways' own logs.\n"+
			"Captures may be pcap or pcapng, plain or compressed with gzip, zstd or lz4.\n"+
			"One plain (uncompressed) capture file is read on every core (GOMAXPROCS), in byte ranges, to the same result;\n"+
			"standard input, gzip/zstd/lz4, several files or capture points, and decryption (--keys, or keys found beside\n"+
			"the capture) are read on one core, as are the terminal UI and live captures.\n"+
			"With --json the file's SHA-256 (input.sha256) is computed beside the reading, on one core (SHA-256 cannot be\n"+
			"split): about 1.4 GB/s, often longer than the analysis itself; --no-digest skips it.\n")
		fs.PrintDefaults()
	}
	files, status, ok := parseFiles(fs, args)
	if !ok {
		return status
	}
	if eventsPath == "-" && asJSON {
		fmt.Fprintln(stderr, "ipsecpcap analyze: --events - and --json both want standard output; give --events a FILE")
		return exitUnreadable
	}
	evw, err := openEvents(eventsPath, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	defer closeEvents(evw, stderr)
	if eventsPath == "-" {
		stdout = io.Discard // standard output carries the events alone
	}
	cfg := in.decodeConfig()
	// The digest is for the JSON's chain of custody; the text does not show
	// it, and on a large file it would take longer than the analysis.
	noDigest = noDigest || !asJSON
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	logs := in.gatewayLogs(stderr)
	points, err := in.plan(files)
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	if !separate {
		dec, used := in.decrypterForPoints(points, stderr)
		return analyzePoints(points, pipeline.Options{Decode: cfg, Decrypt: dec, Logs: logs, NoDigest: noDigest}, used, asJSON, evw, out, stderr)
	}
	status = exitOK
	for i, p := range points {
		if i > 0 && !asJSON {
			fmt.Fprintln(out)
		}
		dec, used := in.decrypterForPoints(points[i:i+1], stderr)
		code := analyzePoints([]pipeline.Point{p}, pipeline.Options{Decode: cfg, Decrypt: dec, Logs: logs, NoDigest: noDigest}, used, asJSON, evw, out, stderr)
		status = worseStatus(status, code)
	}
	return status
}

// analyzePoints correlates and diagnoses captures (several: from several
// points, as one analysis), with the gateways' logs, and prints the
// result. Its status: 0 healthy, 1 a failure found, 2 not analysable.
func analyzePoints(points []pipeline.Point, opt pipeline.Options, keyFiles []string, asJSON bool, evw *events.Writer, out *bufio.Writer, stderr io.Writer) int {
	problems := flushing{out, stderr}
	opt.Problem = func(s string) { fmt.Fprintln(problems, s) }
	res, err := runWithProgress(points, opt, &problems)
	if err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	// The run's state (every SA, flow and map of the correlator, the
	// readers' buffers) is garbage now that the snapshot is taken: collected
	// before the output is built, its memory is reused for the output
	// instead of growing the heap (the peak RSS of a large capture is set
	// here, not while reading).
	runtime.GC()
	for _, ri := range res.Inputs {
		if ri.SuppressedProblems > 0 {
			fmt.Fprintf(problems, "%s: %d more problems not shown\n", ri.Name, ri.SuppressedProblems)
		}
	}
	if err := writeAllEvents(evw, res); err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	return printAnalysis(out, stderr, res, keyFiles, asJSON)
}

// printAnalysis writes a run's result as analyze does (the text, or the
// JSON document) and returns analyze's status for it.
func printAnalysis(w io.Writer, stderr io.Writer, res *pipeline.Result, keyFiles []string, asJSON bool) int {
	in := analysisview.InputOf(res)
	in.KeyFiles = keyFiles
	if asJSON {
		if err := analysisview.WriteJSON(w, analysisview.BuildDocument(in, Version, res.Analysis, res.Findings)); err != nil {
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			return exitUnreadable
		}
	} else {
		analysisview.WriteText(w, in, res.Analysis, res.Findings)
	}
	return resultStatus(res)
}

// worseStatus combines the statuses of captures analysed one by one: could
// not analyse (2) over a failure (1) over no IPsec (3) over healthy (0).
func worseStatus(a, b int) int {
	rank := map[int]int{exitOK: 0, exitNoIPsec: 1, exitFailure: 2, exitUnreadable: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// resultStatus is analyze's exit status for a result: 1 a failure found,
// 3 no IPsec in the capture, 0 healthy (diagnose.Verdict).
func resultStatus(res *pipeline.Result) int {
	switch diagnose.Verdict(res.Analysis, res.Findings) {
	case diagnose.VerdictFailure:
		return exitFailure
	case diagnose.VerdictNoIPsec:
		return exitNoIPsec
	}
	return exitOK
}

// runWithProgress is pipeline.AnalyzeFiles with the progress of reading
// shown on a terminal (see progress.go); messages written to problems'
// stderr meanwhile go through the progress line.
func runWithProgress(points []pipeline.Point, opt pipeline.Options, problems *flushing) (*pipeline.Result, error) {
	r, err := pipeline.StartPoints(points, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if p := startProgress(problems.stderr, r.Progress); p != nil {
		stderr := problems.stderr
		problems.stderr = p
		defer func() { problems.stderr = stderr }()
		err = r.RunToEnd()
		p.end()
	} else {
		err = r.RunToEnd()
	}
	if err != nil {
		return nil, err
	}
	return r.Final(), nil
}
