package handlers_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"geopol/codes"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/models"
	"geopol/store/storetest"
)

type eventPage = handlers.Page[handlers.EventDTO]

// ingestSample loads the real GDELT sample into the env's event store.
func (e *env) ingestSample() {
	e.t.Helper()
	run, err := gdelt.Ingest(context.Background(), e.db, e.server.GDELT, storetest.GDELTSample(e.t, true), gdelt.Options{})
	if err != nil || run.EventsNew != 2111 {
		e.t.Fatalf("ingest: %+v %v", run, err)
	}
}

// sampleEvents are the sample's rows as the parser reads them, without the store: the
// independent account the API's answers are checked against.
func sampleEvents(t *testing.T) []gdelt.Event {
	t.Helper()
	f, err := os.Open(storetest.GDELTSample(t, false))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []gdelt.Event
	p := gdelt.NewParser(f)
	for {
		var ev gdelt.Event
		ok, rowErr := p.Next(&ev)
		if !ok {
			break
		}
		if rowErr != nil {
			t.Fatal(rowErr)
		}
		out = append(out, ev)
	}
	if p.Err() != nil || len(out) != 2111 {
		t.Fatalf("parse the sample: %d events, %v", len(out), p.Err())
	}
	return out
}

func (e *env) events(query string) eventPage {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/api/v1/events?"+query, nil)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("events?%s: %d %s", query, rec.Code, rec.Body)
	}
	return decode[eventPage](e.t, rec)
}

// allEvents walks every page of a query.
func (e *env) allEvents(query url.Values) []handlers.EventDTO {
	e.t.Helper()
	var out []handlers.EventDTO
	for {
		page := e.events(query.Encode())
		out = append(out, page.Items...)
		if !page.HasMore {
			return out
		}
		query.Set("cursor", *page.NextCursor)
	}
}

// eventIDs walks every page of a query, 200 at a time, and returns the ids in order.
func (e *env) eventIDs(query string) []int64 {
	e.t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		e.t.Fatal(err)
	}
	q.Set("limit", "200")
	var ids []int64
	for _, ev := range e.allEvents(q) {
		ids = append(ids, ev.ID)
	}
	return ids
}

func TestEventsAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.ingestSample()
		all := e.allEvents(url.Values{"limit": {"200"}})
		if len(all) != 2111 {
			t.Fatalf("paged through %d events, want 2111", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatal("events not newest first / duplicated across pages")
			}
		}
		quads := map[int]int{}
		for _, ev := range all {
			quads[*ev.QuadClass]++
		}
		for q, want := range map[int]int{1: 1222, 2: 281, 3: 271, 4: 337} {
			if n := len(e.allEvents(url.Values{"quad_class": {string(rune('0' + q))}, "limit": {"200"}})); n != want || quads[q] != want {
				t.Errorf("quad_class=%d: %d via filter, %d counted, want %d", q, n, quads[q], want)
			}
		}
		if page := e.events(""); len(page.Items) != 50 || !page.HasMore {
			t.Errorf("default page: %d events, has_more %v; want 50 of more", len(page.Items), page.HasMore)
		}
		one := e.do(http.MethodGet, "/api/v1/events/881990960", nil)
		if ev := decode[handlers.EventDTO](t, one); one.Code != http.StatusOK || ev.ID != 881990960 || *ev.CountryISO != "SY" || *ev.EventRootCode != "19" {
			t.Errorf("event 881990960: %d %+v", one.Code, ev)
		}
		runs := decode[handlers.Page[handlers.IngestRunDTO]](t, e.do(http.MethodGet, "/api/v1/ingest-runs?status=success", nil))
		if len(runs.Items) != 1 || runs.Items[0].EventsFetched != 2111 || runs.Items[0].EventsNew != 2111 || runs.Items[0].Status != models.IngestSuccess {
			t.Errorf("ingest runs: %+v", runs)
		}
	})
}

