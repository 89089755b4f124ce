package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/tui"
)

// tuiFlags are the flags only the terminal UI knows; the text summary does
// not accept them.
var tuiFlags = map[string]bool{"--no-tui": true, "-no-tui": true, "--ascii": true, "-ascii": true}

// wantTUI reports whether a bare `ipsecpcap FILE...` should be handled by
// runTUI: stdout is a terminal, capture files are given (or standard
// input, "-", when the terminal can still be read for keys; several are one
// merged run, as analyze merges them), and none of
// --no-tui, --json or --separate was given. It also returns true
// when a UI-only flag (--no-tui, --ascii) is present, so that runTUI strips
// it before printing the text summary, which does not know these flags.
func wantTUI(args []string, stdout io.Writer) bool {
	for _, a := range args {
		if tuiFlags[a] {
			return true
		}
	}
	return terminalUsable(args, stdout)
}

// terminalUsable: the UI can run for these arguments on this stdout.
func terminalUsable(args []string, stdout io.Writer) bool {
	f, ok := stdout.(*os.File)
	if !ok || !isTerminal(f) || os.Getenv("TERM") == "dumb" {
		return false
	}
	files := 0
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--no-tui", "-no-tui", "--json", "-json", "--separate", "-separate":
			return false
		case "-":
			// The capture comes on standard input: keys from the terminal.
			tty, err := os.Open("/dev/tty")
			if err != nil {
				return false
			}
			tty.Close()
			files++
		case "--point", "-point":
			i++ // its value names files
			files++
		case "--ike-port", "-ike-port", "--natt-port", "-natt-port", "--keys", "-keys", "--log", "-log":
			i++ // its value
		default:
			if a != "" && a[0] != '-' {
				files++
			}
		}
	}
	return files >= 1
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runTUI opens the terminal UI on the captures (several: one run merging
// them, as analyze does); with --no-tui, or when the UI cannot run, it
// prints the text summary instead. Its exit status is
// analyze's: 0 healthy, 1 a failure found, 2 could not analyse.
func runTUI(args []string, stdout, stderr io.Writer) int {
	var rest []string
	for _, a := range args {
		if !tuiFlags[a] {
			rest = append(rest, a)
		}
	}
	if !terminalUsable(args, stdout) {
		return runAnalyze(rest, stdout, stderr)
	}
	fs := flag.NewFlagSet("ipsecpcap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ascii, noTUI bool
	var in inputFlags
	fs.BoolVar(&ascii, "ascii", false, "draw with plain ASCII only")
	fs.BoolVar(&noTUI, "no-tui", false, "print the text summary instead of the terminal UI")
	in.register(fs)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return usageStatus(err)
	}
	if len(files) == 0 && len(in.points) == 0 {
		return runAnalyze(rest, stdout, stderr)
	}
	var problems []string
	cfg := in.decodeConfig()
	points, err := in.plan(files)
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	_, decrypters, _ := in.decryptersFor(pipeline.FilesOf(points), stderr)
	// NoDigest: the TUI shows no SHA-256, and hashing a large file would
	// take a core from loading it.
	opt := pipeline.Options{Decode: cfg, Decrypter: decrypters, NoDigest: true, KeepFrames: true, Logs: in.gatewayLogs(stderr), Problem: func(s string) {
		if len(problems) < 20 {
			problems = append(problems, s)
		}
	}}
	run, err := pipeline.StartPoints(points, opt)
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	defer run.Close()
	noColor := os.Getenv("NO_COLOR") != ""
	topt := tui.Options{ASCII: ascii, NoColor: noColor}
	keys := io.Reader(os.Stdin)
	if slices.Contains(files, "-") {
		// Standard input carries the capture: the keyboard is the
		// terminal's (as less reads its keys with a file on its input).
		tty, err := os.Open("/dev/tty")
		if err != nil {
			fmt.Fprintf(stderr, "ipsecpcap: the capture is on standard input and the terminal cannot be read for keys: %v\n", err)
			return exitUnreadable
		}
		defer tty.Close()
		keys = tty
	}
	res, err := tui.Run(run, topt, keys, stdout)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	if res != nil {
		return resultStatus(res)
	}
	return exitOK
}
