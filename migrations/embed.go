// Package migrations embeds the versioned SQL migrations that `atlas migrate diff`
// generates from the GORM models, one Atlas directory per dialect. The geopol binary
// applies them itself (`geopol migrate up`), so running it needs no Atlas CLI.
package migrations

import "embed"

// FS holds postgres/ and sqlite/, each with its .sql files and atlas.sum.
//
//go:embed postgres sqlite
var FS embed.FS
