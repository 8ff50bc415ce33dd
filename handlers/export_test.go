package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"geopol/forecast"
	"geopol/forecast/forecasttest"
	"geopol/handlers"
)

func TestExports(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ids := forecasttest.Seed(t, e.db, forecasttest.Options{N: 2500, Seed: 3, Resolved: 0.5})
		var total, resolved, conflict int64
		e.db.Table("predictions").Count(&total)
		e.db.Table("outcome_records").Where("status = 'resolved'").Count(&resolved)
		e.db.Table("predictions").Where("category = 'conflict'").Count(&conflict)

		// CSV: a header, then every forecast, oldest first, across chunks of 1,000.
		rec := e.do("GET", "/api/v1/export/forecasts", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(rec.Header().Get("Content-Disposition"), `attachment; filename="geopol-forecasts-`) {
			t.Fatalf("CSV export: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"))
		}
		records, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(records) != int(total)+1 || records[0][0] != "forecast_id" || records[1][0] != ids[0] || records[len(records)-1][0] != ids[len(ids)-1] {
			t.Fatalf("CSV: %d records (want %d + header), first %v", len(records), total, records[0])
		}
		if cc := records[1][3]; len(cc) != 2 {
			t.Errorf("country_iso %q: want alpha-2, like every output", cc)
		}

		// NDJSON with filters: one forecast per line, in the API's shape.
		rec = e.do("GET", "/api/v1/export/forecasts?format=ndjson&category=conflict", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("NDJSON export: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		n := 0
		sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var f forecast.ForecastResponse
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil || f.Category != "conflict" {
				t.Fatalf("line %d: %v %+v", n+1, err, f.Category)
			}
			n++
		}
		if n != int(conflict) {
			t.Errorf("NDJSON conflict forecasts: %d, want %d", n, conflict)
		}

		// Outcomes: resolved only, with the forecast's probability for scoring.
		rec = e.do("GET", "/api/v1/export/outcomes?format=ndjson&status=resolved", nil)
		lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
		if rec.Code != 200 || len(lines) != int(resolved) {
			t.Fatalf("outcomes: %d, %d lines, want %d", rec.Code, len(lines), resolved)
		}
		var o handlers.ExportOutcome
		if err := json.Unmarshal([]byte(lines[0]), &o); err != nil || o.Status != "resolved" || o.Probability <= 0 && o.Probability != 0 {
			t.Errorf("outcome line: %v %+v", err, o)
		}
		rec = e.do("GET", "/api/v1/export/outcomes?country=XKX&from=2020-01-01", nil)
		if rec.Code != 200 {
			t.Errorf("outcomes CSV with filters: %d", rec.Code)
		}
		if rec := e.serve(httptest.NewRequest("HEAD", "/api/v1/export/outcomes", nil)); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
		}
		for _, bad := range []string{"/api/v1/export/forecasts?format=xlsx", "/api/v1/export/forecasts?status=resolved",
			"/api/v1/export/outcomes?status=open", "/api/v1/export/forecasts?from=yesterday", "/api/v1/export/outcomes?country=ZZ"} {
			if rec := e.do("GET", bad, nil); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("GET %s: %d, want 422", bad, rec.Code)
			}
		}
	})
}

// Free text a client wrote cannot become a spreadsheet formula.
func TestExportCSVInjection(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	body := bytes.Replace(golden(t, "syria"), []byte(`"question":"`), []byte(`"question":"=HYPERLINK(\"http://x\") `), 1)
	if rec := e.do("POST", "/api/v1/forecasts", body); rec.Code != 201 {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	records, err := csv.NewReader(e.do("GET", "/api/v1/export/forecasts", nil).Body).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("%v %d", err, len(records))
	}
	if q := records[1][10]; !strings.HasPrefix(q, "'=HYPERLINK") {
		t.Errorf("question cell %q: want it neutralised with a leading apostrophe", q)
	}
}
