package forecast

import (
	"math"
	"testing"
	"time"
)

func code(s string) *string { return &s }

// Hand-computed cases of the documented formula.
func TestRiskFormula(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	far := now.Add(90 * day)

	// One forecast created now: weight 1, severity 1.0 (root 19), p 0.6 -> 0.6.
	one := []RiskInput{{ID: "a", Question: "q1", Probability: 0.6, CameoRootCode: code("19"), CreatedAt: now, ExpiresAt: far}}
	if s, ok := riskScore(one, now); !ok || math.Abs(s-0.6) > 1e-12 {
		t.Errorf("single forecast: %v %v, want 0.6", s, ok)
	}

	// Two forecasts: a (now, root 19, p 0.6, w 1) and b (14 days old = one half-life,
	// root 04 -> severity 0.25, p 0.8, w 0.5).
	// risk = (1*1.0*0.6 + 0.5*0.25*0.8) / (1 + 0.5) = (0.6 + 0.1) / 1.5 = 0.466667
	two := append(one, RiskInput{ID: "b", Question: "q2", Probability: 0.8, CameoRootCode: code("04"), CreatedAt: now.Add(-14 * day), ExpiresAt: far})
	if s, _ := riskScore(two, now); math.Abs(s-0.7/1.5) > 1e-12 {
		t.Errorf("two forecasts: %v, want %v", s, 0.7/1.5)
	}
	sum, ok := Summarize("SYR", two, now)
	if !ok || sum.RiskScore != 0.466667 || sum.ForecastCount != 2 || sum.TopQuestion != "q2" || sum.TopProbability != 0.8 || !sum.LastUpdated.Equal(now) {
		t.Errorf("summary: %+v", sum)
	}
	// A week ago only b existed, aged 7 days: risk = 0.25*0.8 = 0.2. Now 0.4667: rising.
	if sum.Trend != "rising" {
		t.Errorf("trend = %s, want rising (0.2 -> 0.4667)", sum.Trend)
	}

	// Falling: a week ago a severe forecast that has since expired.
	fall := []RiskInput{
		{ID: "c", Question: "old", Probability: 0.9, CameoRootCode: code("20"), CreatedAt: now.Add(-10 * day), ExpiresAt: now.Add(-day)},
		{ID: "d", Question: "new", Probability: 0.4, CameoRootCode: code("12"), CreatedAt: now.Add(-10 * day), ExpiresAt: far},
	}
	// Now: only d -> 0.7*0.4 = 0.28. A week ago (both 3 days old, equal weights):
	// (0.9*1.0 + 0.4*0.7)/2 = 0.59. Change -0.31: falling.
	s, _ := Summarize("UKR", fall, now)
	if s.RiskScore != 0.28 || s.Trend != "falling" || s.ForecastCount != 1 {
		t.Errorf("falling case: %+v", s)
	}

	// Stable: same forecast both times, uncoded (severity 0.5): 0.5*0.5 = 0.25 both.
	stable := []RiskInput{{ID: "e", Question: "q", Probability: 0.5, CreatedAt: now.Add(-30 * day), ExpiresAt: far}}
	if s, _ := Summarize("MMR", stable, now); s.Trend != "stable" || s.RiskScore != 0.25 {
		t.Errorf("stable case: %+v", s)
	}

	// Deadband: a change of exactly 0.05 is stable, just above it is not. An uncoded
	// forecast (severity 0.5) alone scores p/2, and p/2 - 0 and p/2 - p are exact in
	// binary floating point for p = 0.1, so these changes are exactly +0.05 and -0.05.
	threeDays, tenDays := now.Add(-3*day), now.Add(-10*day)
	for _, c := range []struct {
		name string
		fs   []RiskInput
		want string
	}{
		{"+0.05", []RiskInput{{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far}}, "stable"},
		{"+0.05 and a little", []RiskInput{{Probability: 0.1000001, CreatedAt: threeDays, ExpiresAt: far}}, "rising"},
		{"-0.05", []RiskInput{
			{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far},
			{Probability: 0.2, CreatedAt: tenDays, ExpiresAt: now.Add(-2 * day)}}, "stable"},
		{"-0.05 and a little", []RiskInput{
			{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far},
			{Probability: 0.2000001, CreatedAt: tenDays, ExpiresAt: now.Add(-2 * day)}}, "falling"},
	} {
		if s, ok := Summarize("FRA", c.fs, now); !ok || s.Trend != c.want {
			t.Errorf("change %s: trend %q (%+v), want %s", c.name, s.Trend, s, c.want)
		}
	}
	if _, ok := Summarize("FRA", []RiskInput{{Probability: 0.5, CreatedAt: now.Add(-30 * day), ExpiresAt: now.Add(-8 * day)}}, now); ok {
		t.Error("a country with no active forecast must have no summary")
	}
}

func TestSeverityBands(t *testing.T) {
	for c, want := range map[string]float64{"01": 0.25, "05": 0.25, "06": 0.4, "09": 0.4, "10": 0.7, "14": 0.7, "15": 1, "20": 1} {
		if got := SeverityOf(code(c)); got != want {
			t.Errorf("SeverityOf(%s) = %v, want %v", c, got, want)
		}
	}
	if SeverityOf(nil) != 0.5 {
		t.Error("uncoded forecasts weigh 0.5")
	}
}

func TestSummarizeAllOrdersByRisk(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	far := now.Add(time.Hour)
	out := SummarizeAll([]RiskInput{
		{CountryISO: "AAA", Probability: 0.1, CreatedAt: now, ExpiresAt: far},
		{CountryISO: "BBB", Probability: 0.9, CreatedAt: now, ExpiresAt: far},
		{CountryISO: "CCC", Probability: 0.9, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
	}, now)
	if len(out) != 2 || out[0].ISOCode != "BBB" || out[1].ISOCode != "AAA" {
		t.Fatalf("%+v", out)
	}
}
