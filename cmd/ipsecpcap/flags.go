package main

import (
	"errors"
	"flag"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// parseInterspersed parses flags that may come before, between or after the
// file names, as engineers type them ("decode x.pcap --json").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// portList is a repeatable port flag.
type portList []uint16

func (p *portList) String() string {
	s := make([]string, len(*p))
	for i, v := range *p {
		s[i] = strconv.Itoa(int(v))
	}
	return strings.Join(s, ",")
}

func (p *portList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return errors.New("want a UDP port number 1-65535")
		}
		*p = append(*p, uint16(n))
	}
	return nil
}

// inputFlags are the flags of every command that reads captures.
type inputFlags struct {
	ike, natt portList
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.ike, "ike-port", "UDP port carrying IKE (repeatable; default 500)")
	fs.Var(&f.natt, "natt-port", "UDP port carrying NAT-T IKE and ESP (repeatable; default 4500)")
}

func (f *inputFlags) decodeConfig() decode.Config {
	return decode.Config{IKEPorts: f.ike, NATTPorts: f.natt}
}

// parseFiles parses the flags and returns the file names; ok is false
// after a usage error (already reported on the flag set's output).
func parseFiles(fs *flag.FlagSet, args []string) (files []string, ok bool) {
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, false
	}
	if len(files) == 0 {
		fs.Usage()
		return nil, false
	}
	return files, true
}
