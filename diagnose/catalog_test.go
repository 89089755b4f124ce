package diagnose

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// codeConstants are the finding codes finding.go declares: every string
// constant whose value is a code (capitals and underscores).
func codeConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "finding.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	isCode := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	codes := map[string]string{} // value → constant name
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, _ := strconv.Unquote(lit.Value); isCode.MatchString(v) {
				codes[v] = vs.Names[0].Name
			}
		}
		return true
	})
	return codes
}

// TestCatalogComplete: every code finding.go declares is in the catalog
// once, with a meaning, a remedy, a line in the README and in the JSON
// schema's list, and a test that names it (raised or not).
func TestCatalogComplete(t *testing.T) {
	consts := codeConstants(t)
	if len(consts) < 30 {
		t.Fatalf("only %d code constants found in finding.go", len(consts))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("../docs/analysis-schema.md")
	if err != nil {
		t.Fatal(err)
	}
	// Every test file of the repository, and the lab's manifest, whose
	// expected findings the ground-truth tests assert.
	var tests strings.Builder
	filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, "_test.go") && !strings.HasSuffix(p, "catalog_test.go") {
			b, _ := os.ReadFile(p)
			tests.Write(b)
		}
		return nil
	})
	if b, err := os.ReadFile("../testdata/pcaps/manifest.json"); err == nil {
		tests.Write(b)
	}
	seen := map[string]bool{}
	for _, c := range Catalog() {
		if seen[c.Code] {
			t.Errorf("%s twice in the catalog", c.Code)
		}
		seen[c.Code] = true
		name, ok := consts[c.Code]
		if !ok {
			t.Errorf("%s is in the catalog, not in finding.go", c.Code)
		}
		if c.Meaning == "" || c.Severity == "" || c.Phase == "" || c.Category == "" {
			t.Errorf("%s: incomplete entry %+v", c.Code, c)
		}
		if c.Remedy == "" {
			t.Errorf("%s has no remedy (remedy.go)", c.Code)
		}
		if !strings.Contains(string(readme), "`"+c.Code+"`") {
			t.Errorf("%s is not in the README", c.Code)
		}
		if !strings.Contains(string(schema), "`"+c.Code+"`") {
			t.Errorf("%s is not in docs/analysis-schema.md", c.Code)
		}
		if !strings.Contains(tests.String(), c.Code) && !strings.Contains(tests.String(), "diagnose."+name) && !regexp.MustCompile(`\b`+name+`\b`).MatchString(tests.String()) {
			t.Errorf("%s (%s) is named by no test", c.Code, name)
		}
	}
	for v, name := range consts {
		if !seen[v] {
			t.Errorf("%s (%s) is not in the catalog", v, name)
		}
	}
}
