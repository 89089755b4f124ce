// Command detail measures how long the terminal UI's detail of a late frame
// takes once a capture is loaded (issue 17): pipeline.Run.Frame, which
// reads the frame again through the run's frame store, and the lines the
// UI draws of it (tui.FrameLines). It loads the capture three ways: as a
// file, as standard input ("-", fed through a pipe) and as a live source
// (the records handed over one by one with pauses, as capture.Live does),
// and asks, for each, the last IKE frame, the last frame of the last ESP
// flow and the capture's last frame, first once and then -runs more times.
//
//	go run ./bench/detail [-runs 20] FILE
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/tui"
)

func main() {
	runs := flag.Int("runs", 20, "repeated requests per frame, after the first")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: detail [-runs N] FILE")
		os.Exit(2)
	}
	file := flag.Arg(0)
	for _, mode := range []string{"file", "stdin", "live"} {
		if err := measure(mode, file, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "detail: %s: %v\n", mode, err)
			os.Exit(1)
		}
	}
}

func measure(mode, file string, runs int) error {
	t0 := time.Now()
	run, err := start(mode, file)
	if err != nil {
		return err
	}
	defer run.Close()
	if err := run.RunToEnd(); err != nil {
		return err
	}
	res := run.Final()
	load := time.Since(t0)
	lastIKE, lastESP := 0, 0
	for _, sa := range res.Analysis.IKESAs {
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				lastIKE = max(lastIKE, slices.Max(m.Frames))
			}
		}
	}
	for _, f := range res.Analysis.ESP {
		lastESP = max(lastESP, f.LastFrame)
	}
	fmt.Printf("%-5s loaded %d frames in %.2f s\n", mode, res.Input.Packets, load.Seconds())
	for _, target := range []struct {
		what string
		id   int
	}{{"last IKE frame", lastIKE}, {"last ESP frame", lastESP}, {"last frame", res.Input.Packets}} {
		first, lines, err := detail(run, target.id)
		if err != nil {
			fmt.Printf("  %-15s %9s  %v\n", target.what, decode.FrameLabel(target.id), err)
			continue
		}
		var again []time.Duration
		for range runs {
			d, _, _ := detail(run, target.id)
			again = append(again, d)
		}
		slices.Sort(again)
		fmt.Printf("  %-15s %9s  first %7.2f ms, then median %6.2f ms, max %6.2f ms (%d lines)\n", target.what, decode.FrameLabel(target.id),
			ms(first), ms(again[len(again)/2]), ms(again[len(again)-1]), lines)
	}
	return nil
}

// detail is what the UI does on enter: the frame read again, and its lines.
func detail(run *pipeline.Run, id int) (time.Duration, int, error) {
	t := time.Now()
	d, err := run.Frame(id)
	if err != nil {
		return 0, 0, err
	}
	n := len(tui.FrameLines(d))
	return time.Since(t), n, nil
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// start loads the capture as a file, as standard input or as a live source.
func start(mode, file string) (*pipeline.Run, error) {
	opt := pipeline.Options{NoDigest: true, KeepFrames: true} // as the terminal UI runs
	switch mode {
	case "file":
		return pipeline.Start(file, opt)
	case "stdin":
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		go func() {
			io.Copy(pw, f)
			pw.Close()
			f.Close()
		}()
		os.Stdin = pr
		return pipeline.Start("-", opt)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	src, err := capture.NewReader(f, file, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return pipeline.StartSource("bench0", &liveLike{f: src}, opt), nil
}

// liveLike hands over a capture's records as a live interface does: one at
// a time, with a pause (capture.ErrNoPacket) every 256, and no way to read
// them again.
type liveLike struct {
	f *capture.File
	n int
}

func (l *liveLike) Next() (*capture.Record, error) {
	if l.n++; l.n%256 == 0 {
		return nil, capture.ErrNoPacket
	}
	rec, err := l.f.Next()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	return rec, err
}

func (l *liveLike) Close() error { return l.f.Close() }
