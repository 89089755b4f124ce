package esp

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Header
		wantErr bool
	}{
		{"minimal", []byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1}, Header{SPI: 0x12345678, Seq: 1}, false},
		{"with payload", []byte{0xf4, 0xdc, 0x0a, 0xe5, 0, 0, 1, 0, 9, 9, 9}, Header{SPI: 0xf4dc0ae5, Seq: 256, PayloadLen: 3}, false},
		{"short", []byte{1, 2, 3}, Header{NoSeq: true}, true},
		{"cut after SPI", []byte{0xc0, 0xf7, 0xd4, 0xc3, 0}, Header{SPI: 0xc0f7d4c3, NoSeq: true}, true},
		{"spi zero", []byte{0, 0, 0, 0, 0, 0, 0, 1}, Header{Seq: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		in   []byte
		want Kind
	}{
		{[]byte{0xff}, KindKeepalive},
		{[]byte{0, 0, 0, 0, 1, 2}, KindIKE},
		{[]byte{0, 0, 0, 1, 0, 0, 0, 1}, KindESP},
		{[]byte{0xff, 0xff}, KindInvalid},
		{nil, KindInvalid},
	}
	for _, tt := range tests {
		if got := Classify(tt.in); got != tt.want {
			t.Errorf("Classify(% x) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1})
	f.Add([]byte{0xff})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err == nil && h.PayloadLen != len(b)-HeaderLen {
			t.Fatalf("PayloadLen %d for %d bytes", h.PayloadLen, len(b))
		}
		_ = Classify(b)
	})
}
