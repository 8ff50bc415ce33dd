package codes

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The committed table is what the generator makes from the committed source.
func TestISOTableIsGenerated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "iso_table.go")
	cmd := exec.Command("go", "run", "./internal/isogen", "-in", "iso3166.tsv", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("isogen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("iso_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("iso_table.go differs from what iso3166.tsv generates: run go generate ./codes")
	}
}

func TestNormalizeISO(t *testing.T) {
	for in, want := range map[string]string{"sy": "SYR", "SYR": "SYR", " ua ": "UKR", "ukr": "UKR", "XK": "XKX", "xkx": "XKX", "GB": "GBR"} {
		if got, ok := NormalizeISO(in); !ok || got != want {
			t.Errorf("NormalizeISO(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "S", "ZZ", "ZZZ", "SYRIA", "U K"} {
		if got, ok := NormalizeISO(in); ok {
			t.Errorf("NormalizeISO(%q) = %q, want unknown", in, got)
		}
	}
	if c, ok := LookupCountry("mmr"); !ok || c.Alpha2 != "MM" || c.Name != "Myanmar" {
		t.Errorf("LookupCountry(mmr) = %+v", c)
	}
	if n := len(Countries()); n != 250 {
		t.Errorf("%d countries, want 249 ISO 3166-1 entries and Kosovo", n)
	}
}

func TestRootQuadClass(t *testing.T) {
	want := map[string]QuadClass{"01": 1, "05": 1, "06": 2, "09": 2, "10": 3, "14": 3, "15": 4, "20": 4}
	for root, q := range want {
		if got, ok := RootQuadClass(root); !ok || got != q {
			t.Errorf("RootQuadClass(%s) = %v, %v; want %v", root, got, ok, q)
		}
	}
	for _, bad := range []string{"", "00", "21", "1", "001", "1a", "30", "-1"} {
		if _, ok := RootQuadClass(bad); ok || ValidRoot(bad) {
			t.Errorf("%q accepted as a CAMEO root code", bad)
		}
	}
	names := map[string]bool{}
	for _, q := range QuadClasses {
		names[q.Name()] = true
	}
	if len(names) != 4 || !names["verbal_coop"] || !names["material_conflict"] {
		t.Errorf("QuadClass names: %v", names)
	}
}

func TestRootName(t *testing.T) {
	want := map[string]string{"01": "Make public statement", "04": "Consult", "07": "Provide aid",
		"10": "Demand", "14": "Protest", "18": "Assault", "19": "Fight", "20": "Use unconventional mass violence"}
	for root, name := range want {
		if got := RootName(root); got != name {
			t.Errorf("RootName(%s) = %q, want %q", root, got, name)
		}
	}
	seen := map[string]bool{}
	for n := 1; n <= 20; n++ {
		root := fmt.Sprintf("%02d", n)
		name := RootName(root)
		if name == "" || seen[name] {
			t.Errorf("RootName(%s) = %q: every root code has a name of its own", root, name)
		}
		seen[name] = true
	}
	for _, bad := range []string{"", "0", "00", "21", "190", "1a", "-1"} {
		if got := RootName(bad); got != "" {
			t.Errorf("RootName(%q) = %q, want empty", bad, got)
		}
	}
}
