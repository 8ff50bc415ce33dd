# Atlas project file: versioned migrations generated from the GORM models.
# Use through scripts/atlas (it builds the CLI and prepares the dev database).
# Written for the Atlas CLI v0.13.1 built in tools/atlas.

# Dev database for the postgres env: Atlas replays migrations there to compute
# diffs, so it must be an empty, disposable database. scripts/atlas recreates
# it and passes --var pg_dev_url when ATLAS_PG_URL points elsewhere.
variable "pg_dev_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/atlas_dev?sslmode=disable&search_path=public"
}

# Desired schema = what GORM would create from ./models, printed as SQL by the
# provider. -mod=mod lets `go run` resolve the provider's package from the
# root go.mod (it is required there but imported by no package of the app).
# One block per dialect: a data source only runs when its env is selected.
#
# Forecast search adds objects GORM tags cannot express (a GIN expression index on
# PostgreSQL, an FTS5 table on SQLite), created by the hand-written
# migrations/*/<ts>_forecast_search.sql. The desired schema is the models plus those
# objects, taken from that file, so diffs neither drop nor re-create them.
# (An env's `exclude` would not help: Atlas v0.13 applies it to `schema` commands only,
# not to `migrate diff`.) SQLite's search triggers are left out: Atlas does not inspect
# triggers. migrations/drift_test.go ignores the same objects.
data "external_schema" "gorm_postgres" {
  program = [
    "sh", "-c", <<-SH
      go run -mod=mod ariga.io/atlas-provider-gorm load --path ./models --dialect postgres &&
      echo && grep -h '^CREATE INDEX "idx_predictions_search"' migrations/postgres/*_forecast_search.sql
    SH
  ]
}

data "external_schema" "gorm_sqlite" {
  program = [
    "sh", "-c", <<-SH
      go run -mod=mod ariga.io/atlas-provider-gorm load --path ./models --dialect sqlite &&
      echo && grep -h '^CREATE VIRTUAL TABLE `predictions_fts`' migrations/sqlite/*_forecast_search.sql
    SH
  ]
}

# Production dialect.
env "postgres" {
  src = data.external_schema.gorm_postgres.url
  dev = var.pg_dev_url
  migration {
    dir = "file://migrations/postgres"
  }
}

# Local/dev dialect; an in-memory SQLite database is a clean dev database
# that needs no server.
env "sqlite" {
  src = data.external_schema.gorm_sqlite.url
  dev = "sqlite://dev?mode=memory"
  migration {
    dir = "file://migrations/sqlite"
  }
}

# The GDELT event store: a schema of its own (gdelt.Models), in its own migration
# directories and revision table, so it can live in the forecast database or apart.
# tools/gdeltschema prints the models' DDL; on PostgreSQL it adds the monthly range
# partitioning of events. Generate with `scripts/atlas diff-gdelt NAME`.
data "external_schema" "gdelt_postgres" {
  program = ["go", "run", "-mod=mod", "./tools/gdeltschema", "-dialect", "postgres"]
}

data "external_schema" "gdelt_sqlite" {
  program = ["go", "run", "-mod=mod", "./tools/gdeltschema", "-dialect", "sqlite"]
}

env "gdelt_postgres" {
  src = data.external_schema.gdelt_postgres.url
  dev = var.pg_dev_url
  migration {
    dir = "file://migrations/gdelt/postgres"
  }
}

env "gdelt_sqlite" {
  src = data.external_schema.gdelt_sqlite.url
  dev = "sqlite://dev?mode=memory"
  migration {
    dir = "file://migrations/gdelt/sqlite"
  }
}
