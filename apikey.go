package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"gorm.io/gorm"

	"geopol/apikey"
)

const apikeyUsage = `usage:
  geopol apikey create --client NAME   make a key for NAME and print it (shown only this once)
  geopol apikey list                   list keys: id, prefix, client, created, last used, revoked
  geopol apikey revoke PREFIX|ID       revoke a key; every API process refuses it within a second

Run with the API's own DATABASE_URL: every API process using that database refuses a
revoked key within a second.`

// apikeyCmd manages API keys from the command line, with the same functions as the
// admin routes: it runs the subcommand args names.
func apikeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, apikeyUsage)
		return usagef("apikey needs one of: create, list, revoke")
	}
	sub, args := args[0], args[1:]
	switch {
	case isHelp(sub):
		fmt.Fprintln(stdout, apikeyUsage)
		return nil
	case sub == "create":
		return apikeyCreate(ctx, args, stdout, stderr)
	case sub == "list":
		return apikeyList(ctx, args, stdout, stderr)
	case sub == "revoke":
		return apikeyRevoke(ctx, args, stdout, stderr)
	}
	fmt.Fprintln(stderr, apikeyUsage)
	return usagef("unknown apikey command %q", sub)
}

// apikeyCreate makes a key for the client --client names and prints it, the only time
// it is ever shown.
func apikeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("apikey create", apikeyUsage, stderr)
	client := fs.String("client", "", "name of the client the key is for (required)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *client == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, apikeyUsage)
		return usagef("apikey create needs --client NAME and nothing else")
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	key, row, err := apikey.Create(ctx, a.db, *client)
	if err != nil {
		return err
	}
	a.log.Info("api key created", "actor", cliActor(), "key_id", row.ID, "prefix", row.Prefix, "client", row.ClientName)
	fmt.Fprintf(stdout, "API key for %q (id %d, prefix %s):\n\n    %s\n\n", row.ClientName, row.ID, row.Prefix, key)
	fmt.Fprintf(stdout, "Store it now: it is shown only this once and cannot be recovered.\n")
	fmt.Fprintf(stdout, "Send it as %s: <key>, or Authorization: Bearer <key>.\n", a.cfg.APIKeyHeader)
	return nil
}

// apikeyList prints every key as a table; keys themselves are never stored, so never
// shown.
func apikeyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("apikey list", apikeyUsage, stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, apikeyUsage)
		return usagef("apikey list takes no arguments")
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	rows, err := apikey.List(ctx, a.db)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no API keys; create one with: geopol apikey create --client NAME")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tCLIENT\tCREATED\tLAST USED\tREVOKED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Prefix, r.ClientName,
			r.CreatedAt.Format(time.RFC3339), stamp(r.LastUsedAt, "never"), stamp(r.RevokedAt, "-"))
	}
	return tw.Flush()
}

// apikeyRevoke revokes the key its argument names (id, display prefix or whole key).
func apikeyRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("apikey revoke", apikeyUsage, stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, apikeyUsage)
		return usagef("apikey revoke needs exactly one PREFIX or ID")
	}
	ref := fs.Arg(0)
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	row, err := apikey.Find(ctx, a.db, ref)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("no API key matches %q (see `geopol apikey list`)", ref)
	}
	if err != nil {
		return err
	}
	row, err = apikey.Revoke(ctx, a.db, row.ID)
	if err != nil {
		return err
	}
	a.log.Info("api key revoked", "actor", cliActor(), "key_id", row.ID, "prefix", row.Prefix, "client", row.ClientName)
	fmt.Fprintf(stdout, "revoked key %d (%s, client %q) at %s\n", row.ID, row.Prefix, row.ClientName, row.RevokedAt.Format(time.RFC3339))
	return nil
}

// cliActor names who ran a CLI command, for the audit log line.
func cliActor() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

// stamp formats t as RFC 3339, or returns none when t is nil.
func stamp(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.RFC3339)
}
