package forecast

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// Full-text search over the active forecasts (GET /api/v1/forecasts/search), on both
// databases, over question, prediction and reasoning_summary:
//
//   - The query is plain words: runs of letters, digits and combining marks, lower-cased.
//     Everything else (quotes, *, :, -, ^, parentheses) only separates words, and every
//     word is quoted before it reaches the database, so neither engine ever sees query
//     syntax: no input can be a syntax error, and AND/OR/NOT/NEAR are ordinary words.
//     English stop words ("the", "will", "or", ...: PostgreSQL's 'english' list) are
//     dropped on both databases, as PostgreSQL would drop them. A forecast matches when
//     it contains every remaining word (implicit AND), stemmed ("offensives" finds
//     "offensive").
//   - PostgreSQL: the weighted document setweight(question, 'A') || setweight(prediction,
//     'B') || setweight(reasoning_summary, 'C') (the GIN index idx_predictions_search),
//     matched against websearch_to_tsquery('english', ...) and scored with ts_rank and
//     the weights A 1.0, B 0.4, C 0.2.
//   - SQLite: the FTS5 table predictions_fts (porter stemmer), scored with
//     s = -bm25(predictions_fts, 5, 2, 1): the same 5:2:1 weighting of question,
//     prediction and reasoning.
//   - relevance = s / (1 + s), from the engine's score s >= 0: in [0, 1), larger is more
//     relevant, independent of the page and the other results. Scores of the two engines
//     are not on one scale, so relevances are comparable within one database only.
//   - Results are ordered by relevance, then newest first (created_at, then id).
//   - Suggestions (only when nothing matches): see suggest.

// Search limits.
const (
	SearchMaxQueryChars = 200
	SearchDefaultLimit  = 10
	SearchMaxLimit      = 50
	// maxSuggestions bounds the words offered when a search finds nothing.
	maxSuggestions = 5
	// suggestionQuestions is how many of the newest matching forecasts suggestions draw on.
	suggestionQuestions = 2000
	// suggestionPrefix is the shortest shared prefix that makes a word a near match.
	suggestionPrefix = 3
)

// pgSearchDocument is the weighted document of a forecast. It must stay identical to the
// expression of the GIN index idx_predictions_search (migrations/postgres/*_forecast_search.sql),
// or PostgreSQL cannot use the index.
const pgSearchDocument = `(setweight(to_tsvector('english'::regconfig, p.question), 'A') || ` +
	`setweight(to_tsvector('english'::regconfig, p.prediction), 'B') || ` +
	`setweight(to_tsvector('english'::regconfig, p.reasoning_summary), 'C'))`

// SearchQuery is one search.
type SearchQuery struct {
	Text       string    // what the user typed, trimmed: 1 to SearchMaxQueryChars characters
	CountryISO string    // upper-case alpha-3, or "" for every country
	Category   string    // a category, or "" for all
	Limit      int       // 1 to SearchMaxLimit
	Now        time.Time // forecasts whose expires_at is after Now are active
}

// SearchHit is one matching forecast with its relevance in [0, 1].
type SearchHit struct {
	Row       models.Prediction
	Relevance float64
}

// SearchResults are the best Limit hits, how many forecasts match in all, and, when none
// does, suggestions (nil otherwise).
type SearchResults struct {
	Hits        []SearchHit
	Total       int
	Suggestions []string
}

// searchRow is a matching row with its raw score and the number of matches.
type searchRow struct {
	models.Prediction
	Score float64
	Total int
}

// Search finds the active forecasts that match q.Text under the filters, most relevant
// first.
func Search(ctx context.Context, db *gorm.DB, q SearchQuery) (*SearchResults, error) {
	db = db.WithContext(ctx)
	words := searchWords(q.Text)
	var rows []searchRow
	if len(words) > 0 {
		var err error
		if rows, err = searchRows(db, q, words); err != nil {
			return nil, err
		}
	}
	res := &SearchResults{Hits: make([]SearchHit, 0, len(rows))}
	for _, r := range rows {
		res.Hits = append(res.Hits, SearchHit{Row: r.Prediction, Relevance: relevance(r.Score)})
		res.Total = r.Total
	}
	if len(res.Hits) == 0 {
		s, err := suggest(db, q, words)
		if err != nil {
			return nil, err
		}
		res.Suggestions = s
	}
	return res, nil
}

// relevance maps an engine score s >= 0 to s / (1 + s).
func relevance(s float64) float64 {
	if !(s > 0) { // also NaN
		return 0
	}
	return s / (1 + s)
}

func searchRows(db *gorm.DB, q SearchQuery, words []string) ([]searchRow, error) {
	sql, args := searchSQL(store.Dialect(db), q, words)
	var rows []searchRow
	err := db.Raw(sql, args...).Scan(&rows).Error
	return rows, err
}

