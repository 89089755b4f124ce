package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// exitFailure is the exit status of an analysis that found a failure.
const exitFailure = 1

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var asJSON bool
	var ike, natt portList
	fs.BoolVar(&asJSON, "json", false, "print the analysis as one JSON document (docs/analysis-schema.md)")
	fs.Var(&ike, "ike-port", "UDP port carrying IKE (repeatable; default 500)")
	fs.Var(&natt, "natt-port", "UDP port carrying NAT-T IKE and ESP (repeatable; default 4500)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap analyze [--json] [--ike-port N] [--natt-port N] FILE...\n")
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
	cfg := decode.Config{IKEPorts: ike, NATTPorts: natt}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status := exitOK
	for i, name := range files {
		if i > 0 && !asJSON {
			fmt.Fprintln(out)
		}
		code := analyzeFile(name, cfg, asJSON, out, stderr)
		status = max(status, code)
	}
	return status
}

// analyzeFile correlates and diagnoses one capture and prints the result.
// Its status: 0 healthy, 1 a failure found, 2 not analysable.
func analyzeFile(name string, cfg decode.Config, asJSON bool, out *bufio.Writer, stderr io.Writer) int {
	c := correlate.New(correlate.Config{})
	res, err := scan(name, cfg, flushing{out, stderr}, func(p *decode.Packet, _ time.Time) error {
		c.Add(p)
		return nil
	})
	if err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	a := c.Snapshot()
	findings := diagnose.Diagnose(a)
	in := analysisview.Input{Name: name, Size: res.size, SHA256: res.sha256, Packets: res.stats.Frames}
	if res.readErr != nil {
		in.ReadError = res.readErr.Error()
	}
	if asJSON {
		if err := analysisview.WriteJSON(out, analysisview.BuildDocument(in, Version, a, findings)); err != nil {
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			return exitUnreadable
		}
	} else {
		analysisview.WriteText(out, in, a, findings)
	}
	for _, f := range findings {
		if f.Severity == diagnose.Error {
			return exitFailure
		}
	}
	return exitOK
}
