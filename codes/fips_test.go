package codes

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"geopol/store/storetest"
)

const (
	fipsExportColumns = 61
	fipsColEventID    = 0
	fipsColActor1Geo  = 37
	fipsColActor2Geo  = 45
	fipsColActionGeo  = 53
)

// fipsLeftOut lists FIPS codes GDELT uses that deliberately have no ISO
// mapping: oceans, no man's land, undersea features, undesignated sovereignty
// and disputed islands.
var fipsLeftOut = []string{"NM", "OS", "PF", "PG", "PJ", "UF", "UU"}

// fipsLoadISOAlpha3 returns alpha-3 -> name from this package's own ISO 3166-1 table,
// the one forecasts are validated against.
func fipsLoadISOAlpha3(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range Countries() {
		out[c.Alpha3] = c.Name
	}
	if len(out) < 240 {
		t.Fatalf("the ISO table lists only %d countries", len(out))
	}
	return out
}

// fipsReadExport returns the rows of the sample export, each split into its
// tab-separated columns.
func fipsReadExport(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(storetest.GDELTSample(t, false))
	if err != nil {
		t.Fatalf("open sample export: %v", err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for line := 1; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != fipsExportColumns {
			t.Fatalf("line %d: %d columns, want %d", line, len(cols), fipsExportColumns)
		}
		rows = append(rows, cols)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read sample export: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("sample export has no rows")
	}
	return rows
}

func TestFIPSValuesAreISOAlpha3(t *testing.T) {
	iso := fipsLoadISOAlpha3(t)
	for _, fips := range slices.Sorted(maps.Keys(fipsToISO)) {
		v := fipsToISO[fips]
		if _, ok := iso[v]; !ok {
			t.Errorf("FIPS %s -> %q: not an ISO 3166-1 alpha-3 code", fips, v)
		}
	}
}

func TestFIPSCoversEveryISOCountry(t *testing.T) {
	// Every ISO country should be reachable from some FIPS code, except those
	// FIPS 10-4 folds into another entity: Aland is part of Finland (FI), and
	// Bonaire, Sint Eustatius and Saba are part of the Netherlands (NL).
	notInFIPS := map[string]bool{"ALA": true, "BES": true}
	iso := fipsLoadISOAlpha3(t)
	reached := map[string]bool{}
	for _, v := range fipsToISO {
		reached[v] = true
	}
	for a3, name := range iso {
		if !reached[a3] && !notInFIPS[a3] {
			t.Errorf("ISO %s (%s) has no FIPS code mapping to it", a3, name)
		}
	}
}

func TestFIPSSharedTargets(t *testing.T) {
	// Several FIPS codes may share one ISO code only where that is intended;
	// anything else is most likely a typing slip in the table.
	allowed := map[string][]string{
		"ATF": {"BS", "EU", "FS", "GO", "JU", "TE"},
		"AUS": {"AS", "AT", "CR"},
		"FRA": {"FR", "IP"},
		"GBR": {"AX", "DX", "UK"},
		"NLD": {"NL", "NT"},
		"PSE": {"GZ", "WE"},
		"SJM": {"JN", "SV"},
		"SRB": {"RI", "YI"},
		"UMI": {"BQ", "DQ", "FQ", "HQ", "JQ", "KQ", "LQ", "MQ", "WQ"},
	}
	byISO := map[string][]string{}
	for _, fips := range slices.Sorted(maps.Keys(fipsToISO)) {
		byISO[fipsToISO[fips]] = append(byISO[fipsToISO[fips]], fips)
	}
	for iso, codes := range byISO {
		if len(codes) == 1 {
			continue
		}
		if want := allowed[iso]; strings.Join(codes, ",") != strings.Join(want, ",") {
			t.Errorf("ISO %s is the target of %v, want %v", iso, codes, want)
		}
	}
}

func TestFIPSKnownPairs(t *testing.T) {
	cases := []struct{ fips, iso string }{
		// Examples from the GDELT documentation and common codes.
		{"US", "USA"}, {"UP", "UKR"}, {"RS", "RUS"}, {"UK", "GBR"}, {"SY", "SYR"},
		{"BM", "MMR"}, {"GM", "DEU"}, {"SF", "ZAF"}, {"KS", "KOR"}, {"KN", "PRK"},
		{"IS", "ISR"}, {"WE", "PSE"}, {"GZ", "PSE"}, {"RI", "SRB"}, {"MJ", "MNE"},
		{"KV", "XKX"}, {"OD", "SSD"}, {"TT", "TLS"}, {"FR", "FRA"}, {"IN", "IND"},
		{"TW", "TWN"}, {"HK", "HKG"}, {"MC", "MAC"}, {"WI", "ESH"}, {"EZ", "CZE"},
		{"LO", "SVK"}, {"EI", "IRL"}, {"IC", "ISL"}, {"DA", "DNK"}, {"AE", "ARE"},
		// Territories.
		{"AQ", "ASM"}, {"GQ", "GUM"}, {"RQ", "PRI"}, {"VQ", "VIR"}, {"VI", "VGB"},
		{"AT", "AUS"}, {"CR", "AUS"}, {"IP", "FRA"}, {"BQ", "UMI"}, {"WQ", "UMI"},
		{"BD", "BMU"}, {"GK", "GGY"}, {"JE", "JEY"}, {"IM", "IMN"}, {"UC", "CUW"},
		{"NN", "SXM"}, {"AY", "ATA"}, {"FS", "ATF"}, {"SV", "SJM"}, {"YI", "SRB"},
		// Traps: FIPS codes that are a different country's ISO alpha-2.
		{"AU", "AUT"}, {"AS", "AUS"}, {"SP", "ESP"}, {"SZ", "CHE"}, {"SW", "SWE"},
		{"CH", "CHN"}, {"CI", "CHL"}, {"CS", "CRI"}, {"CE", "LKA"}, {"NI", "NGA"},
		{"NG", "NER"}, {"BG", "BGD"}, {"BU", "BGR"}, {"BO", "BLR"}, {"BL", "BOL"},
		{"BH", "BLZ"}, {"BA", "BHR"}, {"BF", "BHS"}, {"CF", "COG"}, {"CG", "COD"},
		{"GA", "GMB"}, {"GB", "GAB"}, {"GG", "GEO"}, {"GJ", "GRD"}, {"IZ", "IRQ"},
		{"IR", "IRN"}, {"JA", "JPN"}, {"KU", "KWT"}, {"LE", "LBN"}, {"LI", "LBR"},
		{"LS", "LIE"}, {"LT", "LSO"}, {"LH", "LTU"}, {"LG", "LVA"}, {"EN", "EST"},
		{"MU", "OMN"}, {"MO", "MAR"}, {"MN", "MCO"}, {"MG", "MNG"}, {"MA", "MDG"},
		{"MI", "MWI"}, {"MY", "MYS"}, {"MP", "MUS"}, {"MR", "MRT"}, {"PO", "PRT"},
		{"PL", "POL"}, {"PU", "GNB"}, {"PP", "PNG"}, {"RP", "PHL"}, {"SN", "SGP"},
		{"SG", "SEN"}, {"SU", "SDN"}, {"TU", "TUR"}, {"TX", "TKM"}, {"TI", "TJK"},
		{"TO", "TGO"}, {"TN", "TON"}, {"TS", "TUN"}, {"UV", "BFA"}, {"VM", "VNM"},
		{"YM", "YEM"}, {"ZA", "ZMB"}, {"ZI", "ZWE"}, {"GV", "GIN"}, {"EK", "GNQ"},
		{"AG", "DZA"}, {"AJ", "AZE"}, {"AN", "AND"}, {"AC", "ATG"}, {"BK", "BIH"},
		{"BN", "BEN"}, {"BP", "SLB"}, {"BX", "BRN"}, {"BY", "BDI"}, {"CB", "KHM"},
		{"CD", "TCD"}, {"CT", "CAF"}, {"CN", "COM"}, {"DO", "DMA"}, {"HO", "HND"},
		{"IV", "CIV"}, {"KR", "KIR"}, {"NH", "VUT"}, {"NS", "SUR"}, {"NU", "NIC"},
		{"PA", "PRY"}, {"PS", "PLW"}, {"RM", "MHL"}, {"SC", "KNA"}, {"ST", "LCA"},
		{"TD", "TTO"}, {"TP", "STP"}, {"WA", "NAM"}, {"WZ", "SWZ"}, {"KT", "CXR"},
	}
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		got, ok := FIPSToISO(c.fips)
		if !ok || got != c.iso {
			t.Errorf("FIPSToISO(%q) = %q, %v; want %q, true", c.fips, got, ok, c.iso)
		}
	}
}

