package gwlog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// labDir holds the lab's captures with the logs of both gateways, written
// during the same run on the same clock.
const labDir = "../testdata/pcaps"

type labScenario struct {
	Name             string   `json:"name"`
	Capture          string   `json:"capture"`
	Logs             []string `json:"logs"`
	ExpectedFindings []string `json:"expected_findings"`
	Misconfig        struct {
		Side string `json:"side"`
	} `json:"misconfig"`
}

func labScenarios(t *testing.T) []labScenario {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(labDir, "manifest.json"))
	if err != nil {
		t.Skipf("no lab manifest: %v", err)
	}
	var m struct {
		Scenarios []labScenario `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Scenarios
}

// logSide is the role of the gateway that wrote a lab log, from its name
// (charon-responder.log, pluto-responder.log).
func logSide(path string) string {
	switch {
	case strings.Contains(filepath.Base(path), "initiator"):
		return "initiator"
	case strings.Contains(filepath.Base(path), "responder"):
		return "responder"
	}
	return ""
}
