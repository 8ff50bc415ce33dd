package forecast

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/store"
	"geopol/store/storetest"
)

func TestSearchWords(t *testing.T) {
	for text, want := range map[string][]string{
		"Idlib offensive":                  {"idlib", "offensive"},
		`"Idlib" OR -offensive*`:           {"idlib", "offensive"},
		"NEAR(a:b) ^c AND NOT d":           {"near", "b", "c", "d"},
		"Will the junta lose the capital?": {"junta", "lose", "capital"},
		"al-Assad's M4 Київ e\u0301 東京 🚀":  {"al", "assad", "m4", "київ", "e\u0301", "東京"},
		"ukraine UKRAINE Ukraine":          {"ukraine"},
		"\u0301 \x00 \"*:-^() \t":          nil,
		"the will or and not":              nil,
	} {
		if got := searchWords(text); !slices.Equal(got, want) {
			t.Errorf("searchWords(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestRelevance(t *testing.T) {
	prev := -1.0
	for _, s := range []float64{0, 1e-9, 0.06, 0.6, 1, 5, 40, 1e12} {
		r := relevance(s)
		if r < 0 || r >= 1 || r <= prev && s > 0 {
			t.Errorf("relevance(%g) = %g: want in [0, 1) and increasing", s, r)
		}
		prev = r
	}
	if relevance(-1) != 0 || relevance(math.NaN()) != 0 || relevance(1) != 0.5 {
		t.Error("relevance: negative and NaN scores are 0, and 1 maps to 0.5")
	}
}

// The stop words are exactly the 127 that PostgreSQL's 'english' configuration drops, so
// that a query means the same on both databases.
func TestStopWordsMatchPostgres(t *testing.T) {
	db := storetest.Postgres(t)
	if len(stopWords) != 127 {
		t.Errorf("%d stop words, PostgreSQL's english.stop has 127", len(stopWords))
	}
	var words []string
	for w := range stopWords {
		words = append(words, w)
	}
	var kept []string
	if err := db.Raw(`SELECT w FROM unnest(?::text[]) AS w WHERE to_tsvector('english', w) <> ''::tsvector`,
		"{"+strings.Join(words, ",")+"}").Scan(&kept).Error; err != nil {
		t.Fatal(err)
	}
	if len(kept) > 0 {
		t.Errorf("PostgreSQL indexes these, so they are no stop words: %q", kept)
	}
}

// PostgreSQL answers searches from the GIN index: the query's document expression is the
// index's.
func TestSearchUsesTheIndexOnPostgres(t *testing.T) {
	db := storetest.Postgres(t)
	// Enough forecasts, none about Idlib, that scanning them all is the costly plan.
	if err := db.Exec(`INSERT INTO predictions (id, question, prediction, probability, confidence, category,
		reasoning_summary, scenarios, ensemble_info, calibration, entities, created_at, expires_at)
		SELECT gen_random_uuid()::text, 'Will the harbour reopen, case ' || i || '?', 'Likely.', 0.5, 0.5, 'conflict',
			'Reasons.', '[]', '{}', '{}', '[]', now(), now() + interval '30 days'
		FROM generate_series(1, 5000) AS i`).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("ANALYZE predictions").Error; err != nil {
		t.Fatal(err)
	}
	q := SearchQuery{Text: "Idlib offensive", Limit: 10, Now: time.Now()}
	sql, args := searchSQL(store.Postgres, q, searchWords(q.Text))
	var plan []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return err
		}
		rows, err := tx.WithContext(context.Background()).Raw("EXPLAIN "+sql, args...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			plan = append(plan, line)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "idx_predictions_search") {
		t.Errorf("the plan does not use idx_predictions_search:\n%s", strings.Join(plan, "\n"))
	}
}
