package isakmp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// TestWriteSeedCorpus regenerates the committed seed corpus of FuzzDecode
// from the real IKE messages of the shared captures and the lab captures:
// one file per distinct (version, exchange, payload chain) shape, so the
// corpus covers every payload type the captures hold without bloat. It only
// runs when IPSECPCAP_WRITE_CORPUS=1.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("IPSECPCAP_WRITE_CORPUS") != "1" {
		t.Skip("set IPSECPCAP_WRITE_CORPUS=1 to regenerate testdata/fuzz/FuzzDecode")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	written := 0
	for _, root := range []string{"../../../shared/captures", "../../testdata/pcaps"} {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			f, err := capture.Open(path)
			if err != nil {
				return nil
			}
			defer f.Close()
			dec := decode.NewDecoder(decode.Config{})
			for {
				rec, err := f.Next()
				if errors.Is(err, io.EOF) || err != nil {
					return nil
				}
				p, _ := dec.Decode(rec)
				if p == nil || p.IKE == nil || len(p.IKE.Raw) == 0 || len(p.IKE.Raw) > 4096 {
					continue
				}
				shape := fmt.Sprintf("%d/%d/%s/%d", p.IKE.MajorVersion(), p.IKE.Exchange, p.IKE.Summary(), len(p.IKE.Errors))
				if seen[shape] {
					continue
				}
				seen[shape] = true
				sum := sha256.Sum256(p.IKE.Raw)
				body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(p.IKE.Raw)) + ")\n"
				if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				written++
			}
		})
	}
	t.Logf("wrote %d seed inputs", written)
}
