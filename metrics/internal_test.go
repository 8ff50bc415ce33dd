package metrics

import "testing"

func TestBoundCategories(t *testing.T) {
	var cats []categoryScore
	for i, name := range []string{"a", "b", "other", "c", "d"} {
		cats = append(cats, categoryScore{Category: name, N: 10 - i, Brier: float64(i) / 10})
	}
	got := boundCategories(cats, 3)
	if len(got) != 3 || got[0].Category != "a" || got[1].Category != "b" || got[2].Category != "other" {
		t.Fatalf("bounded: %+v", got)
	}
	// other pools the real "other" (n 8, 0.2), c (7, 0.3) and d (6, 0.4).
	if got[2].N != 21 || got[2].Brier < 0.29047 || got[2].Brier > 0.29048 {
		t.Errorf("pooled: %+v", got[2])
	}
	if n := len(boundCategories(cats[:2], 3)); n != 2 {
		t.Errorf("under the bound: %d categories", n)
	}
}

func TestCacheKind(t *testing.T) {
	for key, want := range map[string]string{
		"v2:forecast:0b0e": "forecast", "gen:global": "gen", "apikey:abc": "apikey", "v2:list:country:SYR:x": "list",
		"somethingelse:1": "other", "": "other", "v2:": "other", "vx:forecast": "other",
	} {
		if got := CacheKind(key); got != want {
			t.Errorf("CacheKind(%q) = %q, want %q", key, got, want)
		}
	}
}
