package profile

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
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

func BenchmarkAnalyze(b *testing.B) {
	f := benchFile(b)
	st, err := os.Stat(f)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := pipeline.Analyze(f, pipeline.Options{Decode: decode.Config{}})
		if err != nil {
			b.Fatal(err)
		}
		if res == nil {
			b.Fatal("no result")
		}
	}
}
