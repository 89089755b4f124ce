package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ipsecpcap/ipsecpcap/events"
	"github.com/ipsecpcap/ipsecpcap/metrics"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// sensorFlags are live's outputs for the monitoring a site already runs:
// Prometheus metrics (--metrics) and an event stream for the log pipeline
// (--events).
type sensorFlags struct {
	metricsAddr string
	maxTunnels  int
	events      string
}

func (f *sensorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.metricsAddr, "metrics", "", "serve Prometheus/OpenMetrics metrics on ADDR (host:port) at /metrics, and /healthz (docs/metrics.md)")
	fs.IntVar(&f.maxTunnels, "metrics-max-tunnels", metrics.DefaultMaxTunnels, "with --metrics: tunnels with series of their own; the rest are summed into tunnel=\"_other\"")
	fs.StringVar(&f.events, "events", "", "write every finding and tunnel state change as a JSON line (Elastic Common Schema, docs/events.md) to FILE, or - for standard output; SIGHUP reopens FILE")
}

// sensor is what the flags started: the metrics endpoint, the events file,
// and the SIGHUP that reopens it.
type sensor struct {
	collector *metrics.Collector
	server    *metrics.Server
	writer    *events.Writer
	stream    *events.Stream
	hup       chan os.Signal
	stderr    io.Writer
}

// startSensor starts what the flags ask for; a nil sensor (none asked) is
// fine to use.
func startSensor(f sensorFlags, iface string, stdout, stderr io.Writer) (*sensor, error) {
	if f.metricsAddr == "" && f.events == "" {
		return nil, nil
	}
	s := &sensor{stderr: stderr}
	if f.events != "" {
		w, err := events.Create(f.events, stdout, true)
		if err != nil {
			return nil, err
		}
		host, _ := os.Hostname()
		s.writer, s.stream = w, events.NewStream(events.Source{Hostname: host, Interface: iface, Version: Version})
		hup := make(chan os.Signal, 1)
		s.hup = hup
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			for range hup {
				if err := w.Reopen(); err != nil {
					fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
				}
			}
		}()
	}
	if f.metricsAddr != "" {
		s.collector = metrics.NewCollector(f.maxTunnels, Version)
		// healthy from the start: the capture is open, nothing seen yet
		s.collector.Publish(&metrics.Snapshot{Taken: time.Now()})
		srv, err := metrics.Serve(f.metricsAddr, s.collector)
		if err != nil {
			s.close()
			return nil, err
		}
		s.server = srv
		fmt.Fprintf(stderr, "ipsecpcap: metrics on http://%s/metrics\n", srv.Addr)
	}
	return s, nil
}

// observe hands a snapshot to the metrics and writes its new events.
func (s *sensor) observe(res *pipeline.Result) {
	if s == nil || res == nil || res.Analysis == nil {
		return
	}
	now := time.Now()
	if s.collector != nil {
		s.collector.Publish(&metrics.Snapshot{Analysis: res.Analysis, Findings: res.Findings,
			CapturePackets: uint64(res.Input.Packets), KernelDrops: res.Input.Drops, Taken: now})
	}
	if s.writer != nil {
		if err := s.writer.Write(s.stream.Next(res.Analysis, res.Findings, now)); err != nil {
			fmt.Fprintf(s.stderr, "ipsecpcap: %v\n", err)
		}
	}
}

// watch takes a snapshot of run every interval until ctx ends: for the
// terminal UI, which takes its own snapshots for the screen.
func (s *sensor) watch(ctx context.Context, run *pipeline.Run) {
	if s == nil {
		return
	}
	tick := time.NewTimer(liveSnapshotEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			began := time.Now()
			s.observe(run.Snapshot())
			tick.Reset(nextSnapshotIn(time.Since(began)))
		}
	}
}

// nextSnapshotIn is how long live waits for its next snapshot after one
// that took took: liveSnapshotEvery, or three times as long as the last
// one took, so that snapshots (a copy of the analysis, its diagnosis, the
// new findings and events) take at most a quarter of a core from the
// capture. With thousands of tunnels a snapshot takes a tenth of a second
// or more, and every 250 ms it would starve the reader into kernel drops.
func nextSnapshotIn(took time.Duration) time.Duration {
	return max(liveSnapshotEvery, 3*took)
}

// close stops the endpoint and closes the events file.
func (s *sensor) close() {
	if s == nil {
		return
	}
	if s.hup != nil {
		signal.Stop(s.hup)
		close(s.hup)
		s.hup = nil
	}
	if s.server != nil {
		s.server.Close()
	}
	if s.writer != nil {
		if err := s.writer.Close(); err != nil {
			fmt.Fprintf(s.stderr, "ipsecpcap: %v\n", err)
		}
	}
}

// writeAllEvents writes every event of a finished analysis (analyze
// --events), in time order.
func writeAllEvents(w *events.Writer, res *pipeline.Result) error {
	if w == nil {
		return nil
	}
	host, _ := os.Hostname()
	src := events.Source{Hostname: host, Version: Version, Input: res.Input.Name}
	return w.Write(events.All(res.Analysis, res.Findings, src, time.Now()))
}

// openEvents opens analyze's --events output (nil when not asked for).
func openEvents(path string, stdout io.Writer) (*events.Writer, error) {
	if path == "" {
		return nil, nil
	}
	return events.Create(path, stdout, false)
}

func closeEvents(w *events.Writer, stderr io.Writer) {
	if w == nil {
		return
	}
	if err := w.Close(); err != nil {
		fmt.Fprintf(stderr, "ipsecpcap: %v\n", err)
	}
}
