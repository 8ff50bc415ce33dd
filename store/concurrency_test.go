package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"geopol/config"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// Environment of a worker process started by TestThreeProcessesSharePostgres.
const (
	workerURLEnv  = "GEOPOL_WORKER_DATABASE_URL"
	workerNameEnv = "GEOPOL_WORKER_NAME"
	workerRows    = 200
)

func TestMain(m *testing.M) {
	if url := os.Getenv(workerURLEnv); url != "" {
		if err := worker(url, os.Getenv(workerNameEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// worker inserts workerRows forecasts tagged with its name, reading each back and
// reading the whole table between writes, as an API process would.
func worker(url, name string) error {
	cfg, err := config.Load(config.Options{ConfigFile: "-absent-", EnvFile: "-absent-",
		Environ: []string{"ENVIRONMENT=testing", "DATABASE_URL=" + url}})
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.OpenDatabase(ctx, cfg, storetest.Logger())
	if err != nil {
		return err
	}
	defer store.Close(db)
	for i := 0; i < workerRows; i++ {
		now := store.Now()
		p := models.Prediction{ID: uuid.NewString(), Question: "worker " + name + " question " + strconv.Itoa(i),
			PredictionText: "p", Probability: float64(i%100) / 100, Confidence: 0.5, HorizonDays: 30, Category: name,
			ReasoningSummary: "r", Scenarios: models.JSON("[]"), EnsembleInfo: models.JSON("{}"),
			Calibration: models.JSON("{}"), Entities: models.JSON("[]"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.Create(&p).Error; err != nil {
			return fmt.Errorf("insert %d: %w", i, err)
		}
		var back models.Prediction
		if err := db.First(&back, "id = ?", p.ID).Error; err != nil {
			return fmt.Errorf("read back %d: %w", i, err)
		}
		// Every row this process has written is visible to its next read, whatever the
		// other processes are doing.
		var total, mine int64
		if err := db.Model(&models.Prediction{}).Count(&total).Error; err != nil {
			return err
		}
		if err := db.Model(&models.Prediction{}).Where("category = ?", name).Count(&mine).Error; err != nil {
			return err
		}
		if mine != int64(i+1) || total < mine {
			return fmt.Errorf("after %d inserts: %d own rows of %d in all", i+1, mine, total)
		}
	}
	return nil
}

// Three separate OS processes write and read one PostgreSQL database at once; every row
// of every process must be there afterwards.
func TestThreeProcessesSharePostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	db := storetest.Open(t, storetest.Config(t, url))

	names := []string{"alpha", "bravo", "charlie"}
	cmds := make([]*exec.Cmd, len(names))
	for i, name := range names {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), workerURLEnv+"="+url, workerNameEnv+"="+name)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("worker %s failed: %v", names[i], err)
		}
	}
	for _, name := range names {
		var n int64
		if err := db.Model(&models.Prediction{}).Where("category = ?", name).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != workerRows {
			t.Errorf("worker %s: %d rows, want %d", name, n, workerRows)
		}
	}
}