// searchSQL is the statement that finds the best q.Limit matches of words on dialect,
// each with its score and the number of all matches, and its arguments.
func searchSQL(dialect string, q SearchQuery, words []string) (string, []any) {
	quoted := make([]string, len(words))
	for i, w := range words {
		// Words hold no quotes; doubling them anyway keeps this safe if that ever changes.
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	args := []any{strings.Join(quoted, " "), q.Now}
	filters := "p.expires_at > ?"
	if q.CountryISO != "" {
		filters += " AND p.country_iso = ?"
		args = append(args, q.CountryISO)
	}
	if q.Category != "" {
		filters += " AND p.category = ?"
		args = append(args, q.Category)
	}
	args = append(args, q.Limit)
	const order = "\nORDER BY score DESC, p.created_at DESC, p.id DESC LIMIT ?"
	if dialect == store.Postgres {
		return `SELECT p.*, ts_rank('{0.1, 0.2, 0.4, 1.0}', ` + pgSearchDocument + `, query) AS score, COUNT(*) OVER () AS total
FROM predictions p CROSS JOIN websearch_to_tsquery('english', ?) AS query
WHERE ` + pgSearchDocument + ` @@ query AND ` + filters + order, args
	}
	// bm25() cannot be used beside a window function, so the matches are materialised
	// first; the filters then apply to the joined predictions.
	return `WITH m AS MATERIALIZED (
  SELECT rowid AS rid, -bm25(predictions_fts, 5.0, 2.0, 1.0) AS score
  FROM predictions_fts WHERE predictions_fts MATCH ?)
SELECT p.*, m.score AS score, COUNT(*) OVER () AS total
FROM m JOIN predictions p ON p.rowid = m.rid
WHERE ` + filters + order, args
}

// searchWords splits text into the words search matches: maximal runs of letters, digits
// and combining marks (with at least one letter or digit), lower-cased, without English
// stop words and repeats, in order.
func searchWords(text string) []string {
	var words []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	}) {
		w = strings.ToLower(w)
		if seen[w] || stopWords[w] || strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0 {
			continue
		}
		seen[w] = true
		words = append(words, w)
	}
	return words
}

// suggest offers up to maxSuggestions words for a search that found nothing, taken from
// the questions of the newest suggestionQuestions active forecasts that pass the same
// country and category filters, so that searching any suggestion alone with those filters
// finds a forecast. Candidates are question words of at least three characters that are
// neither stop words nor numbers. Words sharing a prefix of at least three characters with
// a searched word come first (longer shared prefix first: likely corrections or the
// searched word itself), then the words found in the most questions; ties go
// alphabetically. The list is empty, never nil, when no active forecast passes the filters.
func suggest(db *gorm.DB, q SearchQuery, words []string) ([]string, error) {
	tx := db.Model(&models.Prediction{}).Where("expires_at > ?", q.Now)
	if q.CountryISO != "" {
		tx = tx.Where("country_iso = ?", q.CountryISO)
	}
	if q.Category != "" {
		tx = tx.Where("category = ?", q.Category)
	}
	var questions []string
	if err := tx.Order("created_at DESC, id DESC").Limit(suggestionQuestions).Pluck("question", &questions).Error; err != nil {
		return nil, err
	}
	freq := map[string]int{}
	for _, question := range questions {
		for _, w := range searchWords(question) {
			if utf8.RuneCountInString(w) >= 3 && strings.IndexFunc(w, func(r rune) bool { return !unicode.IsNumber(r) }) >= 0 {
				freq[w]++ // searchWords drops repeats: this counts questions
			}
		}
	}
	type candidate struct {
		word         string
		prefix, freq int
	}
	cands := make([]candidate, 0, len(freq))
	for w, n := range freq {
		c := candidate{word: w, freq: n}
		for _, s := range words {
			if p := sharedPrefix(w, s); p >= suggestionPrefix && p > c.prefix {
				c.prefix = p
			}
		}
		cands = append(cands, c)
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.prefix != b.prefix {
			return a.prefix > b.prefix
		}
		if a.freq != b.freq {
			return a.freq > b.freq
		}
		return a.word < b.word
	})
	out := make([]string, 0, maxSuggestions)
	for _, c := range cands[:min(len(cands), maxSuggestions)] {
		out = append(out, c.word)
	}
	return out, nil
}

// sharedPrefix counts the leading characters a and b have in common.
func sharedPrefix(a, b string) int {
	n := 0
	for a != "" && b != "" {
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ra != rb {
			break
		}
		n++
		a, b = a[sa:], b[sb:]
	}
	return n
}

// stopWords is PostgreSQL's English stop word list (tsearch_data/english.stop, from
// Snowball): the words its 'english' configuration leaves out of documents and queries.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours
		yourself yourselves he him his himself she her hers herself it its itself they them
		their theirs themselves what which who whom this that these those am is are was were
		be been being have has had having do does did doing a an the and but if or because
		as until while of at by for with about against between into through during before
		after above below to from up down in out on off over under again further then once
		here there when where why how all any both each few more most other some such no nor
		not only own same so than too very s t can will just don should now`) {
		m[w] = true
	}
	return m
}()
