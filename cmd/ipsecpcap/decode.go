package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/packetview"
)

type decodeOptions struct {
	verbose bool
	json    bool
	cfg     decode.Config
	decrypt func(*decode.Packet, []byte)
}

func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt decodeOptions
	var in inputFlags
	in.register(fs)
	fs.BoolVar(&opt.verbose, "v", false, "print the full payload tree of every packet")
	fs.BoolVar(&opt.json, "json", false, "print one JSON object per packet")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap decode [-v|--json] [--ike-port N] [--natt-port N] FILE...\n")
		fs.PrintDefaults()
	}
	files, ok := parseFiles(fs, args)
	if !ok {
		return exitUnreadable
	}
	opt.cfg = in.decodeConfig()
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status := exitOK
	for i, name := range files {
		if len(files) > 1 && !opt.json {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "==> %s <==\n", name)
		}
		opt.decrypt, _ = in.decrypter(name, stderr)
		if err := decodeFile(name, len(files) > 1, opt, out, stderr); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			status = exitUnreadable
		}
	}
	return status
}

// decodeFile prints every IPsec packet of one capture.
func decodeFile(name string, multi bool, opt decodeOptions, out *bufio.Writer, stderr io.Writer) error {
	enc := json.NewEncoder(out)
	problems := flushing{out, stderr}
	res, err := pipeline.Analyze(name, pipeline.Options{
		Decode:  opt.cfg,
		Decrypt: opt.decrypt,
		Problem: func(s string) { fmt.Fprintln(problems, s) },
		Packet: func(p *decode.Packet, t0 time.Time) error {
			if opt.json {
				o := packetview.Describe(p, t0)
				if multi {
					o = append(packetview.Obj{{K: "file", V: name}}, o...)
				}
				return enc.Encode(o)
			}
			fmt.Fprintln(out, packetview.Line(p, t0))
			if opt.verbose {
				packetview.WriteTree(out, packetview.Describe(p, t0), "        ")
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	out.Flush()
	if res.Input.SuppressedProblems > 0 {
		fmt.Fprintf(stderr, "%s: %d more problems not shown\n", name, res.Input.SuppressedProblems)
	}
	if res.Input.ReadError != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v; the frames before it were decoded\n", res.Input.ReadError)
	}
	if opt.json {
		fmt.Fprintf(stderr, "%s: %s\n", name, res.Summary())
	} else {
		fmt.Fprintf(out, "# %s\n", res.Summary())
	}
	return nil
}

// flushing writes to stderr after flushing stdout, so problem reports and
// output interleave in frame order on a terminal.
type flushing struct {
	out    *bufio.Writer
	stderr io.Writer
}

func (f flushing) Write(p []byte) (int, error) {
	f.out.Flush()
	return f.stderr.Write(p)
}
