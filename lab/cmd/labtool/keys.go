package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/lab"
)

// The files of a scenario directory.
const (
	captureFile = "capture.pcap"
	v1Table     = "ikev1_decryption_table"
	v2Table     = "ikev2_decryption_table"
	espTable    = "esp_sa"
)

var sides = []string{"initiator", "responder"}

func logPath(dir, side string) string { return filepath.Join(dir, "charon-"+side+".log") }

// parsedLogs parses the charon logs present in dir, initiator first.
func parsedLogs(dir string) (map[string]*lab.CharonLog, error) {
	out := map[string]*lab.CharonLog{}
	for _, s := range sides {
		p := logPath(dir, s)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		l, err := lab.ParseCharonLogFile(p)
		if err != nil {
			return nil, err
		}
		out[s] = l
	}
	return out, nil
}

type tables struct {
	v1, v2, esp []string
}

// buildTables writes Wireshark's three decryption tables from the logs.
// ESP addresses are those the view sides logged (the sides whose addresses
// the capture points see, which matters behind a NAT: outside it the
// responder's view, inside it the initiator's). With several views an SA
// gets one line per distinct pair of addresses; a side that is not a view
// only adds the SPIs the views lack.
func buildTables(dir string, views []string) (*tables, error) {
	logs, err := parsedLogs(dir)
	if err != nil {
		return nil, err
	}
	order := append([]string{}, views...)
	isView := map[string]bool{}
	for _, v := range views {
		isView[v] = true
	}
	for _, s := range sides {
		if !isView[s] {
			order = append(order, s)
		}
	}
	t := &tables{}
	seen := map[string]bool{}
	// IKE keys: the initiator's first (in IKEv1 a PSK mismatch gives each
	// side its own Ka for the same cookie; the initiator's decrypts what
	// the initiator sent).
	for _, s := range sides {
		l := logs[s]
		if l == nil {
			continue
		}
		for _, sa := range l.IKEv1 {
			if sa.ICookie == "" || seen["v1"+sa.ICookie] {
				continue
			}
			seen["v1"+sa.ICookie] = true
			t.v1 = append(t.v1, lab.IKEv1Line(sa))
		}
		for _, sa := range l.IKEv2 {
			if sa.SPIi == "" || seen["v2"+sa.SPIi+sa.SPIr] {
				continue
			}
			seen["v2"+sa.SPIi+sa.SPIr] = true
			line, err := lab.IKEv2Line(sa)
			if err != nil {
				return nil, err
			}
			t.v2 = append(t.v2, line)
		}
	}
	type espEntry struct {
		sa   lab.ESPSA
		line int
	}
	var esps []espEntry
	seenSPI := map[uint32]bool{}
	seenSA := map[string]bool{} // SPI and addresses
	for _, s := range order {
		l := logs[s]
		if l == nil {
			continue
		}
		mine := map[uint32]bool{}
		for _, c := range l.Children {
			for _, sa := range []lab.ESPSA{c.Out, c.In} {
				k := fmt.Sprintf("%08x %s %s", sa.SPI, sa.Src, sa.Dst)
				if sa.EncKey == "" || mine[sa.SPI] || seenSA[k] || !isView[s] && seenSPI[sa.SPI] {
					continue
				}
				mine[sa.SPI] = true
				seenSPI[sa.SPI] = true
				seenSA[k] = true
				esps = append(esps, espEntry{sa, c.Line})
			}
		}
	}
	sort.SliceStable(esps, func(i, j int) bool { return esps[i].line < esps[j].line })
	for _, e := range esps {
		src, dst := e.sa.Src, e.sa.Dst
		if src == "" || dst == "" {
			src, dst = "*", "*"
		}
		line, err := lab.ESPLine(e.sa, src, dst)
		if err != nil {
			return nil, err
		}
		t.esp = append(t.esp, line)
	}
	return t, nil
}

func writeTables(dir string, t *tables) error {
	for name, lines := range map[string][]string{v1Table: t.v1, v2Table: t.v2, espTable: t.esp} {
		body := strings.Join(lines, "\n")
		if body != "" {
			body += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func cmdKeys(args []string) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	dir := fs.String("dir", "", "scenario directory")
	view := fs.String("view", "initiator", "sides whose view of the ESP addresses matches the capture points, comma-separated (the primary capture's first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var views []string
	for _, v := range strings.Split(*view, ",") {
		if v = strings.TrimSpace(v); v != "" {
			views = append(views, v)
		}
	}
	if len(views) == 0 {
		return fmt.Errorf("no view")
	}
	t, err := buildTables(*dir, views)
	if err != nil {
		return err
	}
	if err := writeTables(*dir, t); err != nil {
		return err
	}
	fmt.Printf("keys: %d IKEv1, %d IKEv2, %d ESP\n", len(t.v1), len(t.v2), len(t.esp))
	return nil
}
