package calibration

import (
	"testing"
	"time"
)

// Skill against climatology, by hand: BSS = 1 - BS / (ō(1-ō)).
func TestBrierSkillScoreByHand(t *testing.T) {
	s := []Sample{{0.9, 1}, {0.2, 0}, {0.6, 0}, {0.5, 1}}
	// BS = 0.165 (TestBrierLogAccuracyByHand); ō = 0.5, BS_ref = 0.25; BSS = 1 - 0.165/0.25 = 0.34
	near(t, "climatology brier", ClimatologyBrier(s), 0.25, 1e-15)
	sc := Summarize(s)
	near(t, "bss", *sc.BrierSkillScore, 0.34, 1e-12)
	near(t, "summary climatology", *sc.ClimatologyBrier, 0.25, 1e-15)
	// ō = 0.25 over (0.1,0) (0.3,0) (0.2,0) (0.7,1): BS = (0.01+0.09+0.04+0.09)/4 = 0.0575,
	// BS_ref = 0.25·0.75 = 0.1875, BSS = 1 - 0.0575/0.1875 = 0.693333...
	s2 := []Sample{{0.1, 0}, {0.3, 0}, {0.2, 0}, {0.7, 1}}
	near(t, "bss 2", *Summarize(s2).BrierSkillScore, 1-0.0575/0.1875, 1e-12)
	// Partial outcomes: ō = 0.5 over outcomes 0.5, 0.5, 1, 0: BS_ref = (0+0+0.25+0.25)/4 = 0.125.
	near(t, "partial climatology", ClimatologyBrier([]Sample{{0, 0.5}, {0, 0.5}, {0, 1}, {0, 0}}), 0.125, 1e-15)
	// Every outcome the same: climatology makes no error, skill is undefined (null).
	same := Summarize([]Sample{{0.8, 1}, {0.6, 1}})
	if same.BrierSkillScore != nil || same.ClimatologyBrier == nil || *same.ClimatologyBrier != 0 {
		t.Errorf("all-yes: skill %v climatology %v", same.BrierSkillScore, same.ClimatologyBrier)
	}
	if empty := Summarize(nil); empty.BrierSkillScore != nil || empty.ClimatologyBrier != nil {
		t.Errorf("empty: %+v", empty)
	}
	if _, ok := SkillScore(0.1, 0); ok {
		t.Error("skill against a zero reference is defined")
	}
}

// An engine forecast is matched with the resolved baseline asking the same question
// (country, root code, SQLDATE window); the comparison is 1 - BS/BS_baseline on the
// matched questions, overall and per group.
func TestCompareToBaselineByHand(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	q := func(iso, root string, created, expires time.Time) *Question {
		return QuestionOf(&iso, &root, created, expires)
	}
	syr := q("SYR", "19", day(1), day(1).AddDate(0, 0, 30))
	// An engine forecast created later on the same day with the same horizon asks the
	// same question: SQLDATE 20250601..20250701.
	syrLater := q("SYR", "19", day(1).Add(15*time.Hour), day(1).Add(15*time.Hour).AddDate(0, 0, 30))
	if *syr != *syrLater || syr.From != 20250601 || syr.To != 20250701 {
		t.Fatalf("questions %+v %+v", syr, syrLater)
	}
	ukr := q("UKR", "18", day(1), day(1).AddDate(0, 0, 30))
	ukrOther := q("UKR", "18", day(2), day(2).AddDate(0, 0, 30))
	code19, code18 := "19", "18"
	rows := []Outcome{
		{Probability: 0.28, Outcome: 1, Status: "resolved", Category: "conflict", CameoRootCode: &code19, Baseline: true, Question: syr},
		{Probability: 0.9, Outcome: 1, Status: "resolved", Category: "conflict", CameoRootCode: &code19, Question: syrLater},
		{Probability: 0.6, Outcome: 1, Status: "resolved", Category: "security", CameoRootCode: &code19, Question: syr},
		{Probability: 0.6, Outcome: 0, Status: "resolved", Category: "conflict", CameoRootCode: &code18, Baseline: true, Question: ukr},
		{Probability: 0.5, Outcome: 0, Status: "resolved", Category: "conflict", CameoRootCode: &code18, Question: ukr},
		{Probability: 0.5, Outcome: 0, Status: "resolved", Category: "conflict", CameoRootCode: &code18, Question: ukrOther}, // no baseline
		{Probability: 0.5, Outcome: 0, Status: "resolved", Category: "economic"},                                             // no question
		{Probability: 0.5, Outcome: 0, Status: "annulled", Category: "conflict", CameoRootCode: &code18, Question: ukr},      // unscored
	}
	card := BuildScorecard(rows)
	cmp := card.VsBaseline
	// Matched: (0.9 vs 0.28, o=1), (0.6 vs 0.28, o=1), (0.5 vs 0.6, o=0).
	// Engine BS = (0.01 + 0.16 + 0.25)/3 = 0.14; baseline BS = (0.5184 + 0.5184 + 0.36)/3 = 0.4656.
	if cmp.Overall.Count != 3 || cmp.Unmatched != 2 {
		t.Fatalf("count %d unmatched %d", cmp.Overall.Count, cmp.Unmatched)
	}
	near(t, "engine brier", *cmp.Overall.BrierScore, 0.14, 1e-12)
	near(t, "baseline brier", *cmp.Overall.BaselineBrierScore, 0.4656, 1e-12)
	near(t, "skill", *cmp.Overall.BrierSkillScore, 1-0.14/0.4656, 1e-12)
	// conflict: (0.9 vs 0.28, 1), (0.5 vs 0.6, 0): BS 0.13, ref 0.4392; security: 0.16 vs 0.5184.
	if len(cmp.ByCategory) != 2 || cmp.ByCategory[0].Key != "conflict" || cmp.ByCategory[1].Key != "security" {
		t.Fatalf("by category %+v", cmp.ByCategory)
	}
	near(t, "conflict skill", *cmp.ByCategory[0].BrierSkillScore, 1-0.13/0.4392, 1e-12)
	near(t, "security skill", *cmp.ByCategory[1].BrierSkillScore, 1-0.16/0.5184, 1e-12)
	if len(cmp.ByCameoRoot) != 2 || cmp.ByCameoRoot[0].Key != "18" || cmp.ByCameoRoot[0].Count != 1 || cmp.ByCameoRoot[1].Count != 2 {
		t.Errorf("by root %+v", cmp.ByCameoRoot)
	}
	// A baseline that made no error leaves skill undefined.
	perfect := CompareToBaseline(rows[4:5], []Outcome{{Probability: 0, Outcome: 0, Status: "resolved", Baseline: true, Question: ukr}})
	if perfect.Overall.Count != 1 || perfect.Overall.BrierSkillScore != nil || *perfect.Overall.BaselineBrierScore != 0 {
		t.Errorf("perfect baseline: %+v", perfect.Overall)
	}
	if none := CompareToBaseline(nil, nil); none.Overall.Count != 0 || none.Overall.BrierScore != nil || none.ByCategory == nil {
		t.Errorf("empty comparison: %+v", none)
	}
	if !IsBaseline([]byte(`{"llm_probability":0.3,"baseline":{"method":"base_rate"}}`)) || IsBaseline([]byte(`{"llm_probability":0.3}`)) || IsBaseline(nil) {
		t.Error("IsBaseline")
	}
}
