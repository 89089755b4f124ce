// Command labtool is the Go half of lab/run.sh: it turns the charon logs of
// a lab run into Wireshark's decryption tables, checks them with tshark and
// writes the scenario's entry of testdata/pcaps/manifest.json.
//
//	labtool keys -dir DIR [-view initiator|responder[,...]]
//	labtool verify -dir DIR [-capture FILE]
//	labtool finish -spec lab/scenarios.json -manifest testdata/pcaps/manifest.json -name NAME [-points FILE]
//	labtool names -spec lab/scenarios.json
//
// -view names the sides whose logged ESP addresses the capture points see
// (behind a NAT: the responder's outside, the initiator's inside); -points
// is the list of the run's capture points that lab/run.sh writes (see
// points.go), the primary capture.pcap first.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: labtool keys|verify|finish|names ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "keys":
		err = cmdKeys(os.Args[2:])
	case "verify":
		err = cmdVerify(os.Args[2:])
	case "finish":
		err = cmdFinish(os.Args[2:])
	case "names":
		err = cmdNames(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "labtool:", err)
		os.Exit(1)
	}
}
