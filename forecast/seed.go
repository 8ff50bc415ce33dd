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
