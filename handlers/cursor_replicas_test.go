package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"geopol/store"
	"geopol/store/storetest"
)

// Without CURSOR_SECRET every replica reads the one key generated into the shared
// database, so a cursor made by one pages on another; a replica configured with a
// different secret refuses it, as it refuses one made by nobody.
func TestCursorsAcrossReplicas(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	a := newEnv(t, storetest.Config(t, dbURL), storetest.Redis(t))
	b := newEnv(t, storetest.Config(t, dbURL), storetest.Redis(t))
	a.insertFor("SYR", 3, store.Now(), 7)
	first := decode[forecastPage](t, a.do(http.MethodGet, "/api/v1/forecasts/country/SYR?limit=1", nil))
	if first.NextCursor == nil {
		t.Fatal("no next cursor")
	}
	next := "/api/v1/forecasts/country/SYR?limit=1&cursor=" + *first.NextCursor
	if rec := b.do(http.MethodGet, next, nil); rec.Code != http.StatusOK {
		t.Fatalf("replica b refused replica a's cursor: %d %s", rec.Code, rec.Body)
	}
	cfg := storetest.Config(t, dbURL)
	cfg.CursorSecret = strings.Repeat("k", 32)
	c := newEnv(t, cfg, storetest.Redis(t))
	if rec := c.do(http.MethodGet, next, nil); rec.Code != http.StatusBadRequest {
		t.Fatalf("a replica with another CURSOR_SECRET: %d %s", rec.Code, rec.Body)
	}
	own := decode[forecastPage](t, c.do(http.MethodGet, "/api/v1/forecasts/country/SYR?limit=1", nil))
	if rec := c.do(http.MethodGet, "/api/v1/forecasts/country/SYR?limit=1&cursor="+url.QueryEscape(*own.NextCursor), nil); rec.Code != http.StatusOK {
		t.Fatalf("its own cursor: %d %s", rec.Code, rec.Body)
	}
	if *own.NextCursor == *first.NextCursor {
		t.Fatal("two keys made the same cursor")
	}
}