// Each filter returns exactly the sample's events that satisfy it, as a Go predicate over
// the parsed rows says (not the store's SQL), newest first.
func TestEventsFilters(t *testing.T) {
	sample := sampleEvents(t)
	lower := strings.ToLower
	has := func(s, sub string) bool { return strings.Contains(lower(s), lower(sub)) }
	actor := func(sub string) func(ev gdelt.Event) bool {
		return func(ev gdelt.Event) bool { return has(ev.Actor1Code, sub) || has(ev.Actor2Code, sub) }
	}
	text := func(sub string) func(ev gdelt.Event) bool {
		return func(ev gdelt.Event) bool {
			return has(ev.Actor1Name, sub) || has(ev.Actor2Name, sub) || has(ev.ActionGeoFullName, sub) || has(ev.SourceURL, sub)
		}
	}
	cases := []struct {
		query string
		match func(ev gdelt.Event) bool
		ids   []int64 // hand-picked events the answer must hold
	}{
		{"country=sy", func(ev gdelt.Event) bool { return ev.ActionGeoCountryISO == "SYR" }, []int64{881990960}},
		{"country=SYR", func(ev gdelt.Event) bool { return ev.ActionGeoCountryISO == "SYR" }, []int64{881990960}},
		{"country=ua", func(ev gdelt.Event) bool { return ev.ActionGeoCountryISO == "UKR" }, []int64{881991770}},
		{"start_date=2019-10-23", func(ev gdelt.Event) bool { return ev.SQLDate >= 20191023 }, nil},
		{"end_date=2019-09-24", func(ev gdelt.Event) bool { return ev.SQLDate <= 20190924 }, nil},
		{"start_date=2019-09-24&end_date=2019-10-23", func(ev gdelt.Event) bool { return ev.SQLDate >= 20190924 && ev.SQLDate <= 20191023 }, nil},
		{"start_date=2019-10-17&end_date=2019-10-17", func(ev gdelt.Event) bool { return ev.SQLDate == 20191017 }, nil},
		{"cameo_code=19", func(ev gdelt.Event) bool { return strings.HasPrefix(ev.EventCode, "19") }, []int64{881990960}},
		{"cameo_code=190", func(ev gdelt.Event) bool { return strings.HasPrefix(ev.EventCode, "190") }, []int64{881990960}},
		{"cameo_code=0", func(ev gdelt.Event) bool { return strings.HasPrefix(ev.EventCode, "0") }, nil},
		{"cameo_code=0874", func(ev gdelt.Event) bool { return ev.EventCode == "0874" }, nil},
		{"root_code=19", func(ev gdelt.Event) bool { return ev.EventRootCode == "19" }, []int64{881990960}},
		{"actor=usa", actor("USA"), nil},
		{"actor=Gov", actor("GOV"), nil},
		{"actor=hlh", actor("HLH"), []int64{881990960}},
		{"goldstein_min=-2&goldstein_max=3", func(ev gdelt.Event) bool { return ev.Goldstein >= -2 && ev.Goldstein <= 3 }, nil},
		{"goldstein_max=-10", func(ev gdelt.Event) bool { return ev.Goldstein <= -10 }, []int64{881990960}},
		{"goldstein_min=7", func(ev gdelt.Event) bool { return ev.Goldstein >= 7 }, nil},
		{"min_mentions=10", func(ev gdelt.Event) bool { return ev.NumMentions >= 10 }, []int64{881990960}},
		{"text=hospital", text("hospital"), []int64{881990960}},
		{"text=SYRIA", text("syria"), []int64{881990960}},
		{"text=%20france24.com%20", text("france24.com"), []int64{881990960}},
		{"text=al+%3Fasakah", text("al ?asakah"), []int64{881990960}},
		{"text=_", text("_"), nil},
		{"text=%25", text("%"), nil},
		{"country=us&start_date=2019-10-24&cameo_code=0&goldstein_min=1&text=a&actor=usa", func(ev gdelt.Event) bool {
			return ev.ActionGeoCountryISO == "USA" && ev.SQLDate >= 20191024 && strings.HasPrefix(ev.EventCode, "0") &&
				ev.Goldstein >= 1 && text("a")(ev) && actor("USA")(ev)
		}, nil},
		{"source=gdelt", func(gdelt.Event) bool { return true }, nil},
		{"source=gdelt&country=sy&quad_class=4", func(ev gdelt.Event) bool { return ev.ActionGeoCountryISO == "SYR" && ev.QuadClass == 4 }, []int64{881990960}},
	}
	eachBackend(t, func(t *testing.T, e *env) {
		e.ingestSample()
		for _, c := range cases {
			var want []int64
			for _, ev := range sample {
				if c.match(ev) {
					want = append(want, ev.GlobalEventID)
				}
			}
			slices.Sort(want)
			slices.Reverse(want)
			got := e.eventIDs(c.query)
			if !slices.Equal(got, want) {
				t.Errorf("events?%s: %d events, want the %d the sample has", c.query, len(got), len(want))
			}
			if c.query != "text=%25" && len(want) == 0 || c.query != "source=gdelt" && len(want) == len(sample) {
				t.Errorf("events?%s: the case does not test narrowing (%d of %d events)", c.query, len(want), len(sample))
			}
			for _, id := range c.ids {
				if !slices.Contains(got, id) {
					t.Errorf("events?%s: event %d missing", c.query, id)
				}
			}
		}
		// The sample has no % anywhere: unescaped, the wildcard would match every event.
		if n := len(e.eventIDs("text=%25")); n != 0 {
			t.Errorf("text=%%: %d events", n)
		}
		// acled is a valid source that geopol holds nothing of.
		for _, q := range []string{"source=acled", "source=acled&country=sy&limit=5"} {
			if page := e.events(q); len(page.Items) != 0 || page.HasMore || page.NextCursor != nil {
				t.Errorf("events?%s: %+v, want an empty page", q, page)
			}
		}
	})
}

