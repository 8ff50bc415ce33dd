package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/forecast"
	"geopol/validate"
)

// SearchResult is one hit of GET /forecasts/search: the full forecast and its relevance
// in [0, 1] (forecast.Search documents the formula).
type SearchResult struct {
	Forecast  *forecast.ForecastResponse `json:"forecast"`
	Relevance float64                    `json:"relevance"`
}

// SearchResponse is the body of GET /forecasts/search. Total counts every matching active
// forecast, not only the page; Suggestions is null when there are results and a list
// (possibly empty) of words to try when there are none.
type SearchResponse struct {
	Results     []SearchResult `json:"results"`
	Total       int            `json:"total"`
	Query       string         `json:"query"`
	Suggestions []string       `json:"suggestions"`
}

// searchParams reads ?q=&country=&category=&limit=, collecting every invalid one.
func searchParams(c *gin.Context) (forecast.SearchQuery, error) {
	var q forecast.SearchQuery
	v := &validate.Collector{}
	raw := c.Query("q")
	v.Text("q", raw, 1, forecast.SearchMaxQueryChars)
	q.Text = strings.TrimSpace(raw)
	if raw := c.Query("country"); raw != "" {
		if iso, ok := codes.NormalizeISO(raw); ok {
			q.CountryISO = iso
		} else {
			v.Add("country", "must be an ISO 3166-1 alpha-2 or alpha-3 code")
		}
	}
	if raw := c.Query("category"); raw != "" {
		if forecast.ValidCategory(raw) {
			q.Category = raw
		} else {
			v.Add("category", "must be a lower-case category word")
		}
	}
	q.Limit = forecast.SearchDefaultLimit
	if raw, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > forecast.SearchMaxLimit {
			v.Add("limit", "must be a whole number from 1 to %d", forecast.SearchMaxLimit)
		}
		q.Limit = n
	}
	return q, v.Err("A query parameter is invalid.")
}

// searchForecasts answers a full-text search over the active forecasts, most relevant
// first. Results are not cached: they are read from the database on every request.
func (s *Server) searchForecasts(c *gin.Context) {
	q, err := searchParams(c)
	if err != nil {
		fail(c, err)
		return
	}
	q.Now = s.now()
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	found, err := forecast.Search(ctx, s.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	resp := SearchResponse{Results: make([]SearchResult, 0, len(found.Hits)), Total: found.Total,
		Query: q.Text, Suggestions: found.Suggestions}
	for i := range found.Hits {
		f, err := forecast.FromRow(&found.Hits[i].Row)
		if err != nil {
			fail(c, err)
			return
		}
		resp.Results = append(resp.Results, SearchResult{Forecast: f, Relevance: found.Hits[i].Relevance})
	}
	writeJSON(c, http.StatusOK, resp, cacheRevalidate)
}
