// Package migrations embeds the versioned SQL migrations that `atlas migrate diff`
// generates from the GORM models, one Atlas directory per dialect. The geopol binary
// applies them itself (`geopol migrate up`), so running it needs no Atlas CLI.
package migrations

import (
	"embed"
	"io/fs"
)

// FS holds postgres/ and sqlite/, each with its .sql files and atlas.sum: the forecast
// database.
//
//go:embed postgres sqlite
var FS embed.FS

//go:embed gdelt/postgres gdelt/sqlite
var gdeltFS embed.FS

// GDELT holds postgres/ and sqlite/ of the GDELT event store (migrations/gdelt).
var GDELT = func() fs.FS {
	sub, err := fs.Sub(gdeltFS, "gdelt")
	if err != nil {
		panic(err)
	}
	return sub
}()
