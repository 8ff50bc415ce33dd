package calibration_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// ingestSample loads the sample into a fresh event store of the forecast database's kind
// (a SQLite file beside SQLite, PostgreSQL beside PostgreSQL) and returns it.
func ingestSample(t *testing.T, db *gorm.DB) *gdelt.Store {
	t.Helper()
	ctx := context.Background()
	var gs *gdelt.Store
	if db.Dialector.Name() == "postgres" {
		gs = gdelttest.Postgres(t)
	} else {
		gs = gdelttest.SQLite(t)
	}
	if _, err := gdelt.Ingest(ctx, db, gs, storetest.GDELTSample(t, false), gdelt.Options{}); err != nil {
		t.Fatalf("ingest sample: %v", err)
	}
	return gs
}

// forecast stores a minimal forecast row about (country, code) live from created to
// expires, with the given ensemble probabilities (tkg < 0 leaves it out).
func forecast(t *testing.T, db *gorm.DB, country, code, category string, p, llm, tkg float64, created, expires time.Time) string {
	t.Helper()
	ens := map[string]any{"llm_probability": llm, "tkg_probability": nil, "weights": map[string]float64{}, "temperature_applied": 1}
	if tkg >= 0 {
		ens["tkg_probability"] = tkg
	}
	info, _ := json.Marshal(ens)
	row := &models.Prediction{ID: uuid.NewString(), Question: "Will a CAMEO " + code + " event occur in " + country + "?",
		PredictionText: "Test forecast.", Probability: p, Confidence: 0.5, HorizonDays: 10, Category: category,
		ReasoningSummary: "Test.", Scenarios: models.JSON(`[]`), EnsembleInfo: info,
		Calibration: models.JSON(`{"category":"` + category + `","temperature":1}`), Entities: models.JSON(`[]`),
		CreatedAt: created, ExpiresAt: expires}
	if country != "" {
		row.CountryISO = &country
	}
	if code != "" {
		row.CameoRootCode = &code
	}
	if err := db.Create(row).Error; err != nil {
		t.Fatal(err)
	}
	return row.ID
}

func outcomeOf(t *testing.T, db *gorm.DB, id string) *models.OutcomeRecord {
	t.Helper()
	var o models.OutcomeRecord
	if err := db.Take(&o, "prediction_id = ?", id).Error; err != nil {
		return nil
	}
	return &o
}

