package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/config"
	"geopol/forecast"
	"geopol/gdelt"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// acceptanceForecast is one forecast of the acceptance set, about a country and CAMEO
// root code of the GDELT sample, with the outcome the rule must give it.
type acceptanceForecast struct {
	country, code, category string
	p, llm, tkg             float64 // tkg < 0: the engine gave none
	outcome                 float64
}

// acceptanceSet: 24 forecasts created 2019-10-20 with horizon 10 days (SQLDATE window
// 20191020..20191030). Outcomes follow the sample (>= 5 mentions, >= 2 sources):
// GBR 04 ten events, USA 19 one (881992666), USA 01 four, AFG 18 two, GBR 19 one
// (881991918); SYR has only single-source events; DEU 19's qualifying event is dated
// 2018; ISL has none.
var acceptanceSet = []acceptanceForecast{
	{"USA", "19", "conflict", 0.7, 0.8, 0.6, 1}, {"USA", "19", "conflict", 0.7, 0.9, 0.5, 1},
	{"USA", "19", "conflict", 0.6, 0.6, 0.6, 1}, {"USA", "19", "conflict", 0.5, 0.7, 0.3, 1},
	{"GBR", "19", "conflict", 0.6, 0.5, 0.7, 1}, {"GBR", "19", "conflict", 0.6, 0.8, 0.4, 1},
	{"SYR", "19", "conflict", 0.4, 0.6, 0.2, 0}, {"SYR", "19", "conflict", 0.2, 0.3, 0.1, 0},
	{"DEU", "19", "conflict", 0.4, 0.4, 0.4, 0}, {"DEU", "19", "conflict", 0.5, 0.7, 0.3, 0},
	{"GBR", "04", "diplomatic", 0.8, 0.9, 0.7, 1}, {"GBR", "04", "diplomatic", 0.7, 0.6, 0.8, 1},
	{"GBR", "04", "diplomatic", 0.6, 0.7, 0.5, 1}, {"ISL", "04", "diplomatic", 0.3, 0.2, 0.4, 0},
	{"ISL", "04", "diplomatic", 0.2, 0.1, 0.3, 0}, {"USA", "01", "diplomatic", 0.7, 0.8, 0.6, 1},
	{"USA", "01", "diplomatic", 0.9, 0.9, 0.9, 1}, {"USA", "01", "diplomatic", 0.4, 0.5, 0.3, 1},
	{"SYR", "01", "diplomatic", 0.3, 0.4, 0.2, 0}, {"SYR", "01", "diplomatic", 0.4, 0.3, 0.5, 0},
	{"AFG", "18", "conflict", 0.6, 0.7, 0.5, 1}, {"AFG", "18", "conflict", 0.5, 0.6, 0.4, 1},
	{"SYR", "18", "conflict", 0.4, 0.5, 0.3, 0}, {"GBR", "19", "conflict", 0.8, 0.8, -1, 1},
}

// onBothDatabases runs f as subtests sqlite and postgres, each on a fresh acceptanceEnv.
func onBothDatabases(t *testing.T, f func(t *testing.T, cfg *config.Config)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			pg := ""
			if backend == "postgres" {
				pg = storetest.PostgresURL(t)
			}
			f(t, acceptanceEnv(t, pg))
		})
	}
}

