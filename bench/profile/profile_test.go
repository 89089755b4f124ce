package profile

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

func benchFile(b *testing.B) string {
	if f := os.Getenv("BENCH_FILE"); f != "" {
		return f
	}
	f := filepath.Join(b.TempDir(), "bench.pcap")
	cmd := exec.Command("go", "run", "../gen", "-q", "-o", f, "-size", "50MB")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	return f
}

func BenchmarkAnalyze(b *testing.B) { benchAnalyze(b, pipeline.Options{}) }

// BenchmarkAnalyzeNoDigest is the run without the input's SHA-256 (which
// runs on a second goroutine and bounds the wall time on 2 cores): the
// reading, decoding and correlating alone.
func BenchmarkAnalyzeNoDigest(b *testing.B) { benchAnalyze(b, pipeline.Options{NoDigest: true}) }

func benchAnalyze(b *testing.B, opt pipeline.Options) {
	f := benchFile(b)
	st, err := os.Stat(f)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := pipeline.Analyze(f, opt)
		if err != nil {
			b.Fatal(err)
		}
		if res == nil {
			b.Fatal("no result")
		}
	}
}
