package gdelt

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"geopol/codes"
)

// Columns is the number of tab-separated columns of a GDELT 2.0 events export row.
const Columns = 61

// Column positions (0-based) in a GDELT 2.0 events export row.
const (
	colGlobalEventID     = 0
	colSQLDate           = 1
	colActor1Code        = 5
	colActor1Name        = 6
	colActor1CountryCode = 7
	colActor2Code        = 15
	colActor2Name        = 16
	colActor2CountryCode = 17
	colEventCode         = 26
	colEventBaseCode     = 27
	colEventRootCode     = 28
	colQuadClass         = 29
	colGoldstein         = 30
	colNumMentions       = 31
	colNumSources        = 32
	colNumArticles       = 33
	colAvgTone           = 34
	colActionGeoFullName = 52
	colActionGeoCountry  = 53
	colActionGeoLat      = 56
	colActionGeoLong     = 57
	colDateAdded         = 59
	colSourceURL         = 60
)

// maxLine bounds one row; real rows are under 2 KiB, so longer ones are garbage.
const maxLine = 64 << 10

// RowError is one rejected row: its 1-based line number and why.
type RowError struct {
	Line   int
	Reason string
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Parser reads an export stream row by row in constant memory. Each row is either an
// Event or a RowError; a bad row never stops the stream.
type Parser struct {
	sc      *bufio.Scanner
	line    int
	fields  [Columns][]byte
	err     error
	headers int
	seenRow bool // a non-blank line was read: a header may only come first
}

// NewParser reads GDELT 2.0 export rows from r as GDELT writes them (UTF-8, LF) and as
// other tools re-save them: CRLF or CR line ends; a UTF-8 byte order mark, or UTF-16
// (LE or BE) with its byte order mark; a header line (its first field GLOBALEVENTID),
// which is skipped; fields in double quotes ("" inside for a quote), which are unquoted.
// The columns must still be GDELT's 61, tab-separated.
func NewParser(r io.Reader) *Parser {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	switch bom, _ := br.Peek(3); {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}), bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		// BOMOverride reads the byte order mark and decodes UTF-16 in that order.
		src = transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	}
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 16<<10), maxLine)
	sc.Split(splitLines)
	return &Parser{sc: sc}
}

// splitLines is bufio.ScanLines that also ends a line at a lone CR (classic Mac OS and
// some spreadsheet exports), without the line end in the token.
func splitLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		cr := bytes.IndexByte(data[:i], '\r')
		if cr < 0 {
			return i + 1, data[:i], nil
		}
		if cr == i-1 {
			return i + 1, data[:cr], nil // CRLF
		}
		return cr + 1, data[:cr], nil // a lone CR before the next LF
	}
	if cr := bytes.IndexByte(data, '\r'); cr >= 0 && (cr < len(data)-1 || atEOF) {
		return cr + 1, data[:cr], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// Headers is how many header lines were skipped.
func (p *Parser) Headers() int { return p.headers }

// Next parses the next row into ev. It returns false at the end of the stream or on a
// read error (see Err). rowErr is non-nil when the row was rejected; ev is then unusable.
func (p *Parser) Next(ev *Event) (ok bool, rowErr *RowError) {
	for {
		if !p.sc.Scan() {
			p.err = p.sc.Err()
			return false, nil
		}
		p.line++
		line := p.sc.Bytes()
		if len(line) == 0 {
			continue // a trailing blank line is not a row
		}
		first := !p.seenRow
		p.seenRow = true
		if first && isHeader(line) {
			p.headers++
			continue
		}
		if reason := p.parse(line, ev); reason != "" {
			return true, &RowError{Line: p.line, Reason: reason}
		}
		return true, nil
	}
}

// Err is the read error that ended the stream, if any (bufio.ErrTooLong for a line
// beyond 64 KiB: the file is not an export).
func (p *Parser) Err() error { return p.err }

// Line is the number of the last line read.
func (p *Parser) Line() int { return p.line }

// isHeader reports whether line is a header: its first field names GLOBALEVENTID.
func isHeader(line []byte) bool {
	first, _, _ := bytes.Cut(line, []byte{'\t'})
	first = bytes.Trim(first, `"' `)
	return bytes.EqualFold(first, []byte("GLOBALEVENTID"))
}

func (p *Parser) parse(line []byte, ev *Event) string {
	if bytes.IndexByte(line, '"') >= 0 {
		return p.parseQuoted(line, ev)
	}
	n := 0
	for n < Columns {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			p.fields[n] = line
			n++
			line = nil
			break
		}
		p.fields[n] = line[:i]
		line = line[i+1:]
		n++
	}
	if n != Columns || line != nil {
		count := n
		if line != nil {
			count += bytes.Count(line, []byte{'\t'}) + 1
		}
		return fmt.Sprintf("has %d columns, want %d", count, Columns)
	}
	return p.fill(ev)
}

