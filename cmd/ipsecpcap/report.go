package main

import (
	"fmt"
	"io"
)

// runReport is `ipsecpcap report` (issue 7).
func runReport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ipsecpcap: report is not available yet")
	return exitUnreadable
}
