// Package packetview presents decoded packets: the one-line summary of
// `ipsecpcap decode`, the payload tree of `-v`, and the JSON object per packet
// of `--json`.
//
// It owns how a decoded packet reads, never what it means: it formats what
// package decode produced and parses nothing. The JSON field names are a
// contract with users' scripts: add fields, never rename them.
package packetview

import (
	"bytes"
	"encoding/json"
)

// Obj is a JSON object whose keys keep their order, so the JSON and the -v
// tree show fields in the same, readable order.
type Obj []KV

// KV is one field of an Obj.
type KV struct {
	K string
	V any
}

// add appends a field.
func (o *Obj) add(k string, v any) { *o = append(*o, KV{k, v}) }

// MarshalJSON writes the fields in order.
func (o Obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.K)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(kv.V)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Get returns the value of the first field named k.
func (o Obj) Get(k string) (any, bool) {
	for _, kv := range o {
		if kv.K == k {
			return kv.V, true
		}
	}
	return nil, false
}
