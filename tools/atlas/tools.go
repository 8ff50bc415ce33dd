//go:build tools

// Package tools pins the Atlas CLI (ariga.io/atlas/cmd/atlas) in a module of
// its own, so its large dependency graph never touches the root go.mod.
// v0.13.1 is the last cmd/atlas version the module proxy serves; it needs
// golang.org/x/tools >= v0.52.0 to compile on Go 1.26 (see go.mod).
package tools

import _ "ariga.io/atlas/cmd/atlas"
