// Package forecasttest stores realistic track records for tests: many forecasts, in
// bulk, with resolved outcomes drawn from a known calibration, so scorecards, exports,
// metrics and the reliability diagram have real data to show.
package forecasttest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/forecast"
	"geopol/models"
)

// Options shape a seeded track record.
type Options struct {
	N    int    // forecasts
	Seed uint64 // the same seed stores the same forecasts and outcomes
	// Resolved is the share of forecasts that get a resolved outcome (0: none); a
	// twentieth of those that do are annulled instead.
	Resolved float64
	// Overconfidence skews outcomes: an event of forecast probability p happens with
	// probability 0.5 + (p - 0.5) * (1 - Overconfidence), so 0 is perfectly calibrated.
	Overconfidence float64
	// Now is the newest creation time; forecasts are spread over the 400 days before
	// it, one a minute apart at most (default: the real clock).
	Now time.Time
	// Batch is the number of rows per INSERT (default 500).
	Batch int
	// Exponent, when above 1, raises the (uniform) probabilities to it, so that
	// unlikely events dominate, as in real geopolitical forecasting, and the top bins
	// of the reliability diagram are sparse.
	Exponent float64
}

// Seed stores o.N random valid forecasts (forecast.RandomForecasts of o.Seed) and their
// outcomes directly, in batches, without the per-request path: it is for volume. It
// returns the forecasts' ids, oldest first.
func Seed(t testing.TB, db *gorm.DB, o Options) []string {
	t.Helper()
	ids, err := SeedErr(context.Background(), db, o)
	if err != nil {
		t.Fatalf("forecasttest: %v", err)
	}
	return ids
}

// SeedErr is Seed returning its error.
func SeedErr(ctx context.Context, db *gorm.DB, o Options) ([]string, error) {
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	if o.Batch <= 0 {
		o.Batch = 500
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	span := 400 * 24 * time.Hour
	step := min(span/time.Duration(max(o.N, 1)), time.Minute)
	ids := make([]string, 0, o.N)
	rows := make([]*models.Prediction, 0, o.Batch)
	outcomes := make([]*models.OutcomeRecord, 0, o.Batch)
	flush := func() error {
		if len(rows) > 0 {
			if err := db.WithContext(ctx).CreateInBatches(rows, o.Batch).Error; err != nil {
				return err
			}
		}
		if len(outcomes) > 0 {
			if err := db.WithContext(ctx).CreateInBatches(outcomes, o.Batch).Error; err != nil {
				return err
			}
		}
		rows, outcomes = rows[:0], outcomes[:0]
		return nil
	}
	const chunk = 1000 // requests built at a time: memory stays flat for any N
	for start := 0; start < o.N; start += chunk {
		reqs := forecast.RandomForecasts(o.Seed+uint64(start), min(chunk, o.N-start))
		for j, req := range reqs {
			i := start + j
			created := o.Now.Add(-time.Duration(o.N-i) * step)
			id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "forecasttest\x00%d\x00%d", o.Seed, i)).String()
			req.Question = fmt.Sprintf("Will tracked event %d of seed %d happen within the horizon?", i, o.Seed)
			if o.Exponent > 1 {
				p := math.Round(math.Pow(*req.Probability, o.Exponent)*1e6) / 1e6
				req.Probability = &p
			}
			row, err := req.Row(id, created)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
			ids = append(ids, id)
			if rng.Float64() < o.Resolved {
				p := row.Probability
				happened := 0.0
				if rng.Float64() < 0.5+(p-0.5)*(1-o.Overconfidence) {
					happened = 1
				}
				status := models.OutcomeResolved
				if rng.IntN(20) == 0 {
					status = models.OutcomeAnnulled
				}
				outcomes = append(outcomes, &models.OutcomeRecord{PredictionID: id, Outcome: happened, Status: status,
					ResolutionDate: created.Add(time.Hour), ResolutionMethod: "manual"})
			}
			if len(rows) == o.Batch {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return ids, nil
}
