package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// runCodes is `ipsecpcap codes`: the catalog of finding codes, as scripts
// and engineers look them up.
func runCodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("codes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var verbose, asJSON bool
	fs.BoolVar(&verbose, "v", false, "add each code's remedy and the commands that check it")
	fs.BoolVar(&asJSON, "json", false, "print the catalog as one JSON array")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap codes [-v | --json]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUnreadable
	}
	codes := diagnose.Catalog()
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(codes); err != nil {
			return exitUnreadable
		}
		return exitOK
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CODE\tSEVERITY\tPHASE\tCATEGORY\tLOG\tMEANING")
	for _, c := range codes {
		log := ""
		if c.Logs {
			log = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Code, c.Severity, c.Phase, c.Category, log, c.Meaning)
	}
	w.Flush()
	if verbose {
		for _, c := range codes {
			fmt.Fprintf(stdout, "\n%s — %s\n  Remedy: %s\n", c.Code, c.Meaning, c.Remedy)
			for _, cmd := range c.Commands {
				fmt.Fprintf(stdout, "    %-12s %s\n", cmd.Platform+":", cmd.Command)
			}
		}
	}
	fmt.Fprintln(stdout, "\nSEVERITY is the usual one (a failure the peers got past is a warning); LOG: a gateway log (--log) may state it.")
	return exitOK
}
