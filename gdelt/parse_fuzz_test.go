package gdelt_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"geopol/gdelt"
	"geopol/store/storetest"
)

// FuzzParseRows feeds arbitrary export text to the row parser: it never panics, every
// non-blank line is either one event or one reported row error (until a read error such
// as an overlong line ends the stream), and every event has the invariants the store and
// the API rely on.
func FuzzParseRows(f *testing.F) {
	b, err := os.ReadFile(storetest.GDELTSample(f, false))
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	for _, l := range lines[:5] {
		f.Add([]byte(l))
	}
	row := strings.TrimRight(lines[0], "\r\n")
	cols := strings.Split(row, "\t")
	with := func(col int, v string) []byte {
		c := append([]string(nil), cols...)
		c[col] = v
		return []byte(strings.Join(c, "\t"))
	}
	for _, s := range [][]byte{
		with(0, "-1"), with(0, "99999999999999999999"), with(29, "5"), with(28, "1"), with(30, "NaN"), with(30, "Inf"),
		with(6, "NAME\x00WITH NUL"), with(6, "\xff\xfe"), with(56, ""), with(56, "1e400"), with(1, "20190230"),
		[]byte(row + "\r\n" + row + "\n\n"), []byte(row + "\textra"), []byte(strings.Join(cols[:60], "\t")), {}, []byte("\n\n\r\n"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := gdelt.NewParser(bytes.NewReader(data))
		var ev gdelt.Event
		events, rowErrs := 0, 0
		for {
			ok, rowErr := p.Next(&ev)
			if !ok {
				break
			}
			if rowErr != nil {
				if rowErr.Reason == "" || rowErr.Line < 1 || rowErr.Line > p.Line() {
					t.Fatalf("a row error without a reason or line: %+v", rowErr)
				}
				rowErrs++
				continue
			}
			events++
			if ev.GlobalEventID <= 0 || ev.QuadClass < 1 || ev.QuadClass > 4 || len(ev.EventRootCode) != 2 {
				t.Fatalf("an event breaks the parser's own rules: %+v", ev)
			}
		}
		if p.Err() != nil {
			return // an overlong line ends the stream; the ingest reports it as a failed run
		}
		if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
			return // UTF-16: the lines are counted after decoding, which this check does not do
		}
		// Lines end at LF, CRLF or a lone CR; a UTF-8 byte order mark is not text.
		text := strings.TrimPrefix(string(data), "\xEF\xBB\xBF")
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
		lines := 0
		for _, l := range strings.Split(text, "\n") {
			if l != "" {
				lines++
			}
		}
		if events+rowErrs+p.Headers() != lines || p.Headers() > 1 {
			t.Fatalf("%d events + %d row errors + %d headers for %d non-blank lines", events, rowErrs, p.Headers(), lines)
		}
	})
}