// The wire shape is the dashboard's EventDTO: id a number, gdelt_id its decimal string,
// event_date a day, country_iso two letters or null, empty text null; GDELT's raw names
// are gone.
func TestEventDTOShape(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.ingestSample()
	bySample := map[int64]gdelt.Event{}
	for _, ev := range sampleEvents(t) {
		bySample[ev.GlobalEventID] = ev
	}
	day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	alpha2 := regexp.MustCompile(`^[A-Z]{2}$`)
	rec := e.do(http.MethodGet, "/api/v1/events?limit=200", nil)
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Items) != 200 {
		t.Fatalf("page: %v, %d items", err, len(page.Items))
	}
	nullText := map[string]func(gdelt.Event) string{
		"actor1_code": func(ev gdelt.Event) string { return ev.Actor1Code },
		"actor2_code": func(ev gdelt.Event) string { return ev.Actor2Code },
		"event_code":  func(ev gdelt.Event) string { return ev.EventCode },
		"url":         func(ev gdelt.Event) string { return ev.SourceURL },
		"actor1_name": func(ev gdelt.Event) string { return ev.Actor1Name },
		"actor2_name": func(ev gdelt.Event) string { return ev.Actor2Name },
	}
	countries := 0
	for _, it := range page.Items {
		id, ok := it["id"].(float64)
		if !ok || id != math.Trunc(id) {
			t.Fatalf("id %#v is not a whole JSON number", it["id"])
		}
		ev, ok := bySample[int64(id)]
		if !ok {
			t.Fatalf("id %v is not a sample event", id)
		}
		if g, ok := it["gdelt_id"].(string); !ok || g != strconv.FormatInt(ev.GlobalEventID, 10) {
			t.Errorf("%v: gdelt_id %#v", id, it["gdelt_id"])
		}
		if d, ok := it["event_date"].(string); !ok || !day.MatchString(d) || strings.ReplaceAll(d, "-", "") != strconv.Itoa(ev.SQLDate) {
			t.Errorf("%v: event_date %#v, SQLDATE %d", id, it["event_date"], ev.SQLDate)
		}
		switch iso := it["country_iso"].(type) {
		case nil:
			if _, known := codes.LookupCountry(ev.ActionGeoCountryISO); known {
				t.Errorf("%v: country_iso null for %s", id, ev.ActionGeoCountryISO)
			}
		case string:
			if c, _ := codes.LookupCountry(ev.ActionGeoCountryISO); !alpha2.MatchString(iso) || iso != c.Alpha2 {
				t.Errorf("%v: country_iso %q for %s", id, iso, ev.ActionGeoCountryISO)
			}
			countries++
		default:
			t.Errorf("%v: country_iso %#v", id, iso)
		}
		for name, field := range nullText {
			want := any(field(ev))
			if want == "" {
				want = nil
			}
			if it[name] != want {
				t.Errorf("%v: %s %#v, want %#v", id, name, it[name], want)
			}
		}
		for name, want := range map[string]float64{"quad_class": float64(ev.QuadClass), "goldstein_scale": ev.Goldstein,
			"num_mentions": float64(ev.NumMentions), "num_sources": float64(ev.NumSources), "tone": ev.AvgTone} {
			if got, ok := it[name].(float64); !ok || got != want {
				t.Errorf("%v: %s %#v, want %v", id, name, it[name], want)
			}
		}
		if title, ok := it["title"].(string); !ok || title != ev.Title() || title == "" {
			t.Errorf("%v: title %#v", id, it["title"])
		}
		if it["source"] != "gdelt" {
			t.Errorf("%v: source %#v", id, it["source"])
		}
		for _, raw := range []string{"gdelt_event_id", "sql_date", "avg_tone", "source_url", "action_geo_country_iso"} {
			if _, ok := it[raw]; ok {
				t.Errorf("%v: raw GDELT field %s is still sent", id, raw)
			}
		}
	}
	if countries == 0 || countries == len(page.Items) {
		t.Errorf("%d of %d events have a country: the page tests neither case", countries, len(page.Items))
	}
	var one map[string]any
	if err := json.Unmarshal(e.do(http.MethodGet, "/api/v1/events/881990960", nil).Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"id": 881990960.0, "gdelt_id": "881990960", "event_date": "2019-10-24",
		"actor1_code": nil, "actor2_code": "HLH", "event_code": "190", "country_iso": "SY", "source": "gdelt",
		"title": "Fight — HOSPITAL (Hasakeh, Al ?asakah, Syria)", "goldstein_scale": -10.0, "quad_class": 4.0,
		"url": "https://www.france24.com/en/20191024-syrian-nurse-speaks-of-ordeal-in-turkish-blockaded-hospital"} {
		if one[name] != want {
			t.Errorf("event 881990960: %s %#v, want %#v", name, one[name], want)
		}
	}
}

