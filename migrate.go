package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"geopol/store"
)

// migrateCmd applies pending schema migrations (up) or lists them (status).
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprintln(stderr, "usage: geopol migrate up|status\n\n  up      apply pending migrations (safe to run repeatedly and concurrently)\n  status  list migrations and when each was applied")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errors.New("migrate needs exactly one of: up, status")
	}
	a, err := openApp(ctx, stderr, appOptions{manualSchema: true})
	if err != nil {
		return err
	}
	defer a.close()
	cfg, db := a.cfg, a.db
	if args[0] == "up" {
		applied, err := store.Migrate(ctx, db)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintf(stdout, "%s: schema is up to date\n", cfg.DatabaseLabel())
		}
		for _, v := range applied {
			fmt.Fprintf(stdout, "%s: applied %s\n", cfg.DatabaseLabel(), v)
		}
		return nil
	}
	st, err := store.Status(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", cfg.DatabaseLabel())
	for _, m := range st {
		state := "pending"
		if m.AppliedAt != nil {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		if m.Modified {
			state += " (file changed since it was applied!)"
		}
		fmt.Fprintf(stdout, "  %s  %-30s %s\n", m.Version, m.Description, state)
	}
	return nil
}
