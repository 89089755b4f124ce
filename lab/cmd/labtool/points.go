package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/lab"
)

// The capture points of a run, as lab/run.sh lists them in its points
// file, one per line, the primary (capture.pcap) first:
//
//	point|namespace|interface|file|view|initiator addr|responder addr|time shift|description
type capPoint struct {
	lab.Point
	File  string
	View  string
	Shift float64
}

func readPoints(path string) ([]capPoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []capPoint
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" {
			continue
		}
		p := strings.SplitN(l, "|", 9)
		if len(p) != 9 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 9", path, n, len(p))
		}
		shift, err := strconv.ParseFloat(p[7], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: time shift: %v", path, n, err)
		}
		out = append(out, capPoint{
			Point: lab.Point{Point: p[0], Namespace: p[1], Interface: p[2], InitiatorAddr: p[5], ResponderAddr: p[6], Description: p[8]},
			File:  p[3], View: p[4], Shift: shift,
		})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 || out[0].File != captureFile {
		return nil, fmt.Errorf("%s: the first point must be the primary %s", path, captureFile)
	}
	if out[0].Shift != 0 {
		return nil, fmt.Errorf("%s: the primary capture cannot be shifted", path)
	}
	return out, nil
}

// specPathLoss is the ground truth of PATH_LOSS, as lab/scenarios.json
// states it: the packets matching Filter are seen at From and never at To.
type specPathLoss struct {
	From   string `json:"from"`
	To     string `json:"to"`
	What   string `json:"what"`
	Filter string `json:"filter"`
}

// specCheck asks that the frames matching Filter (with the keys) in the
// capture of Point number at least Min and, when Max is set, at most Max.
type specCheck struct {
	Point  string `json:"point"`
	What   string `json:"what"`
	Filter string `json:"filter"`
	Min    int    `json:"min"`
	Max    *int   `json:"max"`
}

// matching returns the frames of a capture that match a display filter.
func matching(dir, file, filter string) ([]int, error) {
	out, err := tsharkOn(dir, file, "-Y", filter, "-T", "fields", "-e", "frame.number")
	if err != nil {
		return nil, err
	}
	var fr []int
	for _, f := range strings.Fields(string(out)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("tshark frame number %q", f)
		}
		fr = append(fr, n)
	}
	return fr, nil
}

// frameList formats frames compactly: "frames 3-6, 9" ("no frame").
func frameList(fr []int) string {
	if len(fr) == 0 {
		return "no frame"
	}
	var parts []string
	for i := 0; i < len(fr); {
		j := i
		for j+1 < len(fr) && fr[j+1] == fr[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", fr[i], fr[j]))
		} else {
			parts = append(parts, strconv.Itoa(fr[i]))
		}
		i = j + 1
	}
	if len(fr) == 1 {
		return "frame " + parts[0]
	}
	return "frames " + strings.Join(parts, ", ")
}

// seenPacket is where and when a capture first saw a packet.
type seenPacket struct {
	time     float64
	src, dst string // address:port
}

// packetTimes maps each IKE message and ESP packet of a capture, by what
// does not change between capture points (IKE header fields, ESP SPI and
// sequence number; not addresses or ports, which a NAT rewrites; the n-th
// packet with the same fields is another one), to the time and endpoints
// it was seen with there.
func packetTimes(dir, file string) (map[string]seenPacket, error) {
	out, err := tsharkOn(dir, file, "-Y", "isakmp || esp", "-T", "fields", "-E", "separator=|", "-E", "occurrence=f",
		"-e", "frame.time_epoch", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport",
		"-e", "isakmp.ispi", "-e", "isakmp.rspi", "-e", "isakmp.exchangetype",
		"-e", "isakmp.messageid", "-e", "isakmp.flags", "-e", "isakmp.length", "-e", "esp.spi", "-e", "esp.sequence")
	if err != nil {
		return nil, err
	}
	seen := map[string]seenPacket{}
	nth := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 13 {
			continue
		}
		t, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		// the n-th packet with these fields (IKEv1 MM3 and MM4 can
		// look alike)
		k := strings.Join(f[5:], "|")
		nth[k]++
		seen[fmt.Sprintf("%s#%d", k, nth[k])] = seenPacket{t, endpoint(f[1], f[2]), endpoint(f[3], f[4])}
	}
	return seen, nil
}

// endpoint is "address:port", or the address alone without a port.
func endpoint(addr, port string) string {
	if port == "" {
		return addr
	}
	return addr + ":" + port
}

// compareCaptures matches the IKE and ESP packets of capture file with
// the primary capture's. offset estimates how far file's clock runs ahead
// of the primary's: the median difference of the time stamps of the n
// packets seen at both points (propagation adds microseconds). mapped
// are the endpoints (address:port) that differ between the two points for
// the same packets, as the NAT translated them.
func compareCaptures(dir, file string) (offset float64, n int, mapped []lab.AddrMapping, err error) {
	a, err := packetTimes(dir, captureFile)
	if err != nil {
		return 0, 0, nil, err
	}
	b, err := packetTimes(dir, file)
	if err != nil {
		return 0, 0, nil, err
	}
	var d []float64
	seenMap := map[lab.AddrMapping]bool{}
	for k, pa := range a {
		pb, ok := b[k]
		if !ok {
			continue
		}
		d = append(d, pb.time-pa.time)
		for _, m := range []lab.AddrMapping{{Primary: pa.src, Here: pb.src}, {Primary: pa.dst, Here: pb.dst}} {
			if m.Primary != m.Here && !seenMap[m] {
				seenMap[m] = true
				mapped = append(mapped, m)
			}
		}
	}
	sort.Slice(mapped, func(i, j int) bool {
		if mapped[i].Here != mapped[j].Here {
			return mapped[i].Here < mapped[j].Here
		}
		return mapped[i].Primary < mapped[j].Primary
	})
	if len(d) == 0 {
		return math.NaN(), 0, mapped, nil
	}
	sort.Float64s(d)
	return d[len(d)/2], len(d), mapped, nil
}