func TestFIPSToISONormalises(t *testing.T) {
	for _, in := range []string{"up", " UP", "Up ", "\tuP\n"} {
		if got, ok := FIPSToISO(in); !ok || got != "UKR" {
			t.Errorf("FIPSToISO(%q) = %q, %v; want UKR, true", in, got, ok)
		}
	}
	for _, in := range []string{"", "  ", "ZZ", "USA", "U"} {
		if got, ok := FIPSToISO(in); ok || got != "" {
			t.Errorf("FIPSToISO(%q) = %q, %v; want \"\", false", in, got, ok)
		}
	}
	for _, in := range fipsLeftOut {
		if got, ok := FIPSToISO(in); ok {
			t.Errorf("FIPSToISO(%q) = %q, true; the code is meant to stay unmapped", in, got)
		}
	}
}

func TestFIPSTableShape(t *testing.T) {
	if len(fipsToISO) < 250 || len(fipsToISO) > 270 {
		t.Errorf("table has %d codes, want the full FIPS 10-4 list (250-270)", len(fipsToISO))
	}
	for c, v := range fipsToISO {
		if len(c) != 2 || strings.ToUpper(c) != c {
			t.Errorf("malformed FIPS key %q", c)
		}
		if len(v) != 3 || strings.ToUpper(v) != v {
			t.Errorf("malformed ISO value %q for %s", v, c)
		}
	}
}

