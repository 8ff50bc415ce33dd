package calibration

import (
	"cmp"
	"context"
	"sort"
	"time"

	"gorm.io/gorm"

	"geopol/models"
)

// Score summarises a set of resolved forecasts. Every number is null when Count is 0.
type Score struct {
	Count              int      `json:"count"`
	BrierScore         *float64 `json:"brier_score"`
	LogScore           *float64 `json:"log_score"`
	HistoricalAccuracy *float64 `json:"historical_accuracy"`
	BaseRate           *float64 `json:"base_rate"`
	Reliability        *float64 `json:"reliability"`
	Resolution         *float64 `json:"resolution"`
	Uncertainty        *float64 `json:"uncertainty"`
	ECE                *float64 `json:"expected_calibration_error"`
	Bins               []Bin    `json:"bins"`
	// ClimatologyBrier is the Brier score of always forecasting BaseRate (ClimatologyBrier).
	ClimatologyBrier *float64 `json:"climatology_brier_score"`
	// BrierSkillScore is 1 - BrierScore/ClimatologyBrier: skill against climatology.
	// Null when there are no samples or every outcome is the same (ClimatologyBrier 0).
	BrierSkillScore *float64 `json:"brier_skill_score"`
}

// Summarize scores s: Brier, log score, accuracy, the reliability bins and the Murphy
// decomposition.
func Summarize(s []Sample) Score {
	sc := Score{Count: len(s), Bins: Bins(s)}
	if len(s) == 0 {
		return sc
	}
	d := Decompose(s)
	sc.BrierScore, sc.LogScore, sc.HistoricalAccuracy = ptr(Brier(s)), ptr(LogScore(s)), ptr(Accuracy(s))
	sc.BaseRate, sc.Reliability, sc.Resolution = ptr(d.BaseRate), ptr(d.Reliability), ptr(d.Resolution)
	sc.Uncertainty, sc.ECE = ptr(d.Uncertainty), ptr(d.ECE)
	ref := ClimatologyBrier(s)
	sc.ClimatologyBrier = ptr(ref)
	if skill, ok := SkillScore(*sc.BrierScore, ref); ok {
		sc.BrierSkillScore = &skill
	}
	return sc
}

// Group is the score of one category or CAMEO root code.
type Group struct {
	Key string `json:"key"`
	Score
}

// Unscored counts outcomes that are stored but never scored.
type Unscored struct {
	Annulled  int `json:"annulled"`
	Ambiguous int `json:"ambiguous"`
}

// Scorecard is the track record of the forecasts a Filter selects: overall, by
// category and by CAMEO root code (forecasts without a code appear only overall and
// by category). Only status=resolved outcomes are scored.
type Scorecard struct {
	Overall     Score    `json:"overall"`
	ByCategory  []Group  `json:"by_category"`
	ByCameoRoot []Group  `json:"by_cameo_root"`
	Unscored    Unscored `json:"unscored"`
	// VsBaseline compares the scored forecasts that are not baselines with the baseline
	// forecasts for the same questions (CompareToBaseline).
	VsBaseline BaselineComparison `json:"vs_baseline"`
}

// Outcome is a resolved forecast as scoring reads it: the forecast's probability and
// grouping keys, and its outcome.
type Outcome struct {
	Probability   float64
	Outcome       float64
	Status        string
	Category      string
	CameoRootCode *string
	// Baseline marks a base-rate forecast of `geopol forecast baseline` (IsBaseline).
	Baseline bool
	// Question is the rule's question the forecast asks (QuestionOf); nil when it has
	// no country or no CAMEO root code.
	Question *Question
}

// BuildScorecard scores rows; annulled and ambiguous rows are only counted. Its
// comparison with the baseline matches rows against the baseline rows among rows.
func BuildScorecard(rows []Outcome) Scorecard {
	card := buildScores(rows)
	card.VsBaseline = CompareToBaseline(rows, rows)
	return card
}

