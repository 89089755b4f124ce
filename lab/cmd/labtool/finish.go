package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/lab"
)

// specFile is lab/scenarios.json: the part of the ground truth that is
// known before a run (what is misconfigured, what should happen), plus how
// to find the rest in the run's capture and logs.
type specFile struct {
	Scenarios []spec `json:"scenarios"`
}

type spec struct {
	Name             string        `json:"name"`
	IKEVersion       int           `json:"ike_version"`
	Mode             string        `json:"mode"`
	Description      string        `json:"description"`
	Misconfig        lab.Misconfig `json:"misconfig"`
	Established      bool          `json:"established"`
	FailsAt          *specFailsAt  `json:"fails_at"`
	ExpectNotifies   []string      `json:"expect_notifies"`
	ExpectedFindings []string      `json:"expected_findings"`
	Observe          []observe     `json:"observe"`
	Summary          string        `json:"summary"`
	// PathLoss and Checks concern the captures of several points (see
	// points.go).
	PathLoss []specPathLoss `json:"path_loss"`
	Checks   []specCheck    `json:"checks"`
}

type specFailsAt struct {
	Exchange string `json:"exchange"`
	Message  int    `json:"message"`
	// Filter is a tshark display filter (applied with the keys, so
	// decrypted fields work) for the frame where the failure shows; Pick
	// is "first" or "last" of the matching frames.
	Filter string `json:"filter"`
	Pick   string `json:"pick"`
}

// observe quotes the first line of a side's log matching a regexp; with
// Absent it checks that no line matches (e.g. the responder never logged
// an IKE_AUTH).
type observe struct {
	Side   string `json:"side"`
	Re     string `json:"re"`
	Absent bool   `json:"absent,omitempty"`
}

func loadSpec(path string) (*specFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s specFile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

func cmdNames(args []string) error {
	fs := flag.NewFlagSet("names", flag.ContinueOnError)
	specPath := fs.String("spec", "lab/scenarios.json", "scenario spec")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := loadSpec(*specPath)
	if err != nil {
		return err
	}
	for _, sc := range s.Scenarios {
		fmt.Println(sc.Name)
	}
	return nil
}

var (
	reLogMsg     = regexp.MustCompile(`\d+\[[A-Z]{3}\] .*$`)
	rePlutoStamp = regexp.MustCompile(`^[A-Z][a-z]{2} +\d+ [\d:.]+: `)
)

// quote returns the first line of the log matching re, without the time
// stamp and thread number.
func quote(path, re string) (string, error) {
	rx, err := regexp.Compile(re)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rx.MatchString(l) {
			m := reLogMsg.FindString(l)
			if m == "" {
				// pluto: "Nov 27 12:21:00.547260: message"
				m = rePlutoStamp.ReplaceAllString(l, "")
				return m, nil
			}
			// drop the thread number: "14[IKE] x" -> "[IKE] x"
			if i := strings.Index(m, "["); i > 0 {
				m = m[i:]
			}
			return m, nil
		}
	}
	return "", fmt.Errorf("%s: no line matches %q", filepath.Base(path), re)
}