func TestEventsAPIRejectsBadParameters(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.ingestSample()
	first := e.events("limit=1")
	long := strings.Repeat("x", 201)
	for query, field := range map[string]string{
		"limit=0":               "limit",
		"limit=201":             "limit",
		"limit=ten":             "limit",
		"country=Atlantis":      "country",
		"country=ZZ":            "country",
		"start_date=24/10/2019": "start_date",
		"start_date=2019-02-30": "start_date",
		"end_date=yesterday":    "end_date",
		"start_date=2019-10-25&end_date=2019-10-01": "end_date",
		"cameo_code=abc":                   "cameo_code",
		"cameo_code=19001":                 "cameo_code",
		"cameo_code=-1":                    "cameo_code",
		"root_code=99":                     "root_code",
		"quad_class=5":                     "quad_class",
		"min_mentions=0":                   "min_mentions",
		"actor=US%20A":                     "actor",
		"actor=US_A":                       "actor",
		"actor=" + strings.Repeat("A", 33): "actor",
		"goldstein_min=-11":                "goldstein_min",
		"goldstein_max=10.5":               "goldstein_max",
		"goldstein_min=NaN":                "goldstein_min",
		"goldstein_max=Inf":                "goldstein_max",
		"goldstein_min=-Infinity":          "goldstein_min",
		"goldstein_min=high":               "goldstein_min",
		"goldstein_min=5&goldstein_max=1":  "goldstein_max",
		"text=" + long:                     "text",
		"text=%20%20":                      "text",
		"text=%FF":                         "text",
		"source=reuters":                   "source",
		"source=GDELT":                     "source",
		"from=2019-10-01":                  "from",
		"to=2019-10-24":                    "to",
		"code=19":                          "code",
		"min_goldstein=-5":                 "min_goldstein",
		"max_goldstein=5":                  "max_goldstein",
	} {
		rec := e.do(http.MethodGet, "/api/v1/events?"+query, nil)
		p := decode[handlers.Problem](t, rec)
		if rec.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != field {
			t.Errorf("events?%s: %d %+v, want 422 naming %s", query, rec.Code, p.Errors, field)
		}
	}
	// Every mistake at once.
	rec := e.do(http.MethodGet, "/api/v1/events?start_date=x&goldstein_max=NaN&source=bbc&limit=0", nil)
	p := decode[handlers.Problem](t, rec)
	var fields []string
	for _, f := range p.Errors {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	if rec.Code != http.StatusUnprocessableEntity || !slices.Equal(fields, []string{"goldstein_max", "limit", "source", "start_date"}) {
		t.Errorf("several bad parameters: %d %v", rec.Code, fields)
	}
	for query, status := range map[string]int{
		"cursor=abc": http.StatusBadRequest,
		"quad_class=1&cursor=" + *first.NextCursor: http.StatusBadRequest, // cursor of another query
		"source=acled&cursor=abc":                  http.StatusBadRequest,
		"country=&start_date=&text=&source=":       http.StatusOK, // empty is absent
		"limit=":                                   http.StatusOK,
	} {
		if rec := e.do(http.MethodGet, "/api/v1/events?"+query, nil); rec.Code != status {
			t.Errorf("events?%s: %d, want %d", query, rec.Code, status)
		}
	}
	for path, status := range map[string]int{
		"/api/v1/events/1":                  http.StatusNotFound,
		"/api/v1/events/abc":                http.StatusNotFound,
		"/api/v1/ingest-runs?status=paused": http.StatusUnprocessableEntity,
		"/api/v1/ingest-runs?cursor=xyz":    http.StatusBadRequest,
		"/api/v1/ingest-runs?limit=51":      http.StatusUnprocessableEntity,
	} {
		if rec := e.do(http.MethodGet, path, nil); rec.Code != status {
			t.Errorf("%s: %d, want %d", path, rec.Code, status)
		}
	}
}

func TestVerifyEvidenceEvents(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.VerifyEvidenceEvents = true
	e := newEnv(t, cfg, memCache())
	unknown := mutate(t, func(m map[string]any) {
		scen(m, 0)["evidence_sources"].([]any)[0].(map[string]any)["gdelt_event_id"] = "123"
	})
	// An empty store cannot tell: accepted.
	if rec := e.post(unknown, "Idempotency-Key", "before-ingest"); rec.Code != http.StatusCreated {
		t.Fatalf("empty store: %d %s", rec.Code, rec.Body)
	}
	e.ingestSample()
	if rec := e.post(golden(t, "syria")); rec.Code != http.StatusCreated {
		t.Fatalf("cited events exist: %d %s", rec.Code, rec.Body)
	}
	rec := e.post(unknown)
	p := decode[handlers.Problem](t, rec)
	if rec.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "scenarios[0].evidence_sources[0].gdelt_event_id" {
		t.Fatalf("unknown event: %d %+v", rec.Code, p)
	}
}
