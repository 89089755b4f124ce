package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/tui"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// liveSnapshotEvery is how often --no-tui looks for new findings.
const liveSnapshotEvery = 250 * time.Millisecond

// runLive captures on an interface (a mirror port) and analyses as the
// packets arrive: the terminal UI, or with --no-tui / --json each new
// finding on its own line and the analysis at the end (Ctrl-C, --duration,
// --count).
func runLive(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		iface, out, ringSize, filter string
		duration                     time.Duration
		count, ring                  int
		noTUI, asJSON, ascii         bool
		in                           inputFlags
		sf                           sensorFlags
	)
	fs.StringVar(&iface, "i", "", "the interface to capture on (e.g. the mirror port)")
	fs.StringVar(&out, "w", "", "also write what was captured to this file (pcapng if it ends in .pcapng, else pcap)")
	fs.DurationVar(&duration, "duration", 0, "stop after this long (e.g. 30s, 5m)")
	fs.IntVar(&count, "count", 0, "stop after this many packets")
	fs.IntVar(&ring, "ring", 0, "with -w and --ring-size: keep at most N files, OUT the newest, then OUT.1 ... OUT.<N-1>")
	fs.StringVar(&ringSize, "ring-size", "", "with -w and --ring: start a new file when OUT would grow past SIZE (e.g. 100M, 1G, 64MiB)")
	fs.StringVar(&filter, "filter", "", "a BPF filter expression instead of the built-in IPsec filter (libpcap build only)")
	fs.BoolVar(&noTUI, "no-tui", false, "print each new finding as a line, and the analysis at the end")
	fs.BoolVar(&asJSON, "json", false, "print each new finding as a JSON line, and the JSON document at the end")
	fs.BoolVar(&ascii, "ascii", false, "draw the terminal UI with plain ASCII only")
	in.register(fs)
	sf.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: ipsecpcap live -i IFACE [-w OUT.pcap [--ring N --ring-size SIZE]] [--duration D] [--count N] [--keys PATH] [--no-tui | --json] [--metrics ADDR] [--events FILE|-]\n"+
			"Captures IKE, NAT-T, ESP, AH, GRE/ERSPAN, ICMP errors and fragments on IFACE (promiscuous) and analyses them as they arrive.\n"+
			"Needs CAP_NET_RAW (root, or setcap cap_net_raw,cap_net_admin=eip on the binary).\n")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return usageStatus(err)
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(stderr, "ipsecpcap live: %s\n", msg)
		fs.Usage()
		return exitUnreadable
	}
	switch {
	case len(rest) > 0:
		return usageErr(fmt.Sprintf("unexpected argument %q (the interface is given with -i)", rest[0]))
	case iface == "":
		return usageErr("-i IFACE is required")
	case count < 0 || duration < 0 || ring < 0:
		return usageErr("--count, --duration and --ring cannot be negative")
	case (ring > 0 || ringSize != "") && out == "":
		return usageErr("--ring and --ring-size need -w OUT")
	case (ring > 0) != (ringSize != ""):
		return usageErr("--ring N and --ring-size SIZE go together")
	case ring == 1:
		return usageErr("--ring needs at least 2 files")
	case sf.maxTunnels < 1:
		return usageErr("--metrics-max-tunnels must be at least 1")
	}
	var wopt capture.WriterOptions
	if ringSize != "" {
		size, err := capture.ParseSize(ringSize)
		if err != nil {
			return usageErr(err.Error())
		}
		wopt = capture.WriterOptions{Ring: ring, RingSize: size}
	}
	cfg := in.decodeConfig()
	dec, decrypters, keyFiles := in.decryptersFor([]string{"-"}, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	live, err := capture.OpenLive(ctx, iface, capture.LiveOptions{IKEPorts: cfg.IKEPorts, NATTPorts: cfg.NATTPorts, Expr: filter, Count: count, Duration: duration})
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	var src capture.Source = live
	var w *capture.Writer
	if out != "" {
		if w, err = capture.CreateWriter(out, live.LinkType(), wopt); err != nil {
			live.Close()
			fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
			return exitUnreadable
		}
		src = capture.Tee(live, w)
	}
	sen, err := startSensor(sf, iface, stdout, stderr)
	if err != nil {
		if w != nil {
			w.Close()
		}
		live.Close()
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
		return exitUnreadable
	}
	defer sen.close()
	if sf.events == "-" {
		// standard output carries the events alone
		noTUI, stdout = true, io.Discard
	}
	what := "the built-in IPsec filter"
	if filter != "" {
		what = "filter " + strconv.Quote(filter)
	}
	fmt.Fprintf(stderr, "ipsecpcap: capturing on %s (%s, %s); Ctrl-C stops\n", iface, capture.LiveBackend, what)

	if !noTUI && !asJSON && terminalOut(stdout) {
		return liveTUI(iface, src, live, w, cfg, decrypters, keyFiles, ascii, stop, sen, stdout, stderr)
	}
	problems := func(s string) { fmt.Fprintln(stderr, s) }
	run := pipeline.StartSource(iface, src, pipeline.Options{Decode: cfg, Decrypt: dec, Problem: problems})
	defer run.Close()
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()

	// One goroutine steps the run; this one takes snapshots.
	done := make(chan error, 1)
	go func() {
		for {
			finished, err := run.Step(256)
			if finished || err != nil {
				done <- err
				return
			}
		}
	}()
	seen := map[findingKey]bool{}
	tick := time.NewTimer(liveSnapshotEvery)
	defer tick.Stop()
	var runErr error
wait:
	for {
		select {
		case <-tick.C:
			began := time.Now()
			res := run.Snapshot()
			printNewFindings(bw, res.Findings, seen, asJSON)
			sen.observe(res)
			tick.Reset(nextSnapshotIn(time.Since(began)))
		case runErr = <-done:
			break wait
		}
	}
	res := run.Snapshot()
	printNewFindings(bw, res.Findings, seen, asJSON)
	sen.observe(res)
	run.Close() // the writer is complete from here
	if runErr != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", runErr)
	}
	reportCapture(stderr, iface, live, w)
	return printLiveSummary(bw, stderr, res, keyFiles, asJSON)
}