// buildScores is BuildScorecard without the comparison with the baseline.
func buildScores(rows []Outcome) Scorecard {
	var all []Sample
	byCat, byCode := map[string][]Sample{}, map[string][]Sample{}
	var card Scorecard
	for _, r := range rows {
		switch r.Status {
		case models.OutcomeAnnulled:
			card.Unscored.Annulled++
			continue
		case models.OutcomeAmbiguous:
			card.Unscored.Ambiguous++
			continue
		}
		s := Sample{Forecast: r.Probability, Outcome: r.Outcome}
		all = append(all, s)
		byCat[r.Category] = append(byCat[r.Category], s)
		if r.CameoRootCode != nil && *r.CameoRootCode != "" {
			byCode[*r.CameoRootCode] = append(byCode[*r.CameoRootCode], s)
		}
	}
	card.Overall = Summarize(all)
	card.ByCategory, card.ByCameoRoot = groups(byCat), groups(byCode)
	return card
}

// groups scores each key's samples, in key order.
func groups(m map[string][]Sample) []Group {
	out := make([]Group, 0, len(m))
	for k, s := range m {
		out = append(out, Group{Key: k, Score: Summarize(s)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Filter selects the forecasts a scorecard covers. Empty fields select everything;
// From and To bound created_at as [From, To).
type Filter struct {
	Category   string
	CountryISO string // upper-case alpha-3, as stored
	From, To   *time.Time
	// Source keeps only the baseline forecasts (SourceBaseline) or only the others
	// (SourceEngine); "" keeps both.
	Source string
}

// The values of Filter.Source.
const (
	SourceEngine   = "engine"
	SourceBaseline = "baseline"
)

// outcomes joins outcome_records to their forecasts under f.
func outcomes(ctx context.Context, db *gorm.DB, f Filter) *gorm.DB {
	q := db.WithContext(ctx).Table("outcome_records AS o").
		Joins("JOIN predictions AS p ON p.id = o.prediction_id")
	if f.Category != "" {
		q = q.Where("p.category = ?", f.Category)
	}
	if f.CountryISO != "" {
		q = q.Where("p.country_iso = ?", f.CountryISO)
	}
	// Every stored time lies in the years 0001 to 9999 (validation and the clock see to
	// it), so a bound outside them either selects everything or nothing, and is answered
	// so rather than compared: SQLite compares times as the text it stores, where the
	// five-digit year of 10000-01-01 (the end of to=9999-12-31) sorts before 2026.
	if f.From != nil {
		switch from := f.From.UTC(); {
		case from.After(lastStorable):
			q = q.Where("1 = 0")
		case !from.Before(firstStorable):
			q = q.Where("p.created_at >= ?", from)
		}
	}
	if f.To != nil {
		switch to := f.To.UTC(); {
		case !to.After(firstStorable):
			q = q.Where("1 = 0")
		case !to.After(lastStorable):
			q = q.Where("p.created_at < ?", to)
		}
	}
	return q
}

// The range of times a column holds: what both databases and SQLite's text order cover.
var (
	firstStorable = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	lastStorable  = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// LoadScorecard reads the outcomes f selects and scores them. The forecasts it compares
// with the baseline are those f selects; the baselines they are matched with are every
// resolved baseline forecast of the same country (whatever f's other filters).
func LoadScorecard(ctx context.Context, db *gorm.DB, f Filter) (*Scorecard, error) {
	rows, err := loadOutcomes(ctx, db, f)
	if err != nil {
		return nil, err
	}
	scored := rows[:0:0]
	for _, r := range rows {
		if f.Source == "" || (f.Source == SourceBaseline) == r.Baseline {
			scored = append(scored, r)
		}
	}
	card := buildScores(scored)
	refs := rows
	if f.Category != "" || f.From != nil || f.To != nil || f.Source == SourceEngine {
		if refs, err = loadOutcomes(ctx, db, Filter{CountryISO: f.CountryISO}); err != nil {
			return nil, err
		}
	}
	card.VsBaseline = CompareToBaseline(scored, refs)
	return &card, nil
}

// loadOutcomes reads the outcomes f selects (all sources), with what matching them to
// the baseline needs.
func loadOutcomes(ctx context.Context, db *gorm.DB, f Filter) ([]Outcome, error) {
	var rows []struct {
		Probability   float64
		Outcome       float64
		Status        string
		Category      string
		CameoRootCode *string
		CountryISO    *string
		CreatedAt     time.Time
		ExpiresAt     time.Time
		EnsembleInfo  models.JSON
	}
	err := outcomes(ctx, db, f).
		Select("p.probability AS probability, o.outcome AS outcome, o.status AS status, p.category AS category, " +
			"p.cameo_root_code AS cameo_root_code, p.country_iso AS country_iso, p.created_at AS created_at, " +
			"p.expires_at AS expires_at, p.ensemble_info AS ensemble_info").
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(rows))
	for i, r := range rows {
		out[i] = Outcome{Probability: r.Probability, Outcome: r.Outcome, Status: r.Status, Category: r.Category,
			CameoRootCode: r.CameoRootCode}
		out[i].Baseline = IsBaseline(r.EnsembleInfo)
		out[i].Question = QuestionOf(r.CountryISO, r.CameoRootCode, r.CreatedAt, r.ExpiresAt)
	}
	// Sums of floats depend on their order: the rows are scored in an order of their
	// content, so that both databases, whatever order they return rows in, give the same
	// numbers to the last bit.
	sort.SliceStable(out, func(i, j int) bool { return outcomeLess(&out[i], &out[j]) })
	return out, nil
}

// TrackRecord is a category's record as the calibration block of a forecast shows it.
type TrackRecord struct {
	SampleSize         int
	BrierScore         *float64 // nil while SampleSize is 0
	HistoricalAccuracy float64  // 0 while SampleSize is 0
}

// LoadTrackRecord computes, in the database, the same Brier score and accuracy that the
// scorecard's by_category entry reports for category (resolved outcomes only). It is
// one aggregate query, cheap enough to run on every POST /forecasts.
func LoadTrackRecord(ctx context.Context, db *gorm.DB, category string) (TrackRecord, error) {
	var agg struct {
		N        int
		Brier    *float64
		Accuracy *float64
	}
	err := outcomes(ctx, db, Filter{Category: category}).
		Where("o.status = ?", models.OutcomeResolved).
		Select("COUNT(*) AS n, " +
			"AVG((p.probability - o.outcome) * (p.probability - o.outcome)) AS brier, " +
			"AVG(CAST(CASE WHEN (p.probability >= 0.5) = (o.outcome >= 0.5) THEN 1 ELSE 0 END AS DOUBLE PRECISION)) AS accuracy").
		Scan(&agg).Error
	if err != nil {
		return TrackRecord{}, err
	}
	tr := TrackRecord{SampleSize: agg.N, BrierScore: agg.Brier}
	if agg.Accuracy != nil {
		tr.HistoricalAccuracy = *agg.Accuracy
	}
	return tr, nil
}

func ptr[T any](v T) *T { return &v }

// outcomeLess orders outcomes by their content (probability, outcome, status, category,
// code, question, baseline last).
func outcomeLess(a, b *Outcome) bool {
	var aq, bq Question
	if a.Question != nil {
		aq = *a.Question
	}
	if b.Question != nil {
		bq = *b.Question
	}
	return cmp.Or(
		cmp.Compare(a.Probability, b.Probability),
		cmp.Compare(a.Outcome, b.Outcome),
		cmp.Compare(a.Status, b.Status),
		cmp.Compare(a.Category, b.Category),
		cmp.Compare(deref(a.CameoRootCode), deref(b.CameoRootCode)),
		cmp.Compare(aq.CountryISO, bq.CountryISO),
		cmp.Compare(aq.RootCode, bq.RootCode),
		cmp.Compare(aq.From, bq.From),
		cmp.Compare(aq.To, bq.To),
		cmp.Compare(boolRank(a.Baseline), boolRank(b.Baseline)),
	) < 0
}

// boolRank orders false before true.
func boolRank(v bool) int {
	if v {
		return 1
	}
	return 0
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