// The rule against the real sample, whose relevant rows (ActionGeo country, root code,
// SQLDATE, NumMentions, NumSources) were read from the file:
//
//	GBR 04: ten events dated 20191024 with >= 5 mentions and >= 2 sources (ids below)
//	USA 19: exactly one, 881992666 (5 mentions, 2 sources: on both thresholds)
//	SYR 19: nine events, all from a single source (881990960 has 10 mentions, 1 source)
//	DEU 19: 881990839 (20 mentions, 2 sources) is dated 20181024; 881991440 has 4 mentions
//	ISL:    no events at all
func TestResolveDueOnGDELTSample(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		events := ingestSample(t, db)
		day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
		created, expires := day("2019-10-20"), day("2019-10-30")
		gbr := forecast(t, db, "GBR", "04", "diplomatic", 0.7, 0.8, 0.6, created, expires)
		usa := forecast(t, db, "USA", "19", "conflict", 0.6, 0.7, 0.5, created, expires)
		syr := forecast(t, db, "SYR", "19", "conflict", 0.6, 0.7, 0.5, created, expires)
		deu := forecast(t, db, "DEU", "19", "conflict", 0.3, 0.3, 0.3, created, expires)
		deuLong := forecast(t, db, "DEU", "19", "conflict", 0.3, 0.3, 0.3, day("2018-10-01"), expires)
		isl := forecast(t, db, "ISL", "04", "diplomatic", 0.2, 0.2, 0.2, created, expires)
		noCode := forecast(t, db, "USA", "", "economic", 0.5, 0.5, 0.5, created, expires)
		live := forecast(t, db, "GBR", "04", "diplomatic", 0.5, 0.5, 0.5, created, store.Now().Add(time.Hour))
		annulled := forecast(t, db, "USA", "19", "conflict", 0.9, 0.9, 0.9, created, expires)
		manual := &models.OutcomeRecord{PredictionID: annulled, Status: models.OutcomeAnnulled, ResolutionDate: expires, ResolutionMethod: "manual"}
		if err := db.Create(manual).Error; err != nil {
			t.Fatal(err)
		}

		opts := calibration.ResolveOptions{MinMentions: 5, MinSources: 2, BatchSize: 2} // small batches: paging is exercised
		rep, err := calibration.ResolveDue(ctx, db, events, opts)
		if err != nil {
			t.Fatal(err)
		}
		// Due: gbr, usa, syr, deu, deuLong, isl (noCode has no code, live has not expired,
		// annulled is already resolved). Yes: gbr, usa, deuLong.
		if rep.Due != 6 || rep.Resolved != 6 || rep.Yes != 3 || rep.No != 3 || rep.Skipped != 0 {
			t.Errorf("report %+v", rep)
		}
		want := map[string][]string{
			gbr: {"881991635", "881991634", "881991633", "881991589", "881991353", "881991352", "881991351",
				"881991316", "881991150", "881990912"},
			usa:     {"881992666"},
			deuLong: {"881990839"},
			syr:     {}, deu: {}, isl: {},
		}
		for id, ids := range want {
			o := outcomeOf(t, db, id)
			if o == nil {
				t.Errorf("%s: no outcome", id)
				continue
			}
			got := storetest.JSONStrings(t, o.EvidenceGdeltIDs)
			wantOutcome := 0.0
			if len(ids) > 0 {
				wantOutcome = 1
			}
			if o.Outcome != wantOutcome || !slices.Equal(got, ids) || o.ResolutionMethod != calibration.RuleMethod ||
				o.Status != models.OutcomeResolved || o.Notes == nil || !strings.HasPrefix(*o.Notes, "gdelt_rule:") {
				t.Errorf("%s: outcome %v evidence %v method %s status %s, want %v %v", id, o.Outcome, got, o.ResolutionMethod, o.Status, wantOutcome, ids)
			}
		}
		for _, id := range []string{noCode, live} {
			if outcomeOf(t, db, id) != nil {
				t.Errorf("%s was resolved", id)
			}
		}
		if o := outcomeOf(t, db, annulled); o.Status != models.OutcomeAnnulled || o.ResolutionMethod != "manual" {
			t.Errorf("manual outcome overwritten: %+v", o)
		}

		// Idempotent: a second run finds nothing due.
		again, err := calibration.ResolveDue(ctx, db, events, opts)
		if err != nil || again.Due != 0 || again.Resolved != 0 {
			t.Errorf("second run: %+v %v", again, err)
		}
		// A stricter rule (3 sources) would have said no for USA 19: 881992666 has 2.
		q := calibration.RuleQuery(&models.Prediction{CountryISO: ptr("USA"), CameoRootCode: ptr("19"), CreatedAt: created, ExpiresAt: expires}, 5, 3)
		if found, err := events.Find(ctx, q); err != nil || len(found) != 0 {
			t.Errorf("3 sources: %d events, %v", len(found), err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Two resolvers racing over the same due forecasts store one outcome each.
func TestResolveDueConcurrent(t *testing.T) {
	storetest.Dialects(t, testResolveDueConcurrent)
}

func testResolveDueConcurrent(t *testing.T, db *gorm.DB) {
	events := ingestSample(t, db)
	created, expires := time.Date(2019, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2019, 10, 30, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		forecast(t, db, "GBR", "04", "diplomatic", 0.7, 0.8, 0.6, created, expires)
	}
	reps := make(chan *calibration.ResolveReport, 3)
	for i := 0; i < 3; i++ {
		go func() {
			rep, err := calibration.ResolveDue(context.Background(), db, events, calibration.ResolveOptions{MinMentions: 5, MinSources: 2, BatchSize: 7})
			if err != nil {
				t.Error(err)
			}
			reps <- rep
		}()
	}
	resolved := 0
	for i := 0; i < 3; i++ {
		if rep := <-reps; rep != nil {
			resolved += rep.Resolved
		}
	}
	var n int64
	if err := db.Model(&models.OutcomeRecord{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 30 || resolved != 30 {
		t.Errorf("%d outcomes stored, %d reported resolved; want 30 and 30", n, resolved)
	}
}

// A Now later than the real clock counts as the real clock: a forecast that has not
// expired yet is never resolved (an outcome is permanent), and an expired one gets
// today as its resolution_date, not a future one.
func TestResolveDueNeverResolvesOpenForecasts(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		events := ingestSample(t, db)
		now := store.Now()
		open := forecast(t, db, "GBR", "04", "diplomatic", 0.5, 0.5, 0.5, now.Add(-24*time.Hour), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		expired := forecast(t, db, "GBR", "04", "diplomatic", 0.5, 0.5, 0.5, now.Add(-48*time.Hour), now.Add(-time.Hour))

		future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		rep, err := calibration.ResolveDue(ctx, db, events, calibration.ResolveOptions{Now: future})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Due != 1 || rep.Resolved != 1 {
			t.Errorf("report %+v: want only the expired forecast resolved", rep)
		}
		if o := outcomeOf(t, db, open); o != nil {
			t.Errorf("a forecast open until 2027 was resolved as of %s: %+v", o.ResolutionDate, o)
		}
		o := outcomeOf(t, db, expired)
		if o == nil {
			t.Fatal("the expired forecast was not resolved")
		}
		if o.ResolutionDate.After(time.Now().Add(time.Minute)) {
			t.Errorf("resolution_date %s is in the future", o.ResolutionDate)
		}
	})
}
