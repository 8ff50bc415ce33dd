package forecast

import (
	"math"
	"testing"
	"time"

	"geopol/gdelt"
)

func code(s string) *string { return &s }

var (
	now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	day = 24 * time.Hour
	far = now.Add(90 * day)
)

// Hand-computed cases of the forecast part of the documented formula (no events, so
// blended = forecast risk).
func TestForecastRisk(t *testing.T) {
	// One forecast created now: weight 1, severity 1.0 (root 19), p 0.6 -> 60.
	one := []RiskInput{{ID: "a", Question: "q1", Probability: 0.6, CameoRootCode: code("19"), CreatedAt: now, ExpiresAt: far}}
	if r := Summarize("SYR", one, nil, now, now); r.ForecastRisk == nil || *r.ForecastRisk != 60 || r.RiskScore != 60 || r.BaselineRisk != 0 {
		t.Errorf("single forecast: %+v, want forecast 60, baseline 0, score 60", r)
	}

	// Two forecasts: a (now, root 19, p 0.6, w 1) and b (14 days old = one half-life,
	// root 04 -> severity 0.25, p 0.8, w 0.5).
	// risk = 100 (1*1.0*0.6 + 0.5*0.25*0.8) / (1 + 0.5) = 100 * 0.7 / 1.5 = 46.67
	two := append(one, RiskInput{ID: "b", Question: "q2", Probability: 0.8, CameoRootCode: code("04"), CreatedAt: now.Add(-14 * day), ExpiresAt: far})
	r := Summarize("SYR", two, nil, now, now)
	if r.RiskScore != 46.67 || r.BlendedRisk != 46.67 || r.ForecastCount != 2 || *r.TopForecast != "q2" || *r.TopProbability != 0.8 ||
		!r.LastUpdated.Equal(now) || r.ISOCode != "SY" || r.Disputed {
		t.Errorf("two forecasts: %+v", r)
	}
	// A week ago only b existed, aged 7 days: risk = 100*0.25*0.8 = 20. Now 46.67: rising.
	if r.Trend != "rising" || r.PreviousRisk != 20 {
		t.Errorf("trend = %s from %v, want rising from 20", r.Trend, r.PreviousRisk)
	}

	// Falling: a week ago a severe forecast that has since expired.
	fall := []RiskInput{
		{ID: "c", Question: "old", Probability: 0.9, CameoRootCode: code("20"), CreatedAt: now.Add(-10 * day), ExpiresAt: now.Add(-day)},
		{ID: "d", Question: "new", Probability: 0.4, CameoRootCode: code("12"), CreatedAt: now.Add(-10 * day), ExpiresAt: far},
	}
	// Now: only d -> 100*0.7*0.4 = 28. A week ago (both 3 days old, equal weights):
	// 100 (0.9*1.0 + 0.4*0.7)/2 = 59. Change -31: falling.
	if r := Summarize("UKR", fall, nil, now, now); r.RiskScore != 28 || r.Trend != "falling" || r.ForecastCount != 1 {
		t.Errorf("falling case: %+v", r)
	}

	// Deadband: a change of exactly 5 points is stable, just above it is not. An uncoded
	// forecast (severity 0.5) alone scores 100 * p/2, and for p = 0.1 and 0.2 these are
	// exactly 5 and 10 in binary floating point, so the changes are exactly +5 and -5.
	threeDays, tenDays := now.Add(-3*day), now.Add(-10*day)
	for _, c := range []struct {
		name string
		fs   []RiskInput
		want string
	}{
		{"+5", []RiskInput{{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far}}, "stable"},
		{"+5 and a little", []RiskInput{{Probability: 0.1000001, CreatedAt: threeDays, ExpiresAt: far}}, "rising"},
		{"-5", []RiskInput{
			{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far},
			{Probability: 0.2, CreatedAt: tenDays, ExpiresAt: now.Add(-2 * day)}}, "stable"},
		{"-5 and a little", []RiskInput{
			{Probability: 0.1, CreatedAt: threeDays, ExpiresAt: far},
			{Probability: 0.2000001, CreatedAt: tenDays, ExpiresAt: now.Add(-2 * day)}}, "falling"},
	} {
		if r := Summarize("FRA", c.fs, nil, now, now); r.Trend != c.want {
			t.Errorf("change %s: trend %q (%+v), want %s", c.name, r.Trend, r, c.want)
		}
	}
}

