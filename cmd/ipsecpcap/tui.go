package main

import "io"

// wantTUI reports whether a bare `ipsecpcap FILE...` should open the
// terminal UI (issue 6): stdout is a terminal and --no-tui was not given.
func wantTUI(args []string, stdout io.Writer) bool { return false }

// runTUI opens the terminal UI on the captures.
func runTUI(args []string, stdout, stderr io.Writer) int { return runAnalyze(args, stdout, stderr) }
