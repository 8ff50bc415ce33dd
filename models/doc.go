// Package models holds the GORM structs that are the single source of truth for the
// forecast database schema. Atlas reads these structs (through atlas-provider-gorm) and
// diffs them into the versioned migrations under migrations/; nothing calls AutoMigrate.
//
// Names: what the API and its documentation call a "forecast" is a Prediction row (the
// table predictions); its resolution is an OutcomeRecord, the learned ensemble weights
// are CalibrationWeight rows, each GDELT file loaded is an IngestRun, and API keys are
// ApiKey rows.
//
// Every struct in this package that carries a `gorm` tag becomes a table, so helper
// types that are not tables must not use gorm tags.
//
// Conventions that matter on both dialects:
//   - float64 columns say `type:double precision`: GORM's default on PostgreSQL is numeric,
//     which is slower and round-trips as a string.
//   - time.Time columns carry no type: GORM makes them timestamptz on PostgreSQL and
//     datetime on SQLite (the SQLite driver parses only DATE/DATETIME/TIMESTAMP columns
//     back into time.Time). Values are always written in UTC (see store.OpenDatabase).
package models
