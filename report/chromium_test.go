//go:build linux

package report

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromiumTimeout bounds every Chromium run.
const chromiumTimeout = 60 * time.Second

// chromiumFlags run Chromium headless, offline and without state: no
// sandbox (CI runs as root), no GPU, no background or component traffic, and
// a new empty profile for every run.
func chromiumFlags(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}
}

// runChromium runs Chromium with args after chromiumFlags, bounded by
// chromiumTimeout; on timeout its whole process group is killed.
func runChromium(t *testing.T, bin string, args ...string) (stdout []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(chromiumFlags(t.TempDir()), args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("chromium %s: no result after %v\n%s", strings.Join(args, " "), chromiumTimeout, errOut.Bytes())
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errOut.Bytes())
	}
	t.Logf("chromium %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	return out.Bytes()
}

// TestChromiumReport opens the HTML report of failing lab captures in
// headless Chromium (Debian package chromium): the rendered DOM must hold
// one SVG ladder per IKE SA and one lifeline per tunnel, the failure code
// and frames, and no reference
// outside the page; a screenshot is saved to $IPSECPCAP_SCREENSHOT_DIR (or a
// temporary directory) and must be a real rendering. It skips with -short
// and when chromium is not installed.
func TestChromiumReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not found")
	}
	shots := os.Getenv("IPSECPCAP_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, capture := range []string{"ikev1-main-psk-mismatch", "ikev2-stale-spi"} {
		t.Run(capture, func(t *testing.T) {
			// The CLI's path: pipeline.Analyze, report.New, Write html.
			r, err := New(analyze(t, capture), Options{Version: "test", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			top := r.failing()
			if top == nil {
				t.Fatalf("%s: no failure to show", capture)
			}
			page := filepath.Join(t.TempDir(), capture+".html")
			if err := os.WriteFile(page, render(t, r, FormatHTML), 0o644); err != nil {
				t.Fatal(err)
			}
			u := (&url.URL{Scheme: "file", Path: page}).String()

			dom := runChromium(t, bin, "--dump-dom", u)
			checkRenderedDOM(t, r, top.Code, "frame "+frameRanges(top.Frames), dom)

			shot := filepath.Join(shots, capture+".png")
			os.Remove(shot) // a stale screenshot must not pass
			runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,1600", u)
			checkScreenshot(t, shot)
			t.Logf("screenshot: %s", shot)
		})
	}
}

// checkRenderedDOM checks the DOM Chromium rendered: a ladder <svg> per IKE
// SA and a lifeline per tunnel,
// the failure (code and frames) in the verdict and marked in a diagram, and
// nothing that would make the browser fetch anything.
func checkRenderedDOM(t *testing.T, r *Report, code, frames string, dom []byte) {
	t.Helper()
	s := string(dom)
	if !strings.Contains(s, "</html>") {
		t.Fatalf("chromium dumped no page:\n%.2000s", s)
	}
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("rendered DOM: %v", err)
	}
	var svgs, lifelines, notes int
	var verdict string
	var noteText []string
	var walk func(n *html.Node, inSVG bool)
	walk = func(n *html.Node, inSVG bool) {
		if n.Type == html.ElementNode {
			cls := attr(n, "class")
			switch {
			case n.Data == "svg":
				switch attr(n, "aria-label") {
				case "ladder diagram":
					svgs++
				case "tunnel lifeline":
					lifelines++
				}
				inSVG = true
			case n.Data == "p" && strings.Contains(cls, "verdict"):
				verdict = textOf(n)
			case n.Data == "g" && inSVG && cls == "note":
				notes++
				noteText = append(noteText, textOf(n))
			case n.Data == "script" || n.Data == "link" || n.Data == "iframe" || n.Data == "img" || n.Data == "object" || n.Data == "embed":
				t.Errorf("rendered DOM: <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || a.Key == "srcset" || a.Key == "action" {
					t.Errorf("rendered DOM: <%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inSVG)
		}
	}
	walk(doc, false)
	if svgs == 0 || svgs != len(r.Analysis.IKESAs) {
		t.Errorf("rendered DOM: %d ladders for %d IKE SAs", svgs, len(r.Analysis.IKESAs))
	}
	if lifelines == 0 || lifelines != len(r.Analysis.Tunnels) {
		t.Errorf("rendered DOM: %d lifelines for %d tunnels", lifelines, len(r.Analysis.Tunnels))
	}
	if !strings.Contains(verdict, "FAILURE") || !strings.Contains(verdict, code) || !strings.Contains(verdict, frames) {
		t.Errorf("rendered DOM: verdict %q does not name %s, %s", verdict, code, frames)
	}
	marked := false
	for _, n := range noteText {
		marked = marked || strings.Contains(n, code) && strings.Contains(n, frames)
	}
	if !marked {
		t.Errorf("rendered DOM: no diagram note names %s, %s (notes %q)", code, frames, noteText)
	}
	// Nothing to fetch: no URL anywhere (CSS included) but the SVG namespace
	// Chromium may write out.
	low := strings.ToLower(strings.ReplaceAll(s, "http://www.w3.org/2000/svg", ""))
	for _, bad := range []string{"http://", "https://", "//fonts.", "url(", "@import", "<script", "<link"} {
		if strings.Contains(low, bad) {
			t.Errorf("rendered DOM contains %q", bad)
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// checkScreenshot checks that the PNG is a real rendering: big enough,
// decodable, the window's size, many colours (not a blank page) and the red
// of the failure (#cf222e) present.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if fi.Size() <= 10<<10 {
		t.Errorf("screenshot: %d bytes, want > 10 KB", fi.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot: %dx%d, want 1280x1600", b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]bool{}
	var red, dark int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgb8(img, x, y)
			if (x-b.Min.X)%16 == 0 && (y-b.Min.Y)%16 == 0 {
				colours[c] = true
			}
			if near(c, [3]uint32{0xcf, 0x22, 0x2e}, 24) {
				red++
			}
			if c[0] < 80 && c[1] < 80 && c[2] < 80 {
				dark++
			}
		}
	}
	if len(colours) < 4 {
		t.Errorf("screenshot: %d colours in a 16-pixel grid: a blank page", len(colours))
	}
	if red < 50 {
		t.Errorf("screenshot: %d pixels of the failure red (#cf222e)", red)
	}
	if dark < 2000 {
		t.Errorf("screenshot: %d dark pixels: no text", dark)
	}
	t.Logf("screenshot: %dx%d, %d bytes, %d grid colours, %d red, %d dark pixels", b.Dx(), b.Dy(), fi.Size(), len(colours), red, dark)
}

func rgb8(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}

func near(c, want [3]uint32, tol uint32) bool {
	for i := range c {
		d := int(c[i]) - int(want[i])
		if d < -int(tol) || d > int(tol) {
			return false
		}
	}
	return true
}
