package main

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		elapsed     time.Duration
		want        string
	}{
		{812e6, 2e9, 2 * time.Second, "reading: 812 MB of 2.00 GB (40%), 406 MB/s, 2.9s left"},
		{2e9, 2e9, 4 * time.Second, "reading: 2.00 GB of 2.00 GB (100%), 500 MB/s"},
		{35e6, 0, 5 * time.Second, "reading: 35 MB, 7 MB/s"},
		{0, 12e9, 3 * time.Second, "reading: 0 B of 12.0 GB (0%), 0 B/s"},
	} {
		if got := progressLine(c.done, c.total, c.elapsed); got != c.want {
			t.Errorf("progressLine(%d, %d, %v) = %q, want %q", c.done, c.total, c.elapsed, got, c.want)
		}
	}
}

// TestProgressOnlyOnTerminal: captured or redirected stderr never gets
// the progress line.
func TestProgressOnlyOnTerminal(t *testing.T) {
	read := func() (int64, int64) { return 1, 2 }
	if p := startProgress(&bytes.Buffer{}, read); p != nil {
		t.Error("progress on a bytes.Buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if p := startProgress(w, read); p != nil {
		p.end()
		t.Error("progress on a pipe")
	}
	f, err := os.Create(t.TempDir() + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := startProgress(f, read); p != nil {
		p.end()
		t.Error("progress on a file")
	}
	var nilProgress *progress
	nilProgress.end() // does nothing
}
