package calibration

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"geopol/gdelt"
	"geopol/models"
)

// Automated resolution defaults (config keys resolve_min_mentions, resolve_min_sources).
const (
	DefaultMinMentions = 5
	DefaultMinSources  = 2
	// MaxEvidence is how many matching event ids an automated outcome cites.
	MaxEvidence = 20
	// RuleMethod is the resolution_method of automated outcomes.
	RuleMethod = "gdelt_rule"
	// defaultBatch is how many forecasts one resolve batch reads and writes.
	defaultBatch = 200
)

// ResolveOptions tune ResolveDue.
type ResolveOptions struct {
	// Now: forecasts with expires_at <= Now are due, and Now is their resolution_date.
	// Zero means the current time; a time later than the current time counts as the
	// current time, so a forecast still open is never resolved.
	Now         time.Time
	MinMentions int // an event counts with at least this many mentions (0: 5)...
	MinSources  int // ...from at least this many sources (0: 2)
	BatchSize   int
}

// ResolveReport counts what ResolveDue did.
type ResolveReport struct {
	Due      int // due forecasts examined
	Resolved int // outcomes written
	Yes, No  int // of those, outcome 1 and outcome 0
	Skipped  int // resolved meanwhile by someone else (ON CONFLICT DO NOTHING)
}

// DateWindow is the GDELT SQLDATE range (YYYYMMDD, inclusive, UTC days) a forecast covers.
func DateWindow(created, expires time.Time) (from, to int) {
	day := func(t time.Time) int {
		t = t.UTC()
		return t.Year()*10000 + int(t.Month())*100 + t.Day()
	}
	return day(created), day(expires)
}

// RuleQuery is the event query of the resolution rule for one forecast: events of its
// CAMEO root code located (ActionGeo) in its country, with SQLDATE between its creation
// and expiry days, reported in at least minMentions mentions by at least minSources
// sources.
func RuleQuery(p *models.Prediction, minMentions, minSources int) gdelt.Query {
	from, to := DateWindow(p.CreatedAt, p.ExpiresAt)
	return gdelt.Query{CountryISO: *p.CountryISO, RootCode: *p.CameoRootCode, From: from, To: to,
		MinMentions: minMentions, MinSources: minSources, Limit: MaxEvidence}
}

// RuleOutcome applies the rule to the events RuleQuery found: any event means yes
// (outcome 1), none means no (0). The events' ids are the evidence.
func RuleOutcome(events []gdelt.Event) (outcome float64, evidence []string) {
	evidence = make([]string, 0, len(events))
	for _, e := range events {
		evidence = append(evidence, strconv.FormatInt(e.GlobalEventID, 10))
	}
	if len(events) > 0 {
		return 1, evidence
	}
	return 0, evidence
}

// ResolveDue resolves every expired, unresolved forecast that names a country and a
// CAMEO root code by the GDELT rule (RuleQuery, RuleOutcome), in batches ordered by id.
// It is idempotent and safe beside other writers: an outcome stored meanwhile (a
// concurrent run, or a manual POST) wins, because inserts do nothing on a conflicting
// prediction_id. events is the GDELT store, only read. Outcomes are permanent, so it
// never resolves a forecast that has not expired by the real clock, whatever opts.Now
// says.
func ResolveDue(ctx context.Context, db *gorm.DB, events *gdelt.Store, opts ResolveOptions) (*ResolveReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaultBatch
	}
	if opts.MinMentions <= 0 {
		opts.MinMentions = DefaultMinMentions
	}
	if opts.MinSources <= 0 {
		opts.MinSources = DefaultMinSources
	}
	if real := time.Now().UTC().Truncate(time.Microsecond); opts.Now.IsZero() || opts.Now.After(real) {
		opts.Now = real
	}
	rep := &ResolveReport{}
	after := ""
	for {
		var due []models.Prediction
		err := db.WithContext(ctx).
			Select("id", "country_iso", "cameo_root_code", "created_at", "expires_at").
			Where("expires_at <= ? AND country_iso IS NOT NULL AND cameo_root_code IS NOT NULL AND id > ?", opts.Now, after).
			Where("NOT EXISTS (SELECT 1 FROM outcome_records o WHERE o.prediction_id = predictions.id)").
			Order("id").Limit(opts.BatchSize).Find(&due).Error
		if err != nil {
			return rep, fmt.Errorf("find due forecasts: %w", err)
		}
		if len(due) == 0 {
			return rep, nil
		}
		rows := make([]models.OutcomeRecord, 0, len(due))
		for i := range due {
			p := &due[i]
			q := RuleQuery(p, opts.MinMentions, opts.MinSources)
			found, err := events.Find(ctx, q)
			if err != nil {
				return rep, fmt.Errorf("query events for forecast %s: %w", p.ID, err)
			}
			outcome, evidence := RuleOutcome(found)
			ids, err := models.EncodeJSON(evidence)
			if err != nil {
				return rep, err
			}
			notes := fmt.Sprintf("gdelt_rule: %d event(s) (first %d cited) of root code %s in %s with SQLDATE %d..%d, >= %d mentions, >= %d sources",
				len(found), len(evidence), q.RootCode, q.CountryISO, q.From, q.To, q.MinMentions, q.MinSources)
			if len(found) == MaxEvidence {
				notes = fmt.Sprintf("gdelt_rule: at least %d event(s) of root code %s in %s with SQLDATE %d..%d, >= %d mentions, >= %d sources",
					len(found), q.RootCode, q.CountryISO, q.From, q.To, q.MinMentions, q.MinSources)
			}
			rows = append(rows, models.OutcomeRecord{PredictionID: p.ID, Outcome: outcome, Status: models.OutcomeResolved,
				ResolutionDate: opts.Now, ResolutionMethod: RuleMethod, EvidenceGdeltIDs: ids, Notes: &notes})
		}
		if err := storeBatch(ctx, db, rows, rep); err != nil {
			return rep, err
		}
		rep.Due += len(due)
		after = due[len(due)-1].ID
		if len(due) < opts.BatchSize {
			return rep, nil
		}
	}
}

// storeBatch inserts one batch of outcomes in one transaction, each with ON CONFLICT
// (prediction_id) DO NOTHING, and counts what was stored and what was skipped.
func storeBatch(ctx context.Context, db *gorm.DB, rows []models.OutcomeRecord, rep *ResolveReport) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i := range rows {
			res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "prediction_id"}}, DoNothing: true}).Create(&rows[i])
			if res.Error != nil {
				return fmt.Errorf("store outcome of forecast %s: %w", rows[i].PredictionID, res.Error)
			}
			switch {
			case res.RowsAffected == 0:
				rep.Skipped++
			case rows[i].Outcome == 1:
				rep.Resolved++
				rep.Yes++
			default:
				rep.Resolved++
				rep.No++
			}
		}
		return nil
	})
}
