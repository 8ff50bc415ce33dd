# Atlas project file: versioned migrations generated from the GORM models.
# Use through scripts/atlas (it builds the CLI and prepares the dev database).
# Written for the Atlas CLI v0.13.1 built in tools/atlas.

# Dev database for the postgres env: Atlas replays migrations there to compute
# diffs, so it must be an empty, disposable database. scripts/atlas recreates
# it and passes --var pg_dev_url when ATLAS_PG_URL points elsewhere.
variable "pg_dev_url" {
  type    = string
  default = "postgres://root@127.0.0.1:5432/atlas_dev?sslmode=disable&search_path=public"
}

# Desired schema = what GORM would create from ./models, printed as SQL by the
# provider. -mod=mod lets `go run` resolve the provider's package from the
# root go.mod (it is required there but imported by no package of the app).
# One block per dialect: a data source only runs when its env is selected.
data "external_schema" "gorm_postgres" {
  program = [
    "go", "run", "-mod=mod", "ariga.io/atlas-provider-gorm",
    "load", "--path", "./models", "--dialect", "postgres",
  ]
}

data "external_schema" "gorm_sqlite" {
  program = [
    "go", "run", "-mod=mod", "ariga.io/atlas-provider-gorm",
    "load", "--path", "./models", "--dialect", "sqlite",
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
