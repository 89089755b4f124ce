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
	frames  *frameList // --frame: only these (nil: all)
}

func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt decodeOptions
	var in inputFlags
	in.register(fs)
	fs.BoolVar(&opt.verbose, "v", false, "print the full payload tree of every packet")
	fs.BoolVar(&opt.json, "json", false, "print one JSON object per packet")
	var frames frameList
	fs.Var(&frames, "frame", "print only these frames: a list such as 17,20-25; with several files, 2:17 is frame 17 of the second (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap decode [-v|--json] [--frame LIST] [--ike-port N] [--natt-port N] FILE...\n"+
			"--frame LIST prints only the packets of those frames (as decode numbers them: 17,20-25; with several FILEs, 2:17 is\n"+
			"frame 17 of the second, 17 alone frame 17 of each); reading stops after the last one.\n")
		fs.PrintDefaults()
	}
	files, status, ok := parseFiles(fs, args)
	if !ok {
		return status
	}
	if frames.ranges != nil {
		if err := frames.check(len(files)); err != nil {
			fmt.Fprintf(stderr, "ipsecpcap decode: %v\n", err)
			return exitUnreadable
		}
		opt.frames = &frames
	}
	opt.cfg = in.decodeConfig()
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	status = exitOK
	for i, name := range files {
		if opt.frames != nil && opt.frames.last(i+1) == 0 {
			continue // nothing asked of this file
		}
		if len(files) > 1 && !opt.json {
			if i > 0 {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "==> %s <==\n", name)
		}
		opt.decrypt, _ = in.decrypter(name, stderr)
		if err := decodeFile(name, i+1, len(files) > 1, opt, out, stderr); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			status = exitUnreadable
		}
	}
	return status
}

// decodeFile prints every IPsec packet of one capture (the k-th given), or
// those of the frames asked for.
func decodeFile(name string, k int, multi bool, opt decodeOptions, out *bufio.Writer, stderr io.Writer) error {
	enc := json.NewEncoder(out)
	problems := flushing{out, stderr}
	seen := 0 // the last frame passed on
	ropt := pipeline.Options{
		FileOrder: true, // frames as Wireshark lists them
		Decode:    opt.cfg,
		Decrypt:   opt.decrypt,
		Problem:   func(s string) { fmt.Fprintln(problems, s) },
		Packet: func(p *decode.Packet, t0 time.Time) error {
			seen = p.Frame
			if opt.frames != nil && !opt.frames.wants(k, p) {
				return nil
			}
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
	}
	var res *pipeline.Result
	stopped := false
	if opt.frames == nil {
		var err error
		if res, err = pipeline.Analyze(name, ropt); err != nil {
			return err
		}
	} else {
		// The same loop, left once past the last frame asked for and
		// no datagram is waiting for fragments (one might hold it).
		ropt.NoDigest = true
		run, err := pipeline.Start(name, ropt)
		if err != nil {
			return err
		}
		defer run.Close()
		last := opt.frames.last(k)
		for {
			done, err := run.Step(256)
			if err != nil {
				return err
			}
			if done {
				break
			}
			if seen > last && run.PendingFragments() == 0 {
				stopped = true
				break
			}
		}
		res = run.Snapshot()
	}
	out.Flush()
	if res.Input.SuppressedProblems > 0 {
		fmt.Fprintf(stderr, "%s: %d more problems not shown\n", name, res.Input.SuppressedProblems)
	}
	if res.Input.ReadError != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v; the frames before it were decoded\n", res.Input.ReadError)
	}
	summary := res.Summary()
	if stopped {
		summary = fmt.Sprintf("read up to frame %d (--frame): %s", res.Input.Packets, summary)
	}
	if opt.json {
		fmt.Fprintf(stderr, "%s: %s\n", name, summary)
	} else {
		fmt.Fprintf(out, "# %s\n", summary)
	}
	return nil
}

// wants reports whether a packet of file k is asked for: its frame, or a
// frame of the IP fragments it was reassembled from.
func (l *frameList) wants(k int, p *decode.Packet) bool {
	if l.has(k, p.Frame) {
		return true
	}
	for _, f := range p.Fragments {
		if l.has(k, f) {
			return true
		}
	}
	return false
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