// finishPoints fills in the scenario's capture points, extra captures and
// path loss, checks what each point saw against the spec, and returns the
// story for the observed text, what the key verification said for each
// extra capture and the problems found.
func finishPoints(sc *lab.Scenario, sp *spec, dir string, points []capPoint, rel func(string) string) (story []string, verified map[string][]string, problems []string, err error) {
	verified = map[string][]string{} // point -> what verification said
	byPoint := map[string]capPoint{}
	for _, p := range points {
		byPoint[p.Point.Point] = p
	}
	if len(points) == 0 {
		if len(sp.PathLoss) > 0 || len(sp.Checks) > 0 {
			problems = append(problems, "path_loss or checks in the spec but no capture points given (-points)")
		}
		return nil, verified, problems, nil
	}
	pp := points[0].Point
	sc.CapturePoint = &pp
	var counts []string
	counts = append(counts, fmt.Sprintf("%s (%s) %d frames", pp.Point, captureFile, sc.Frames))
	for _, p := range points[1:] {
		c := lab.Capture{Path: rel(filepath.Join(dir, p.File)), Point: p.Point, TimeShiftSeconds: p.Shift}
		fr, err := matching(dir, p.File, "frame")
		if err != nil {
			return nil, nil, nil, err
		}
		c.Frames = len(fr)
		if c.Frames == 0 {
			problems = append(problems, fmt.Sprintf("%s: empty capture", p.File))
		} else {
			v, err := verifyFile(dir, p.File)
			if err != nil {
				return nil, nil, nil, err
			}
			c.KeysVerifiedWithTshark = v.OK
			verified[p.Point.Point] = v.Details
			for _, d := range v.Details {
				fmt.Printf("  %s: %s\n", p.File, d)
			}
		}
		sc.Captures = append(sc.Captures, c)
		counts = append(counts, fmt.Sprintf("%s (%s) %d frames", p.Point.Point, p.File, c.Frames))
	}
	story = append(story, "Capture points: "+strings.Join(counts, ", ")+".")
	for i, p := range points[1:] {
		off, n, mapped, err := compareCaptures(dir, p.File)
		if err != nil {
			return nil, nil, nil, err
		}
		sc.Captures[i].AddressMap = mapped
		if len(mapped) > 0 {
			var ms []string
			for _, m := range mapped {
				ms = append(ms, fmt.Sprintf("%s at %s is %s at %s", m.Here, p.Point.Point, m.Primary, pp.Point))
			}
			story = append(story, "The same packets carry other endpoints at the two points: "+strings.Join(ms, ", ")+".")
		}
		switch {
		case n == 0:
			story = append(story, fmt.Sprintf("No IKE or ESP packet is in both %s and %s.", captureFile, p.File))
		default:
			story = append(story, fmt.Sprintf("%s's time stamps run %+.6f s from %s's for the %d IKE/ESP packets seen at both points (median; time shift applied after the run: %+g s).",
				p.File, off, captureFile, n, p.Shift))
			if math.Abs(off-p.Shift) > 0.05 {
				problems = append(problems, fmt.Sprintf("%s: measured offset %+.6f s, applied %+g s", p.File, off, p.Shift))
			}
		}
	}
	for _, c := range sp.Checks {
		p, ok := byPoint[c.Point]
		if !ok {
			problems = append(problems, fmt.Sprintf("check at unknown point %q", c.Point))
			continue
		}
		fr, err := matching(dir, p.File, c.Filter)
		if err != nil {
			return nil, nil, nil, err
		}
		story = append(story, fmt.Sprintf("At %s, %s: %s.", c.Point, c.What, frameList(fr)))
		if len(fr) < c.Min || c.Max != nil && len(fr) > *c.Max {
			want := fmt.Sprintf("at least %d", c.Min)
			if c.Max != nil {
				want = fmt.Sprintf("%d to %d", c.Min, *c.Max)
			}
			problems = append(problems, fmt.Sprintf("at %s, %s (%q): %d frames, want %s", c.Point, c.What, c.Filter, len(fr), want))
		}
	}
	for _, l := range sp.PathLoss {
		from, ok1 := byPoint[l.From]
		to, ok2 := byPoint[l.To]
		if !ok1 || !ok2 {
			problems = append(problems, fmt.Sprintf("path_loss between unknown points %q, %q", l.From, l.To))
			continue
		}
		seen, err := matching(dir, from.File, l.Filter)
		if err != nil {
			return nil, nil, nil, err
		}
		arrived, err := matching(dir, to.File, l.Filter)
		if err != nil {
			return nil, nil, nil, err
		}
		story = append(story, fmt.Sprintf("Lost between %s and %s: %s, %s of %s; at %s (%s): %s.",
			l.From, l.To, l.What, frameList(seen), from.File, l.To, to.File, frameList(arrived)))
		if len(seen) == 0 {
			problems = append(problems, fmt.Sprintf("path_loss %s -> %s: nothing matches %q at %s", l.From, l.To, l.Filter, l.From))
			continue
		}
		if len(arrived) > 0 {
			problems = append(problems, fmt.Sprintf("path_loss %s -> %s: %s of %s match %q", l.From, l.To, frameList(arrived), to.File, l.Filter))
		}
		sc.PathLoss = append(sc.PathLoss, lab.PathLoss{From: l.From, To: l.To, What: l.What, Frames: seen})
	}
	return story, verified, problems, nil
}
