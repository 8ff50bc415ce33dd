package forecast_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/forecast"
	"geopol/models"
	"geopol/store/storetest"
	"geopol/validate"
)

// Create stores a valid forecast once per idempotent id, returns the stored row to an
// identical retry, refuses a different forecast under the same id, and stores nothing
// for an invalid request.
func TestCreate(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		req, err := forecast.GoldenRequest("syria")
		if err != nil {
			t.Fatal(err)
		}
		id := forecast.IdempotencyID("client", "key-1")
		if id != forecast.IdempotencyID("client", "key-1") || id == forecast.IdempotencyID("other", "key-1") {
			t.Fatal("idempotency ids must depend on client and key only")
		}
		first, err := forecast.Create(ctx, db, req, id, now)
		if err != nil {
			t.Fatal(err)
		}
		retry, err := forecast.GoldenRequest("syria")
		if err != nil {
			t.Fatal(err)
		}
		again, err := forecast.Create(ctx, db, retry, id, now.Add(time.Minute))
		if err != nil || again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("identical retry: %v, %v (first %v)", again, err, first)
		}
		other, err := forecast.GoldenRequest("ukraine")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := forecast.Create(ctx, db, other, id, now); !errors.Is(err, forecast.ErrIdempotencyConflict) {
			t.Fatalf("another forecast under a used id: %v", err)
		}
		bad, err := forecast.GoldenRequest("myanmar")
		if err != nil {
			t.Fatal(err)
		}
		p := 1.5
		bad.Probability = &p
		var inv *validate.Error
		if _, err := forecast.Create(ctx, db, bad, "", now); !errors.As(err, &inv) || inv.Fields[0].Field != "probability" {
			t.Fatalf("invalid probability: %v", err)
		}
		var n int64
		if err := db.Model(&models.Prediction{}).Count(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d rows stored (%v), want 1", n, err)
		}
		resp, err := forecast.FromRow(first)
		if err != nil || resp.ForecastID != id || *resp.CountryISO != "SY" || resp.EvidenceCount != 4 {
			t.Fatalf("FromRow: %v (%v)", err, resp)
		}
		links := 0
		forecast.WalkEvidence(resp.Scenarios, "scenarios", func(_ string, e *forecast.EvidenceDTO) {
			if e.GdeltEventID != nil && e.EventURL != nil && *e.EventURL == forecast.EventURL(*e.GdeltEventID) {
				links++
			}
		})
		if links != 2 {
			t.Errorf("%d cited events linked, want 2", links)
		}
	})
}

// Seeding twice stores the golden forecasts once.
func TestSeedGoldenIsIdempotent(t *testing.T) {
	db := storetest.SQLite(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		rows, err := forecast.SeedGolden(context.Background(), db, now)
		if err != nil || len(rows) != len(forecast.GoldenFixtures()) {
			t.Fatalf("seed %d: %d rows, %v", i+1, len(rows), err)
		}
	}
	var n int64
	if err := db.Model(&models.Prediction{}).Count(&n).Error; err != nil || n != 3 {
		t.Fatalf("%d rows after seeding twice (%v), want 3", n, err)
	}
}

// The factory makes valid forecasts, the same ones for the same seed.
func TestRandomForecastsAreValidAndRepeatable(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	a, b := forecast.RandomForecasts(7, 50), forecast.RandomForecasts(7, 50)
	for i := range a {
		if err := a[i].Validate(now); err != nil {
			t.Fatalf("random forecast %d: %v", i, err)
		}
		if a[i].Question != b[i].Question || *a[i].Probability != *b[i].Probability {
			t.Fatalf("forecast %d differs for the same seed", i)
		}
	}
}