func TestFIPSSampleExportCodesMap(t *testing.T) {
	rows := fipsReadExport(t)
	leftOut := map[string]bool{}
	for _, c := range fipsLeftOut {
		leftOut[c] = true
	}
	counts := map[string]int{}
	for i, cols := range rows {
		for _, col := range []int{fipsColActor1Geo, fipsColActor2Geo, fipsColActionGeo} {
			code := cols[col]
			if code == "" {
				continue
			}
			counts[code]++
			if leftOut[code] {
				continue
			}
			if _, ok := FIPSToISO(code); !ok {
				t.Errorf("row %d (event %s) column %d: FIPS %q has no ISO mapping",
					i+1, cols[fipsColEventID], col, code)
			}
		}
	}
	codes := make([]string, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if counts[codes[i]] != counts[codes[j]] {
			return counts[codes[i]] > counts[codes[j]]
		}
		return codes[i] < codes[j]
	})
	var b strings.Builder
	for _, c := range codes {
		iso, ok := FIPSToISO(c)
		if !ok {
			iso = "-"
		}
		fmt.Fprintf(&b, " %s(%s)=%d", c, iso, counts[c])
	}
	t.Logf("%d rows, %d distinct geo country codes:%s", len(rows), len(codes), b.String())
	if len(codes) < 50 {
		t.Errorf("only %d distinct codes in the sample; columns misread?", len(codes))
	}
}

func TestFIPSSampleExportKnownRows(t *testing.T) {
	want := map[string]struct{ fips, iso string }{
		"881990960": {"SY", "SYR"},
		"881991770": {"UP", "UKR"},
		"881992170": {"BM", "MMR"},
	}
	seen := map[string]bool{}
	for _, cols := range fipsReadExport(t) {
		id := cols[fipsColEventID]
		w, ok := want[id]
		if !ok {
			continue
		}
		seen[id] = true
		fips := cols[fipsColActionGeo]
		if fips != w.fips {
			t.Errorf("event %s: ActionGeo_CountryCode %q, want %q", id, fips, w.fips)
		}
		if got, ok := FIPSToISO(fips); !ok || got != w.iso {
			t.Errorf("event %s: FIPSToISO(%q) = %q, %v; want %q", id, fips, got, ok, w.iso)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("event %s not found in the sample export", id)
		}
	}
}