// acceptanceEnv points the commands at a fresh database (PostgreSQL when pgURL is set,
// else SQLite) and event store in a temp dir, with no config.yaml or .env.
func acceptanceEnv(t *testing.T, pgURL string) *config.Config {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"CONFIG_FILE": filepath.Join(dir, "absent.yaml"), "ENV_FILE": filepath.Join(dir, "absent.env"),
		"ENVIRONMENT": "testing", "AUTO_MIGRATE": "true", "DATABASE_URL": pgURL, "REDIS_URL": "",
		"SQLITE_PATH": filepath.Join(dir, "geopol.db"), "GDELT_DB_PATH": filepath.Join(dir, "gdelt.db"),
		"LOG_LEVEL": "error", "RESOLVE_MIN_MENTIONS": "5", "RESOLVE_MIN_SOURCES": "2", "CALIBRATION_MAX_CHANGE": "0.25",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.Load(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func command(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("geopol %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// storeAcceptanceSet creates the forecasts through the POST validation path with a
// clock fixed at 2019-10-20, plus one forecast without a CAMEO code and one annulled by
// hand; it returns the ids of the acceptance set in order.
func storeAcceptanceSet(t *testing.T, db *gorm.DB) []string {
	ctx := context.Background()
	created := time.Date(2019, 10, 20, 0, 0, 0, 0, time.UTC)
	add := func(country, code, category string, p, llm, tkg float64) string {
		req, err := forecast.GoldenRequest("syria")
		if err != nil {
			t.Fatal(err)
		}
		horizon := 10
		req.CountryISO, req.Category, req.Probability, req.HorizonDays, req.Calibration = &country, category, &p, &horizon, nil
		req.CameoRootCode = nil
		if code != "" {
			req.CameoRootCode = &code
		}
		req.EnsembleInfo.LLMProbability, req.EnsembleInfo.TKGProbability = llm, nil
		if tkg >= 0 {
			req.EnsembleInfo.TKGProbability = &tkg
		}
		row, err := forecast.Create(ctx, db, req, "", created)
		if err != nil {
			t.Fatal(err)
		}
		return row.ID
	}
	var ids []string
	for _, f := range acceptanceSet {
		ids = append(ids, add(f.country, f.code, f.category, f.p, f.llm, f.tkg))
	}
	add("USA", "", "economic", 0.3, 0.3, 0.3) // no CAMEO code: never due
	annulled := add("SYR", "19", "conflict", 0.9, 0.9, 0.9)
	if err := db.Create(&models.OutcomeRecord{PredictionID: annulled, Status: models.OutcomeAnnulled,
		ResolutionDate: created.AddDate(0, 0, 5), ResolutionMethod: "manual"}).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// Fresh database + seed + ingest of the sample + forecasts + `resolve --due` +
// `calibrate` gives the weights and the scorecard computed by hand below.
func TestAcceptanceResolveCalibrateScorecard(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, cfg *config.Config) {
		command(t, "migrate", "up")
		command(t, "seed")
		ctx := context.Background()
		db, err := store.OpenDatabase(ctx, cfg, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close(db)
		events, err := gdelt.Open(ctx, cfg.GDELTDBPath, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := gdelt.Ingest(ctx, db, events, storetest.GDELTSample(t, false), gdelt.Options{}); err != nil {
			t.Fatal(err)
		}
		events.Close()
		ids := storeAcceptanceSet(t, db)

		// 24 due (the seeded forecasts are live, one has no code, one is annulled):
		// 15 resolve to yes, 9 to no.
		out := command(t, "resolve", "--due")
		if !strings.HasPrefix(out, "resolved 24 of 24 due forecast(s): 15 yes, 9 no; 0 already resolved") {
			t.Errorf("resolve: %q", out)
		}
		if out := command(t, "resolve", "--due"); !strings.HasPrefix(out, "resolved 0 of 0 due") {
			t.Errorf("second resolve: %q", out)
		}
		checkAcceptanceOutcomes(t, db, ids)

		out = command(t, "calibrate")
		checkAcceptanceWeights(t, db, out)
		card, err := calibration.LoadScorecard(ctx, db, calibration.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		checkAcceptanceScorecard(t, card)
	})
}

func checkAcceptanceOutcomes(t *testing.T, db *gorm.DB, ids []string) {
	t.Helper()
	evidence := map[int][]string{ // index in acceptanceSet -> expected evidence, newest id first
		0:  {"881992666"},
		4:  {"881991918"},
		10: {"881991635", "881991634", "881991633", "881991589", "881991353", "881991352", "881991351", "881991316", "881991150", "881990912"},
		15: {"881992907", "881992791", "881992054", "881991748"},
		20: {"881991137", "881991136"},
		6:  {}, 8: {}, 13: {},
	}
	for i, id := range ids {
		var o models.OutcomeRecord
		if err := db.Take(&o, "prediction_id = ?", id).Error; err != nil {
			t.Errorf("forecast %d: %v", i, err)
			continue
		}
		if o.Outcome != acceptanceSet[i].outcome || o.ResolutionMethod != calibration.RuleMethod || o.Status != models.OutcomeResolved {
			t.Errorf("forecast %d %+v: outcome %v (%s)", i, acceptanceSet[i], o.Outcome, o.ResolutionMethod)
		}
		if want, ok := evidence[i]; ok {
			got := storetest.JSONStrings(t, o.EvidenceGdeltIDs)
			if !slices.Equal(got, want) {
				t.Errorf("forecast %d evidence %v, want %v", i, got, want)
			}
		}
	}
}