func cmdFinish(args []string) error {
	fs := flag.NewFlagSet("finish", flag.ContinueOnError)
	specPath := fs.String("spec", "lab/scenarios.json", "scenario spec")
	manifestPath := fs.String("manifest", "testdata/pcaps/manifest.json", "manifest to update")
	name := fs.String("name", "", "scenario")
	dir := fs.String("dir", "", "scenario directory (default: <manifest dir>/lab/<name>)")
	pointsPath := fs.String("points", "", "the run's capture points (written by lab/run.sh), the primary first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var points []capPoint
	if *pointsPath != "" {
		var err error
		if points, err = readPoints(*pointsPath); err != nil {
			return err
		}
	}
	specs, err := loadSpec(*specPath)
	if err != nil {
		return err
	}
	var sp *spec
	var order []string
	for i := range specs.Scenarios {
		order = append(order, specs.Scenarios[i].Name)
		if specs.Scenarios[i].Name == *name {
			sp = &specs.Scenarios[i]
		}
	}
	if sp == nil {
		return fmt.Errorf("scenario %q not in %s", *name, *specPath)
	}
	root := filepath.Dir(*manifestPath)
	if *dir == "" {
		*dir = filepath.Join(root, "lab", *name)
	}
	rel := func(p string) string {
		r, err := filepath.Rel(root, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	var problems []string

	sc := lab.Scenario{
		Name:             sp.Name,
		Capture:          rel(filepath.Join(*dir, captureFile)),
		IKEVersion:       sp.IKEVersion,
		Mode:             sp.Mode,
		Description:      sp.Description,
		Misconfig:        sp.Misconfig,
		Established:      sp.Established,
		ExpectedFindings: sp.ExpectedFindings,
		NotifySeen:       []string{},
	}
	if sc.ExpectedFindings == nil {
		sc.ExpectedFindings = []string{}
	}
	for _, k := range []string{v1Table, v2Table, espTable} {
		sc.Keys = append(sc.Keys, rel(filepath.Join(*dir, k)))
	}
	logs, err := parsedLogs(*dir)
	if err != nil {
		return err
	}
	// every log of the run: the charon logs first, then others (pluto's)
	others, _ := filepath.Glob(filepath.Join(*dir, "*.log"))
	for _, s := range sides {
		if logs[s] != nil {
			sc.Logs = append(sc.Logs, rel(logPath(*dir, s)))
		}
	}
	sort.Strings(others)
	for _, o := range others {
		if !strings.HasPrefix(filepath.Base(o), "charon-") {
			sc.Logs = append(sc.Logs, rel(o))
		}
	}
	seen := map[string]bool{}
	for _, s := range sides {
		if l := logs[s]; l != nil {
			for _, n := range l.Notifies {
				if !seen[n] {
					seen[n] = true
					sc.NotifySeen = append(sc.NotifySeen, n)
				}
			}
		}
	}
	// NAT detection, checked on the wire: every charon here fakes its
	// NAT_DETECTION_SOURCE_IP (kernel-libipsec needs UDP encapsulation), so
	// the hashes mismatch even without a NAT, as they do for a real one.
	natNote := ""
	natFrames, err := natdMismatches(*dir)
	if err != nil {
		return err
	}
	if len(natFrames) > 0 && !contains(sc.ExpectedFindings, "NAT_DETECTED") {
		sc.ExpectedFindings = append(sc.ExpectedFindings, "NAT_DETECTED")
		natNote = fmt.Sprintf(" NAT_DETECTED although there is no NAT: the NAT-D hashes in %s do not match the packets, because with kernel-libipsec charon forces UDP encapsulation by sending a random NAT_DETECTION_SOURCE_IP.", formatFrames(natFrames))
	} else if len(natFrames) > 0 {
		natNote = fmt.Sprintf(" NAT-D hashes mismatch in %s.", formatFrames(natFrames))
	}
	for _, n := range sp.ExpectNotifies {
		if !seen[n] {
			problems = append(problems, fmt.Sprintf("expected notify %s not in the logs (seen %v)", n, sc.NotifySeen))
		}
	}

	// frames
	out, err := tshark(*dir, "-T", "fields", "-e", "frame.number")
	if err != nil {
		return err
	}
	sc.Frames = len(strings.Fields(string(out)))

	// keys
	v, err := verify(*dir)
	if err != nil {
		return err
	}
	sc.KeysVerifiedWithTshark = v.OK
	for _, d := range v.Details {
		fmt.Println("  " + d)
	}

	// where it fails
	if sp.FailsAt != nil {
		out, err := tshark(*dir, "-Y", sp.FailsAt.Filter, "-T", "fields", "-e", "frame.number")
		if err != nil {
			return err
		}
		frames := strings.Fields(string(out))
		if len(frames) == 0 {
			problems = append(problems, fmt.Sprintf("no frame matches fails_at filter %q", sp.FailsAt.Filter))
		} else {
			pick := frames[0]
			if sp.FailsAt.Pick == "last" {
				pick = frames[len(frames)-1]
			}
			n, _ := strconv.Atoi(pick)
			sc.FailsAt = &lab.FailsAt{Exchange: sp.FailsAt.Exchange, Message: sp.FailsAt.Message, Frame: n}
		}
	}

	// what each capture point saw
	story, capVerify, pointProblems, err := finishPoints(&sc, sp, *dir, points, rel)
	if err != nil {
		return err
	}
	problems = append(problems, pointProblems...)

	// what the logs say
	var quotes []string
	for _, o := range sp.Observe {
		// "initiator"/"responder" are charon's logs; anything else names
		// a log file, e.g. "pluto-responder"
		p := logPath(*dir, o.Side)
		if _, err := os.Stat(p); err != nil {
			p = filepath.Join(*dir, o.Side+".log")
		}
		if o.Absent {
			q, err := quote(p, o.Re)
			switch {
			case err == nil:
				problems = append(problems, fmt.Sprintf("%s log: %q matches %q, expected no such line", o.Side, q, o.Re))
			case strings.Contains(err.Error(), "no line matches"):
				quotes = append(quotes, fmt.Sprintf("%s log: no line matches %q", o.Side, o.Re))
			default:
				problems = append(problems, err.Error())
			}
			continue
		}
		q, err := quote(p, o.Re)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		quotes = append(quotes, fmt.Sprintf("%s log: %q", o.Side, q))
	}
	sc.Observed = strings.TrimSpace(sp.Summary)
	if len(quotes) > 0 {
		if sc.Observed != "" {
			sc.Observed += " "
		}
		sc.Observed += strings.Join(quotes, "; ") + "."
	}
	if len(sc.NotifySeen) > 0 {
		sc.Observed += fmt.Sprintf(" Notifies in the logs: %s.", strings.Join(sc.NotifySeen, ", "))
	}
	if sc.FailsAt != nil {
		sc.Observed += fmt.Sprintf(" Failure shows in frame %d of %d.", sc.FailsAt.Frame, sc.Frames)
	}
	if len(story) > 0 {
		sc.Observed += " " + strings.Join(story, " ")
	}
	sc.Observed += natNote
	if !v.OK {
		sc.Observed += " Keys not verified: " + strings.Join(v.Details, "; ") + "."
	}
	for _, c := range sc.Captures {
		if !c.KeysVerifiedWithTshark {
			sc.Observed += fmt.Sprintf(" Keys not verified on %s: %s.", filepath.Base(c.Path), strings.Join(capVerify[c.Point.Point], "; "))
		}
	}

	if err := sc.Validate(); err != nil {
		problems = append(problems, err.Error())
	}

	// update the manifest
	m := &lab.Manifest{Schema: lab.SchemaVersion}
	if b, err := os.ReadFile(*manifestPath); err == nil {
		var old lab.Manifest
		if err := json.Unmarshal(b, &old); err == nil {
			m.Scenarios = old.Scenarios
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	replaced := false
	for i := range m.Scenarios {
		if m.Scenarios[i].Name == sc.Name {
			m.Scenarios[i] = sc
			replaced = true
		}
	}
	if !replaced {
		m.Scenarios = append(m.Scenarios, sc)
	}
	m.SortScenarios(order)
	b, err := m.Marshal()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*manifestPath, b, 0o644); err != nil {
		return err
	}
	fail := ""
	if sc.FailsAt != nil {
		fail = fmt.Sprintf(", fails at %s msg %d frame %d", sc.FailsAt.Exchange, sc.FailsAt.Message, sc.FailsAt.Frame)
	}
	fmt.Printf("  %s: %d frames%s, notifies %v, keys verified %v\n", sc.Name, sc.Frames, fail, sc.NotifySeen, sc.KeysVerifiedWithTshark)
	if len(problems) > 0 {
		return fmt.Errorf("%s: %s", sc.Name, strings.Join(problems, "; "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
