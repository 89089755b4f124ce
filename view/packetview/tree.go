package packetview

import (
	"fmt"
	"io"
	"strings"
)

// lineKeys are fields the one-line form already shows; the tree leaves
// them out.
var lineKeys = map[string]bool{
	"frame": true, "rel": true, "kind": true, "src": true, "dst": true, "sport": true, "dport": true,
	"ispi": true, "rspi": true, "exchange": true, "message_id": true, "notifies": true, "summary": true,
	"spi": true, "seq": true, "version": true, "version_minor": true, "fragments": true,
}

// WriteTree writes a packet's description as an indented tree, the -v view,
// leaving out what the one-line form shows.
func WriteTree(w io.Writer, o Obj, indent string) {
	var rest Obj
	for _, kv := range o {
		if !lineKeys[kv.K] {
			rest = append(rest, kv)
		}
	}
	writeTree(w, rest, indent)
}

// writeTree writes an Obj as an indented tree: scalars of an object on one
// line, nested objects and lists indented; a list item with a "text" field
// is written as that text alone.
func writeTree(w io.Writer, o Obj, indent string) {
	var flat []string
	flush := func() {
		if len(flat) > 0 {
			fmt.Fprintf(w, "%s%s\n", indent, strings.Join(flat, "  "))
			flat = flat[:0]
		}
	}
	for _, kv := range o {
		switch v := kv.V.(type) {
		case Obj:
			if isNamedNumber(v) {
				flat = append(flat, fmt.Sprintf("%s: %v(%v)", kv.K, v[1].V, v[0].V))
				continue
			}
			flush()
			fmt.Fprintf(w, "%s%s:\n", indent, kv.K)
			writeTree(w, v, indent+"  ")
		case []Obj:
			flush()
			if len(v) == 0 {
				continue
			}
			fmt.Fprintf(w, "%s%s:\n", indent, kv.K)
			for _, item := range v {
				if text, ok := item.Get("text"); ok {
					fmt.Fprintf(w, "%s  - %v\n", indent, text)
					continue
				}
				var sb strings.Builder
				writeTree(&sb, item, indent+"    ")
				s := sb.String()
				// Mark the list item on its first line.
				s = indent + "  - " + strings.TrimPrefix(s, indent+"    ")
				io.WriteString(w, s)
			}
		default:
			flat = append(flat, fmt.Sprintf("%s: %v", kv.K, v))
		}
	}
	flush()
}

// isNamedNumber is an Obj of the form {number, name}, shown as name(number).
func isNamedNumber(o Obj) bool {
	return len(o) == 2 && (o[0].K == "number" || o[0].K == "type") && o[1].K == "name"
}
