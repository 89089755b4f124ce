package decode

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// fillAll sets every field of v (a struct) to something not zero, so a
// field reusedPacket forgets to reset shows up, including fields added
// to Packet later.
func fillAll(t *testing.T, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(7)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(7)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Struct:
			switch f.Interface().(type) {
			case time.Time:
				f.Set(reflect.ValueOf(time.Unix(7, 7)))
			case netip.AddrPort:
				f.Set(reflect.ValueOf(netip.MustParseAddrPort("192.0.2.7:7")))
			default:
				fillAll(t, f)
			}
		default:
			t.Fatalf("fillAll: field %s of kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// The reused ESP packet is the packet a fresh decoder builds, whatever the
// packet before it left in it.
func TestReusedPacketIsFresh(t *testing.T) {
	frames := map[string][]byte{
		"esp":        ethIPv4(50, append([]byte{0, 0, 0xab, 0xcd, 0, 0, 0, 5}, make([]byte, 40)...)),
		"esp in udp": ethIPv4UDP(4500, 4500, append([]byte{0, 0, 0xab, 0xcd, 0, 0, 0, 5}, make([]byte, 40)...)),
		"keepalive":  ethIPv4UDP(4500, 4500, []byte{0xff}),
	}
	for name, data := range frames {
		rec := &capture.Record{Frame: 3, Time: time.Unix(100, 5).UTC(), LinkType: capture.LinkTypeEthernet, Data: data, OrigLen: len(data)}
		fresh, err := NewDecoder(Config{}).Decode(rec)
		if err != nil || fresh == nil {
			t.Fatalf("%s: %v, %v", name, fresh, err)
		}
		d := NewDecoder(Config{})
		d.ReusePackets(true)
		fillAll(t, reflect.ValueOf(&d.spare).Elem())
		got, err := d.Decode(rec)
		if err != nil || got != &d.spare {
			t.Fatalf("%s: not the spare packet (%v)", name, err)
		}
		if !reflect.DeepEqual(got, fresh) {
			t.Errorf("%s: reused packet\n%+v\nfresh\n%+v", name, *got, *fresh)
		}
	}
}
