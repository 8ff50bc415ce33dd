package forecast

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/models"
	"geopol/validate"
)

// fixtures are the golden forecasts the seed command loads. They are never served unless
// loaded.
//
//go:embed fixtures/*.json
var fixtures embed.FS

// GoldenFixtures lists the golden fixture names (syria, ukraine, myanmar).
func GoldenFixtures() []string { return []string{"syria", "ukraine", "myanmar"} }

// GoldenRequest decodes one golden fixture exactly as POST /forecasts decodes a body.
func GoldenRequest(name string) (*ForecastRequest, error) {
	b, err := fixtures.ReadFile("fixtures/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("no golden fixture %q", name)
	}
	var req ForecastRequest
	if err := validate.DecodeStrict(b, &req); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", name, err)
	}
	return &req, nil
}

// SeedGolden stores the golden fixtures through Create, the path POST takes.
// Their ids derive from their names, so seeding twice stores nothing new.
func SeedGolden(ctx context.Context, db *gorm.DB, now time.Time) ([]*models.Prediction, error) {
	var out []*models.Prediction
	for _, name := range GoldenFixtures() {
		req, err := GoldenRequest(name)
		if err != nil {
			return out, err
		}
		id := uuid.NewSHA1(idempotencyNamespace, []byte("seed\x00"+name)).String()
		row, err := Create(ctx, db, req, id, now)
		if err != nil {
			return out, fmt.Errorf("fixture %s: %w", name, err)
		}
		out = append(out, row)
	}
	return out, nil
}

// SeedRandom stores RandomForecasts(seed, n) through Create, each under an id derived
// from (seed, its index), so the same command stores nothing new the second time and
// a larger n adds only the forecasts past the first run's. It returns how many it
// stored and how many were already present.
func SeedRandom(ctx context.Context, db *gorm.DB, seed uint64, n int, now time.Time) (stored, present int, err error) {
	for i, req := range RandomForecasts(seed, n) {
		id := uuid.NewSHA1(idempotencyNamespace, fmt.Appendf(nil, "seed-random\x00%d\x00%d", seed, i)).String()
		row, err := Create(ctx, db, req, id, now)
		if err != nil {
			return stored, present, fmt.Errorf("random forecast %d of seed %d: %w", i, seed, err)
		}
		if IsNew(row, now) {
			stored++
		} else {
			present++
		}
	}
	return stored, present, nil
}

// IsNew reports whether row, returned by Create(..., now) with an id, was stored by
// that call rather than found already present (an idempotent repeat).
func IsNew(row *models.Prediction, now time.Time) bool { return row.CreatedAt.Equal(now) }
