package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mermaidPackages are installed from npm for TestMermaidParser: Mermaid
// itself (its parser needs a DOM for DOMPurify) and jsdom for that DOM. No
// browser is downloaded.
var mermaidPackages = []string{"mermaid@11.17.2", "jsdom@29.1.1"}

// mermaidCheck parses every ```mermaid block of the files given with
// mermaid.parse and fails on any error; a broken diagram is a negative
// control that must be rejected.
const mermaidCheck = `import { JSDOM } from 'jsdom';
import fs from 'node:fs';
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let failed = 0, parsed = 0;
for (const f of process.argv.slice(2)) {
  const md = fs.readFileSync(f, 'utf8');
  for (const [i, m] of [...md.matchAll(/` + "```" + `mermaid\n([\s\S]*?)` + "```" + `/g)].entries()) {
    try {
      const r = await mermaid.parse(m[1]);
      if (!r || (r.diagramType !== 'sequence' && r.diagramType !== 'gantt')) throw new Error('not a sequence or gantt diagram: ' + (r && r.diagramType));
      parsed++;
    } catch (e) {
      failed++;
      console.log('FAIL ' + f + ' diagram ' + (i + 1) + ': ' + (e.message || e));
    }
  }
}
try {
  await mermaid.parse('sequenceDiagram\n    I->>R: a\n    R-->>>I');
  console.log('FAIL negative control accepted');
  failed++;
} catch (e) {}
console.log('parsed ' + parsed + ' diagrams, ' + failed + ' failures');
process.exit(failed ? 1 : 0);
`

// TestMermaidParser validates the Mermaid diagrams of the Markdown golden
// files with the real Mermaid parser under node. It skips when node or npm is
// missing, with -short, or when the packages cannot be installed. The install
// is kept in $TMPDIR/ipsecpcap-mermaid (or $IPSECPCAP_MERMAID_DIR) for the
// next run.
func TestMermaidParser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no npm install")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	dir := os.Getenv("IPSECPCAP_MERMAID_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ipsecpcap-mermaid")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm not found")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Skip(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		args := append([]string{"install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", dir}, mermaidPackages...)
		if out, err := exec.CommandContext(ctx, npm, args...).CombinedOutput(); err != nil {
			t.Skipf("npm install %s failed: %v\n%s", strings.Join(mermaidPackages, " "), err, out)
		}
	}
	script := filepath.Join(dir, "check-ipsecpcap.mjs")
	if err := os.WriteFile(script, []byte(mermaidCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.md"))
	if len(files) == 0 {
		t.Fatal("no Markdown golden files")
	}
	files = append(files, writeLabMarkdown(t, t.TempDir())...)
	for i, f := range files {
		if files[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(node, append([]string{script}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("mermaid: %v", err)
	}
}
