package gdelt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"gorm.io/gorm"

	"geopol/gdelt"
)

func parseAll(t *testing.T, data []byte) (events []gdelt.Event, rowErrs []gdelt.RowError, p *gdelt.Parser) {
	t.Helper()
	p = gdelt.NewParser(bytes.NewReader(data))
	var ev gdelt.Event
	for {
		ok, rowErr := p.Next(&ev)
		if !ok {
			break
		}
		if rowErr != nil {
			rowErrs = append(rowErrs, *rowErr)
			continue
		}
		events = append(events, ev)
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	return events, rowErrs, p
}

func utf16Bytes(s string, order binary.AppendByteOrder) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2+2*len(units))
	out = order.AppendUint16(out, 0xFEFF)
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

// quoteAll writes every field in double quotes, doubling quotes inside, as spreadsheet
// programs do when they save text.
func quoteAll(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fields := strings.Split(line, "\t")
		for i, f := range fields {
			fields[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
		b.WriteString(strings.Join(fields, "\t") + "\n")
	}
	return b.String()
}

// exportVariants are the sample as other tools write it: every one must parse into the
// same 2,111 events as the original.
func exportVariants(t *testing.T) (plain string, variants map[string][]byte) {
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	plain = string(raw)
	header := strings.Join(append([]string{"GLOBALEVENTID", "SQLDATE"}, strings.Split(strings.Repeat("x\t", 58)+"SOURCEURL", "\t")...), "\t") + "\n"
	crlf := strings.ReplaceAll(plain, "\n", "\r\n")
	return plain, map[string][]byte{
		"CRLF":               []byte(crlf),
		"CR":                 []byte(strings.ReplaceAll(plain, "\n", "\r")),
		"UTF-8 BOM":          append([]byte{0xEF, 0xBB, 0xBF}, plain...),
		"UTF-16LE BOM CRLF":  utf16Bytes(crlf, binary.LittleEndian),
		"UTF-16BE BOM":       utf16Bytes(plain, binary.BigEndian),
		"header":             []byte(header + plain),
		"BOM header CRLF":    append([]byte{0xEF, 0xBB, 0xBF}, strings.ReplaceAll(header+plain, "\n", "\r\n")...),
		"quoted":             []byte(quoteAll(plain)),
		"quoted header CRLF": []byte(strings.ReplaceAll(quoteAll(header+plain), "\n", "\r\n")),
	}
}

func TestParserReadsWhatToolsWrite(t *testing.T) {
	plain, variants := exportVariants(t)
	want, errs, _ := parseAll(t, []byte(plain))
	if len(want) != 2111 || len(errs) != 0 {
		t.Fatalf("sample: %d events, %d errors", len(want), len(errs))
	}
	for name, data := range variants {
		got, errs, p := parseAll(t, data)
		if len(errs) != 0 {
			t.Errorf("%s: row errors %v", name, errs[:min(3, len(errs))])
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d events, want %d", name, len(got), len(want))
			continue
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%s: event %d differs:\n got %+v\nwant %+v", name, i, got[i], want[i])
				break
			}
		}
		if strings.Contains(name, "header") != (p.Headers() == 1) {
			t.Errorf("%s: %d header lines skipped", name, p.Headers())
		}
	}
}

// A quoted field may hold a quote ("" inside) and a tab; a quote that never closes is a
// row error, not a lost file.
func TestParserQuotedFields(t *testing.T) {
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Split(first, "\t")
	f[6] = `"THE ""BIG"" ONE` + "\t" + `AND MORE"`
	f[60] = `"https://example.com/a""b"`
	good := strings.Join(f, "\t")
	f[60] = `"https://example.com/unclosed`
	bad := strings.Join(f, "\t")
	events, errs, _ := parseAll(t, []byte(good+"\n"+bad+"\n"))
	if len(events) != 1 || events[0].Actor1Name != "THE \"BIG\" ONE\tAND MORE" || events[0].SourceURL != `https://example.com/a"b` {
		t.Fatalf("events %+v", events)
	}
	if len(errs) != 1 || errs[0].Line != 2 || !strings.Contains(errs[0].Reason, "unterminated quote") {
		t.Fatalf("row errors %+v", errs)
	}
}

// The same variants ingest end to end on both backends without losing a row.
func TestIngestToolWrittenFiles(t *testing.T) {
	_, variants := exportVariants(t)
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		for _, name := range []string{"UTF-16LE BOM CRLF", "quoted header CRLF"} {
			path := filepath.Join(t.TempDir(), "export.CSV")
			if err := os.WriteFile(path, variants[name], 0o600); err != nil {
				t.Fatal(err)
			}
			run, err := gdelt.Ingest(ctx, db, gs, path, gdelt.Options{})
			if err != nil || run.EventsFetched != 2111 || run.ErrorMessage != nil {
				t.Fatalf("%s: %+v %v", name, run, err)
			}
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 2111 {
			t.Fatalf("%d events stored", n)
		}
	})
}
