package analysisview

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
)

// writeIndented writes a struct as json.Encoder with SetIndent("", "  ")
// does, streaming its top-level slices element by element.
func writeIndented(w io.Writer, v reflect.Value) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	// The compact encoding of one value, and its indented form: both
	// reused from value to value.
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	var indented []byte
	// value writes one value, indented for the given depth.
	value := func(x any, prefix string) error {
		compact.Reset()
		if err := enc.Encode(x); err != nil {
			return err
		}
		b := bytes.TrimSuffix(compact.Bytes(), []byte("\n"))
		indented = appendIndent(indented[:0], b, prefix, "  ")
		_, err := bw.Write(indented)
		return err
	}
	bw.WriteString("{")
	first := true
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := v.Field(i)
		if strings.Contains(opts, "omitempty") && fv.IsZero() || strings.Contains(opts, "omitempty") && fv.Kind() == reflect.Slice && fv.Len() == 0 {
			continue
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		key, _ := json.Marshal(name)
		bw.WriteString("\n  ")
		bw.Write(key)
		bw.WriteString(": ")
		if fv.Kind() != reflect.Slice || fv.IsNil() || fv.Len() == 0 {
			if err := value(fv.Interface(), "  "); err != nil {
				return err
			}
			continue
		}
		bw.WriteString("[")
		for j := range fv.Len() {
			if j > 0 {
				bw.WriteString(",")
			}
			bw.WriteString("\n    ")
			// A pointer to the element: its interface then holds no copy.
			if err := value(fv.Index(j).Addr().Interface(), "    "); err != nil {
				return err
			}
		}
		bw.WriteString("\n  ]")
	}
	if first {
		bw.WriteString("}\n")
	} else {
		bw.WriteString("\n}\n")
	}
	return bw.Flush()
}

// appendIndent appends src, compact JSON as encoding/json writes it, to
// dst indented exactly as json.Indent would. json.Indent runs its full
// validating scanner over every byte; on a large capture's document (many
// megabytes) that took longer than encoding it.
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	newline := func(depth int) {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	depth := 0
	needIndent := false // after { or [: the indent waits, for {} and []
	for i := 0; i < len(src); i++ {
		c := src[i]
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			newline(depth)
		}
		switch c {
		case '"':
			// A string, copied as it is up to its closing quote.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(src))
			dst = append(dst, src[i:j]...)
			i = j - 1
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline(depth)
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				newline(depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
