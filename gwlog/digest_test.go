package gwlog

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

// The log's SHA-256 and size, for the chain of custody, are those of the
// file's bytes.
func TestLogDigest(t *testing.T) {
	const path = "../testdata/pcaps/lab/ikev1-ts-not-mirrored/charon-responder.log"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if l.SHA256 != hex.EncodeToString(sum[:]) || l.Size != int64(len(raw)) {
		t.Errorf("digest %s of %d bytes, want %x of %d", l.SHA256, l.Size, sum, len(raw))
	}
}