// findingKey tells findings apart across snapshots.
type findingKey struct {
	code  string
	frame int
}

func printNewFindings(w *bufio.Writer, fs []diagnose.Finding, seen map[findingKey]bool, asJSON bool) {
	for _, f := range fs {
		k := findingKey{code: f.Code}
		if len(f.Frames) > 0 {
			k.frame = f.Frame
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		if asJSON {
			b, err := json.Marshal(f)
			if err != nil {
				continue
			}
			w.Write(b)
			w.WriteByte('\n')
		} else {
			fmt.Fprintf(w, "%s  %-7s %-21s %-8s %-14s %s\n", time.Now().Format("15:04:05"), f.Severity, f.Code, f.Certainty, analysisview.FrameList(f.Frames, 4), f.Summary)
		}
	}
	w.Flush()
}

// printLiveSummary prints the final analysis as analyze does; the status
// is analyze's.
func printLiveSummary(w *bufio.Writer, stderr io.Writer, res *pipeline.Result, keyFiles []string, asJSON bool) int {
	if !asJSON {
		fmt.Fprintln(w)
	}
	status := printAnalysis(w, stderr, res, keyFiles, asJSON)
	w.Flush()
	if status == exitOK && res.Input.ReadError != nil {
		return exitUnreadable
	}
	return status
}

// reportCapture says on stderr what was captured, dropped and written.
func reportCapture(stderr io.Writer, iface string, live *capture.Live, w *capture.Writer) {
	fmt.Fprintf(stderr, "ipsecpcap: %s: %d packets captured, %d dropped by the kernel", iface, live.Frames(), live.Drops())
	if w != nil {
		files := w.Files()
		fmt.Fprintf(stderr, ", written to %s", files[0])
		if len(files) > 1 {
			fmt.Fprintf(stderr, " (and %d older files up to %s)", len(files)-1, files[len(files)-1])
		}
	}
	fmt.Fprintln(stderr)
}

func terminalOut(stdout io.Writer) bool {
	f, ok := stdout.(*os.File)
	return ok && isTerminal(f) && os.Getenv("TERM") != "dumb"
}

// liveTUI shows the terminal UI while capturing; after the user quits the
// capture is stopped and the summary printed.
func liveTUI(iface string, src capture.Source, live *capture.Live, w *capture.Writer, cfg decode.Config, decrypters func() func(*decode.Packet, []byte), keyFiles []string, ascii bool, stop func(), sen *sensor, stdout, stderr io.Writer) int {
	var problems []string
	// The run's frame store keeps the IKE frames and the first and last
	// frame of each ESP flow: the detail view shows them without the -w
	// file.
	run := pipeline.StartSource(iface, src, pipeline.Options{Decode: cfg, Decrypter: decrypters, KeepFrames: true, Problem: func(s string) {
		if len(problems) < 20 {
			problems = append(problems, s)
		}
	}})
	defer run.Close()
	// --metrics and --events: snapshots of their own while the UI runs
	watchCtx, endWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { sen.watch(watchCtx, run); close(watched) }()
	topt := tui.Options{ASCII: ascii, NoColor: os.Getenv("NO_COLOR") != "", Live: true}
	_, err := tui.Run(run, topt, os.Stdin, stdout)
	// The UI's reader goroutine ends once the capture stops.
	stop()
	deadline := time.Now().Add(5 * time.Second)
	res := run.Snapshot()
	for !res.Done && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		res = run.Snapshot()
	}
	endWatch()
	<-watched
	sen.observe(res)
	run.Close()
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
	}
	reportCapture(stderr, iface, live, w)
	if !res.Done {
		fmt.Fprintln(stderr, "ipsecpcap: the capture did not stop in time; the summary covers what was read")
	}
	bw := bufio.NewWriter(stdout)
	return printLiveSummary(bw, stderr, res, keyFiles, false)
}
