package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// exitFailure is the exit status of an analysis that found a failure.
const exitFailure = 1

func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var asJSON bool
	var in inputFlags
	in.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the analysis as one JSON document (docs/analysis-schema.md)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap analyze [--json] [--ike-port N] [--natt-port N] FILE...\n")
		fs.PrintDefaults()
	}
	files, ok := parseFiles(fs, args)
	if !ok {
		return exitUnreadable
	}
	cfg := in.decodeConfig()
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status := exitOK
	for i, name := range files {
		if i > 0 && !asJSON {
			fmt.Fprintln(out)
		}
		dec, used := in.decrypter(name, stderr)
		code := analyzeFile(name, cfg, dec, used, asJSON, out, stderr)
		status = max(status, code)
	}
	return status
}

// analyzeFile correlates and diagnoses one capture and prints the result.
// Its status: 0 healthy, 1 a failure found, 2 not analysable.
func analyzeFile(name string, cfg decode.Config, dec func(*decode.Packet, []byte), keyFiles []string, asJSON bool, out *bufio.Writer, stderr io.Writer) int {
	problems := flushing{out, stderr}
	res, err := pipeline.Analyze(name, pipeline.Options{Decode: cfg, Decrypt: dec, Problem: func(s string) { fmt.Fprintln(problems, s) }})
	if err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	if res.Input.SuppressedProblems > 0 {
		fmt.Fprintf(problems, "%s: %d more problems not shown\n", name, res.Input.SuppressedProblems)
	}
	in := analysisview.Input{Name: name, Size: res.Input.Size, SHA256: res.Input.SHA256, Packets: res.Input.Packets, KeyFiles: keyFiles}
	if res.Input.ReadError != nil {
		in.ReadError = res.Input.ReadError.Error()
	}
	if asJSON {
		if err := analysisview.WriteJSON(out, analysisview.BuildDocument(in, Version, res.Analysis, res.Findings)); err != nil {
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			return exitUnreadable
		}
	} else {
		analysisview.WriteText(out, in, res.Analysis, res.Findings)
	}
	for _, f := range res.Findings {
		if f.Severity == diagnose.Error {
			return exitFailure
		}
	}
	return exitOK
}
