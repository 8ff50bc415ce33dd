package gdelt_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"geopol/gdelt"
)

// craftedStore holds copies of the sample's first row with the given actor names,
// Actor1Codes and source URLs, GLOBALEVENTIDs 1, 2, 3, ... in order.
func craftedStore(t *testing.T, db *gorm.DB, gs *gdelt.Store, rows [][3]string) {
	t.Helper()
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	var out strings.Builder
	for i, r := range rows {
		f := strings.Split(first, "\t")
		f[0], f[6], f[5], f[60] = strconv.Itoa(i+1), r[0], r[1], r[2]
		f[16], f[52] = "", "" // no Actor2Name, no ActionGeo_FullName
		out.WriteString(strings.Join(f, "\t") + "\n")
	}
	path := filepath.Join(t.TempDir(), "crafted.export.CSV")
	if err := os.WriteFile(path, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if run, err := gdelt.Ingest(context.Background(), db, gs, path, gdelt.Options{}); err != nil || run.EventsNew != len(rows) {
		t.Fatalf("ingest crafted rows: %+v %v", run, err)
	}
}

// Text and Actor are substrings in any case, and LIKE's wildcards in them are literal.
func TestFindTextAndActorAreLiteralSubstrings(t *testing.T) {
	backends(t, testFindTextAndActor)
}

func testFindTextAndActor(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
	craftedStore(t, db, gs, [][3]string{
		{"FIFTY% OFF", "USAGOV", "https://example.com/a"},    // 1
		{"FIFTYX OFF", "SYRGOV", "https://example.com/b_c"},  // 2
		{"BACK\\SLASH", "GOVUSA", "https://example.com/bxc"}, // 3
		{"Évian-les-Bains", "FRA", "https://example.com/d"},  // 4
		{"genève", "CHE", "https://example.com/e"},           // 5
	})
	ids := func(q gdelt.Query) []int64 {
		t.Helper()
		q.Limit = 10
		found, err := gs.Find(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range found {
			out = append(out, e.GlobalEventID)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		q    gdelt.Query
		want []int64
	}{
		{gdelt.Query{Text: "%"}, []int64{1}},
		{gdelt.Query{Text: "fifty% off"}, []int64{1}},
		{gdelt.Query{Text: "y_ o"}, nil},
		{gdelt.Query{Text: "b_c"}, []int64{2}},
		{gdelt.Query{Text: `\`}, []int64{3}},
		{gdelt.Query{Text: `k\s`}, []int64{3}},
		{gdelt.Query{Text: "EXAMPLE.COM/B"}, []int64{2, 3}},
		{gdelt.Query{Text: "Évian"}, []int64{4}},     // as written
		{gdelt.Query{Text: "ÉVIAN-LES"}, []int64{4}}, // ASCII letters in any case
		{gdelt.Query{Text: "GENÈVE"}, []int64{5}},    // folds to the stored genève
		{gdelt.Query{Actor: "gov"}, []int64{1, 2, 3}},
		{gdelt.Query{Actor: "usa"}, []int64{1, 3}},
		{gdelt.Query{Actor: "RGO"}, []int64{2}},
		{gdelt.Query{Actor: "%"}, nil},
	} {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("Find(Text %q, Actor %q) = %v, want %v", c.q.Text, c.q.Actor, got, c.want)
		}
	}
}

func TestEventTitle(t *testing.T) {
	for _, c := range []struct {
		e    gdelt.Event
		want string
	}{
		{gdelt.Event{Actor1Name: "POLICE", EventRootCode: "19", Actor2Name: "GERMAN", ActionGeoFullName: "Berlin, Berlin, Germany"},
			"POLICE — Fight — GERMAN (Berlin, Berlin, Germany)"},
		{gdelt.Event{EventRootCode: "19", Actor2Name: "HOSPITAL", ActionGeoFullName: "Hasakeh, Al ?asakah, Syria"},
			"Fight — HOSPITAL (Hasakeh, Al ?asakah, Syria)"},
		{gdelt.Event{Actor1Name: "UNITED STATES", EventRootCode: "04"}, "UNITED STATES — Consult"},
		{gdelt.Event{EventRootCode: "14", ActionGeoFullName: "Chile"}, "Protest (Chile)"},
		{gdelt.Event{EventRootCode: "99", ActionGeoFullName: "Chile"}, "Chile"},
		{gdelt.Event{Actor1Name: " ", EventRootCode: ""}, ""},
	} {
		if got := c.e.Title(); got != c.want {
			t.Errorf("Title() = %q, want %q", got, c.want)
		}
	}
}