// parseQuoted splits a line some of whose fields are in double quotes: a field that
// starts with " runs to the next " that is followed by a tab or the line's end, with ""
// inside standing for one quote. A quote inside an unquoted field is kept as it is.
func (p *Parser) parseQuoted(line []byte, ev *Event) string {
	n := 0
	for {
		var field []byte
		if len(line) > 0 && line[0] == '"' {
			var buf []byte
			i := 1
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						buf = append(buf, '"')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				buf = append(buf, c)
				i++
			}
			if !closed {
				return fmt.Sprintf("field %d has an unterminated quote", n+1)
			}
			if i < len(line) && line[i] != '\t' {
				return fmt.Sprintf("field %d has text after its closing quote", n+1)
			}
			if buf == nil {
				buf = []byte{}
			}
			field, line = buf, line[i:]
		} else {
			i := bytes.IndexByte(line, '\t')
			if i < 0 {
				i = len(line)
			}
			field, line = line[:i], line[i:]
		}
		if n < Columns {
			p.fields[n] = field
		}
		n++
		if len(line) == 0 {
			break
		}
		line = line[1:] // the tab
	}
	if n != Columns {
		return fmt.Sprintf("has %d columns, want %d", n, Columns)
	}
	return p.fill(ev)
}

// fill builds ev from the split fields, or says why the row is not an event.
func (p *Parser) fill(ev *Event) string {
	f := &p.fields
	var bad string
	num := func(col int, name string) int64 {
		v, err := strconv.ParseInt(string(f[col]), 10, 64)
		if err != nil && bad == "" {
			bad = fmt.Sprintf("%s %q is not a whole number", name, clip(f[col]))
		}
		return v
	}
	flt := func(col int, name string) float64 {
		v, err := strconv.ParseFloat(string(f[col]), 64)
		if err != nil && bad == "" {
			bad = fmt.Sprintf("%s %q is not a number", name, clip(f[col]))
		}
		return v
	}
	optFlt := func(col int, name string) *float64 {
		if len(f[col]) == 0 {
			return nil
		}
		v := flt(col, name)
		return &v
	}
	*ev = Event{
		GlobalEventID:        num(colGlobalEventID, "GLOBALEVENTID"),
		SQLDate:              int(num(colSQLDate, "SQLDATE")),
		DateAdded:            num(colDateAdded, "DATEADDED"),
		Actor1Code:           upper(f[colActor1Code]),
		Actor1Name:           string(f[colActor1Name]),
		Actor1CountryCode:    upper(f[colActor1CountryCode]),
		Actor2Code:           upper(f[colActor2Code]),
		Actor2Name:           string(f[colActor2Name]),
		Actor2CountryCode:    upper(f[colActor2CountryCode]),
		EventCode:            string(f[colEventCode]),
		EventBaseCode:        string(f[colEventBaseCode]),
		EventRootCode:        string(f[colEventRootCode]),
		QuadClass:            int(num(colQuadClass, "QuadClass")),
		Goldstein:            flt(colGoldstein, "GoldsteinScale"),
		NumMentions:          int(num(colNumMentions, "NumMentions")),
		NumSources:           int(num(colNumSources, "NumSources")),
		NumArticles:          int(num(colNumArticles, "NumArticles")),
		AvgTone:              flt(colAvgTone, "AvgTone"),
		ActionGeoFullName:    string(f[colActionGeoFullName]),
		ActionGeoCountryFIPS: upper(f[colActionGeoCountry]),
		ActionGeoLat:         optFlt(colActionGeoLat, "ActionGeo_Lat"),
		ActionGeoLong:        optFlt(colActionGeoLong, "ActionGeo_Long"),
		SourceURL:            string(f[colSourceURL]),
	}
	switch {
	case bad != "":
		return bad
	case ev.GlobalEventID <= 0:
		return "GLOBALEVENTID must be positive"
	case ev.QuadClass < 1 || ev.QuadClass > 4:
		return fmt.Sprintf("QuadClass %d is not 1 to 4", ev.QuadClass)
	case len(ev.EventRootCode) != 2:
		return fmt.Sprintf("EventRootCode %q is not two digits", clip(f[colEventRootCode]))
	}
	ev.ActionGeoCountryISO, _ = codes.FIPSToISO(ev.ActionGeoCountryFIPS)
	return ""
}

// upper returns an ASCII upper-case copy: CAMEO codes are upper case, but some
// producers of export-format files write them in lower case.
func upper(b []byte) string {
	for _, c := range b {
		if 'a' <= c && c <= 'z' {
			return string(bytes.ToUpper(b))
		}
	}
	return string(b)
}

// clip shortens a field for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
