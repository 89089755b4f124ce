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
	var scratch bytes.Buffer
	// value writes one value, indented for the given depth.
	value := func(x any, prefix string) error {
		b, err := json.Marshal(x)
		if err != nil {
			return err
		}
		scratch.Reset()
		if err := json.Indent(&scratch, b, prefix, "  "); err != nil {
			return err
		}
		_, err = bw.Write(scratch.Bytes())
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
			if err := value(fv.Index(j).Interface(), "    "); err != nil {
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
