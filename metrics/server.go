package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StaleAfter is how old the latest snapshot may be before /healthz says the
// analysis is stuck: the live loop publishes one every 250 ms.
const StaleAfter = 10 * time.Second

// Registry returns a registry with the collector, the process collector
// (CPU, resident memory, open files of the analyser) and the Go runtime's
// collector (heap, goroutines, GC): what a sensor costs, as Prometheus sees
// it.
func Registry(c *Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return reg
}

// Handler serves /metrics (Prometheus text, or OpenMetrics when the scraper
// asks for it) and /healthz: 200 "ok" while snapshots arrive, 503 with the
// reason when none came for StaleAfter (the analysis is stuck) or before the
// first.
func Handler(c *Collector) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(Registry(c), promhttp.HandlerOpts{EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := c.Healthy(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "ipsecpcap: /metrics, /healthz")
	})
	return mux
}

// Healthy says why the analysis is not healthy, nil when it is.
func (c *Collector) Healthy() error {
	s := c.latest.Load()
	switch {
	case s == nil:
		return errors.New("no analysis yet")
	case c.Now().Sub(s.Taken) > StaleAfter:
		return fmt.Errorf("the latest analysis is %s old", c.Now().Sub(s.Taken).Round(time.Second))
	}
	return nil
}

// Server is the metrics endpoint, listening.
type Server struct {
	Addr net.Addr
	srv  *http.Server
	done chan error
}

// Serve listens on addr (host:port; port 0 picks one) and serves Handler(c)
// until Close.
func Serve(addr string, c *Collector) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{Addr: ln.Addr(), done: make(chan error, 1),
		srv: &http.Server{Handler: Handler(c), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server, letting a scrape under way finish (up to 2 s).
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
