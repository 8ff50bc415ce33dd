package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"geopol/apikey"
	"geopol/store/storetest"
)

// eventsAnswer is GET /api/v1/events?country=US&limit=200 as the API sends it.
type eventsAnswer struct {
	Items []json.RawMessage `json:"items"`
}

func getEvents(t *testing.T, base, key, query string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/events?"+query, nil)
	req.Header.Set("X-API-Key", key)
	res, err := processClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// With GDELT_DATABASE_URL the sample zip ingests as 2,111 new events, then as 2,111
// duplicates; two API processes in different working directories (where a SQLite event
// file would be one each) answer /events?country=US from the one PostgreSQL event store,
// exactly as API processes on a SQLite event file holding the same sample answer.
func TestPostgresEventStoreSharedByAPIProcesses(t *testing.T) {
	ctx := context.Background()
	answers := map[string]string{}
	for _, backend := range []string{"sqlite", "postgres"} {
		cfg := cliEnv(t, true)
		if backend == "postgres" {
			t.Setenv("GDELT_DATABASE_URL", cfg.DatabaseURL)
		}
		zip := storetest.GDELTSample(t, true)
		for i, want := range []string{"new=2111 duplicate=0", "new=0 duplicate=2111"} {
			out, errOut, err := runCLI(t, "ingest", zip)
			if err != nil || !strings.Contains(out, want) {
				t.Fatalf("%s ingest %d: %v\n%s%s\nwant %q", backend, i+1, err, out, errOut, want)
			}
		}
		db := storetest.Open(t, cfg)
		key, _, err := apikey.Create(ctx, db, "pgevents-"+backend)
		if err != nil {
			t.Fatal(err)
		}
		extra := []string{"GDELT_DB_PATH=data/gdelt.db"} // relative: one file per working directory
		if backend == "postgres" {
			extra = append(extra, "GDELT_DATABASE_URL="+cfg.DatabaseURL)
		} else {
			extra = []string{} // both read the file the CLI wrote
		}
		servers := startServers(t, 2, cfg, extra...)
		for i, s := range servers {
			code, body := getEvents(t, s.base, key, "country=US&limit=200")
			var page eventsAnswer
			if err := json.Unmarshal([]byte(body), &page); code != http.StatusOK || err != nil || len(page.Items) == 0 {
				t.Fatalf("%s server %d: %d %s", backend, i, code, body[:min(len(body), 300)])
			}
			// The items, not the page's cursor: cursors are signed with each
			// database's own secret.
			items, _ := json.Marshal(page.Items)
			if prev, ok := answers[backend]; ok && prev != string(items) {
				t.Fatalf("%s: the two API processes answer differently", backend)
			}
			answers[backend] = string(items)
		}
	}
	if answers["sqlite"] != answers["postgres"] {
		t.Fatalf("/events?country=US differs between the event stores:\nsqlite   %.400s\npostgres %.400s", answers["sqlite"], answers["postgres"])
	}
}
