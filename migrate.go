package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"geopol/store"
)

const migrateUsage = `usage: geopol migrate up|status

  up      apply pending migrations (safe to run repeatedly and concurrently) and say
          which: "applied N migration(s): V1, V2", or "schema up to date (latest V)"
  status  list migrations and when each was applied`

// migrateCmd applies pending schema migrations (up) or lists them (status). It opens
// the database without AUTO_MIGRATE's migration: up reports what it applies itself,
// and status shows what is pending.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	errUsage := usagef("migrate needs exactly one of: up, status")
	if len(args) == 0 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprintln(stderr, migrateUsage)
		if len(args) == 1 && isHelp(args[0]) {
			return nil
		}
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlags("migrate "+sub, migrateUsage, stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, stderr, appOptions{manualSchema: true})
	if err != nil {
		return err
	}
	defer a.close()
	if sub == "up" {
		return migrateUp(ctx, a, stdout)
	}
	return migrateStatus(ctx, a, stdout)
}

// migrateUp applies the pending migrations and says which it applied, or that there
// were none and which version the schema is at.
func migrateUp(ctx context.Context, a *app, stdout io.Writer) error {
	applied, err := store.Migrate(ctx, a.db)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		fmt.Fprintf(stdout, "%s: applied %d migration(s): %s\n", a.cfg.DatabaseLabel(), len(applied), strings.Join(applied, ", "))
		return nil
	}
	latest, err := store.LatestApplied(ctx, a.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema up to date (latest %s)\n", a.cfg.DatabaseLabel(), latest)
	return nil
}

// migrateStatus prints every migration with when it was applied, or that it is pending.
func migrateStatus(ctx context.Context, a *app, stdout io.Writer) error {
	st, err := store.Status(ctx, a.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", a.cfg.DatabaseLabel())
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
