package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"geopol/gdelt"
	"geopol/handlers"
	"geopol/models"
	"geopol/store/storetest"
)

type eventPage = handlers.Page[gdelt.Event]

// ingestSample loads the real GDELT sample into the env's event store.
func (e *env) ingestSample() {
	e.t.Helper()
	run, err := gdelt.Ingest(context.Background(), e.db, e.server.GDELT, storetest.GDELTSample(e.t, true), gdelt.Options{})
	if err != nil || run.EventsNew != 2111 {
		e.t.Fatalf("ingest: %+v %v", run, err)
	}
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
func (e *env) allEvents(query url.Values) []gdelt.Event {
	e.t.Helper()
	var out []gdelt.Event
	for {
		page := e.events(query.Encode())
		out = append(out, page.Items...)
		if !page.HasMore {
			return out
		}
		query.Set("cursor", *page.NextCursor)
	}
}

func TestEventsAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.ingestSample()
		all := e.allEvents(url.Values{"limit": {"200"}})
		if len(all) != 2111 {
			t.Fatalf("paged through %d events, want 2111", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].GlobalEventID >= all[i-1].GlobalEventID {
				t.Fatal("events not newest first / duplicated across pages")
			}
		}
		quads := map[int]int{}
		for _, ev := range all {
			quads[ev.QuadClass]++
		}
		for q, want := range map[int]int{1: 1222, 2: 281, 3: 271, 4: 337} {
			if n := len(e.allEvents(url.Values{"quad_class": {string(rune('0' + q))}, "limit": {"200"}})); n != want || quads[q] != want {
				t.Errorf("quad_class=%d: %d via filter, %d counted, want %d", q, n, quads[q], want)
			}
		}
		// Every filter narrows to rows that satisfy it.
		syria := e.allEvents(url.Values{"country": {"sy"}, "root_code": {"19"}, "min_mentions": {"5"}, "limit": {"50"}})
		if len(syria) == 0 {
			t.Fatal("no Syrian root-19 events with 5+ mentions; the sample has some (e.g. 881990960)")
		}
		for _, ev := range syria {
			if ev.ActionGeoCountryISO != "SYR" || ev.EventRootCode != "19" || ev.NumMentions < 5 {
				t.Errorf("filter leak: %+v", ev)
			}
		}
		for _, ev := range e.allEvents(url.Values{"code": {"19"}, "max_goldstein": {"-5"}, "actor": {"usa"}, "from": {"2019-10-01"}, "to": {"2019-10-24"}, "limit": {"100"}}) {
			if ev.EventCode[:2] != "19" || ev.Goldstein > -5 || (ev.Actor1Code[:min(3, len(ev.Actor1Code))] != "USA" && ev.Actor2Code[:min(3, len(ev.Actor2Code))] != "USA") || ev.SQLDate < 20191001 || ev.SQLDate > 20191024 {
				t.Errorf("filter leak: %+v", ev)
			}
		}
		one := e.do(http.MethodGet, "/api/v1/events/881990960", nil)
		if ev := decode[gdelt.Event](t, one); one.Code != http.StatusOK || ev.ActionGeoCountryISO != "SYR" || ev.EventRootCode != "19" {
			t.Errorf("event 881990960: %d %+v", one.Code, ev)
		}
		runs := decode[handlers.Page[handlers.IngestRunDTO]](t, e.do(http.MethodGet, "/api/v1/ingest-runs?status=success", nil))
		if len(runs.Items) != 1 || runs.Items[0].EventsFetched != 2111 || runs.Items[0].EventsNew != 2111 || runs.Items[0].Status != models.IngestSuccess {
			t.Errorf("ingest runs: %+v", runs)
		}
	})
}

func TestEventsAPIRejectsBadParameters(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.ingestSample()
	first := e.events("limit=1")
	for query, status := range map[string]int{
		"limit=0":                       http.StatusUnprocessableEntity,
		"limit=201":                     http.StatusUnprocessableEntity,
		"country=Atlantis":              http.StatusUnprocessableEntity,
		"from=24/10/2019":               http.StatusUnprocessableEntity,
		"from=2019-10-25&to=2019-10-01": http.StatusUnprocessableEntity,
		"root_code=99":                  http.StatusUnprocessableEntity,
		"quad_class=5":                  http.StatusUnprocessableEntity,
		"min_goldstein=-11":             http.StatusUnprocessableEntity,
		"actor=US%20A":                  http.StatusUnprocessableEntity,
		"cursor=abc":                    http.StatusBadRequest,
		"quad_class=1&cursor=" + *first.NextCursor: http.StatusBadRequest, // cursor of another query
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