// Hand-computed baseline from event-store activity, alone and blended with a forecast.
func TestBaselineAndBlend(t *testing.T) {
	asOf := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	days := []gdelt.CountryDay{
		// 10 events today, each Goldstein -5 (intensity 0.5): weight 1.
		{CountryISO: "XKX", Day: asOf, Published: asOf, Events: 10, Conflict: 5, NewestAdded: asOf.Add(15 * time.Minute)},
		// 20 cooperative events 90 days ago (one half-life): weight 0.5, intensity 0.
		{CountryISO: "XKX", Day: asOf.Add(-90 * day), Published: asOf.Add(-90 * day), Events: 20, Conflict: 0, NewestAdded: asOf.Add(-90 * day)},
	}
	// N = 10 + 0.5*20 = 20, S = 5, baseline = 100 * (5/20) * (1 - e^(-20/50)) = 8.2420
	wantBase := 100 * 0.25 * (1 - math.Exp(-0.4))
	r := Summarize("XKX", nil, days, now, asOf)
	if r.BaselineRisk != round2(wantBase) || r.BaselineRisk != 8.24 || r.ForecastRisk != nil || r.RiskScore != 8.24 ||
		r.TopForecast != nil || r.TopProbability != nil || r.ForecastCount != 0 {
		t.Errorf("baseline only: %+v, want 8.24", r)
	}
	if r.ISOCode != "XK" || !r.Disputed || !r.LastUpdated.Equal(asOf.Add(15*time.Minute)) {
		t.Errorf("code, disputed or last_updated: %+v", r)
	}
	// A week before asOf only the old group was published: N = 20 w, S = 0 -> 0. 8.24 - 0 > 5.
	if r.PreviousRisk != 0 || r.Trend != "rising" {
		t.Errorf("previous %v, trend %s; want 0, rising", r.PreviousRisk, r.Trend)
	}

	// With a forecast of risk 60 (root 19, p 0.6, created now): 0.7*60 + 0.3*8.2420 = 44.47.
	fs := []RiskInput{{Question: "q", Probability: 0.6, CameoRootCode: code("19"), CreatedAt: now, ExpiresAt: far}}
	r = Summarize("XKX", fs, days, now, asOf)
	if want := round2(0.7*60 + 0.3*wantBase); r.BlendedRisk != want || want != 44.47 || r.RiskScore != want || *r.ForecastRisk != 60 {
		t.Errorf("blend: %+v, want 44.47", r)
	}
	if !r.LastUpdated.Equal(now) {
		t.Errorf("last_updated %v, want the forecast's creation %v", r.LastUpdated, now)
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

// Every country with an active forecast or with events is listed, riskiest first;
// expired-only countries and codes outside ISO are not.
func TestSummarizeAll(t *testing.T) {
	far := now.Add(time.Hour)
	out := SummarizeAll([]RiskInput{
		{CountryISO: "AUT", Probability: 0.1, CreatedAt: now, ExpiresAt: far},
		{CountryISO: "BEL", Probability: 0.9, CreatedAt: now, ExpiresAt: far},
		{CountryISO: "CAN", Probability: 0.9, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
	}, []gdelt.CountryDay{
		{CountryISO: "DNK", Day: now, Published: now, Events: 100, Conflict: 100},
	}, now, now)
	var got []string
	for _, r := range out {
		got = append(got, r.ISOCode)
	}
	// DNK: 100 * 1 * (1 - e^-2) = 86.47; BEL 45; AUT 5.
	if len(out) != 3 || got[0] != "DK" || got[1] != "BE" || got[2] != "AT" || out[0].RiskScore != 86.47 {
		t.Fatalf("%v %+v", got, out)
	}
}
