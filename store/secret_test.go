package store_test

import (
	"context"
	"sync"
	"testing"

	"gorm.io/gorm"

	"geopol/config"
	"geopol/store"
	"geopol/store/storetest"
)

// Processes that ask for a shared secret at the same moment all get one value: the
// first insert wins and every caller reads back the winner. Each caller has a pool of
// its own, as separate API replicas would.
func TestSharedSecretIsCreatedOnceForEveryone(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) (*config.Config, *gorm.DB){
		"postgres": func(t *testing.T) (*config.Config, *gorm.DB) {
			cfg := storetest.Config(t, storetest.PostgresURL(t))
			return cfg, storetest.Open(t, cfg)
		},
		"sqlite": func(t *testing.T) (*config.Config, *gorm.DB) {
			cfg := storetest.Config(t, "")
			return cfg, storetest.Open(t, cfg)
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, first := open(t)
			dbs := []*gorm.DB{first}
			for range 3 {
				db, err := store.OpenDatabase(context.Background(), cfg, storetest.Logger())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = store.Close(db) })
				dbs = append(dbs, db)
			}
			got := make([]string, 4*len(dbs))
			var wg sync.WaitGroup
			for i := range got {
				wg.Go(func() {
					v, err := store.SharedSecret(context.Background(), dbs[i%len(dbs)], "cursor")
					if err != nil {
						t.Error(err)
					}
					got[i] = v
				})
			}
			wg.Wait()
			for i, v := range got {
				if len(v) != 64 || v != got[0] {
					t.Fatalf("caller %d got %q, caller 0 %q", i, v, got[0])
				}
			}
			other, err := store.SharedSecret(context.Background(), first, "another")
			if err != nil || other == got[0] {
				t.Errorf("a second name shares the first's secret: %q %v", other, err)
			}
		})
	}
}
