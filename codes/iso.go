// Package codes holds the reference codes geopol reads and writes: ISO 3166-1 countries
// (the codes forecasts and the API use), the FIPS 10-4 country codes GDELT publishes and
// their ISO equivalents, and the CAMEO event root codes with their names and the
// QuadClass each belongs to. It is a leaf: it imports nothing of geopol.
package codes

//go:generate go run ./internal/isogen -in iso3166.tsv -out iso_table.go

import "strings"

// Country is one ISO 3166-1 entry.
type Country struct {
	Alpha2 string
	Alpha3 string
	Name   string
}

var byAlpha2, byAlpha3 = func() (map[string]*Country, map[string]*Country) {
	a2 := make(map[string]*Country, len(countries))
	a3 := make(map[string]*Country, len(countries))
	for i := range countries {
		c := &countries[i]
		a2[c.Alpha2], a3[c.Alpha3] = c, c
	}
	return a2, a3
}()

// LookupCountry finds a country by its ISO 3166-1 alpha-2 or alpha-3 code, in any case
// and with surrounding spaces ignored.
func LookupCountry(code string) (Country, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	var c *Country
	switch len(code) {
	case 2:
		c = byAlpha2[code]
	case 3:
		c = byAlpha3[code]
	}
	if c == nil {
		return Country{}, false
	}
	return *c, true
}

// NormalizeISO turns an ISO 3166-1 alpha-2 or alpha-3 code, in any case, into the
// upper-case alpha-3 code geopol stores. It reports false for unknown codes.
func NormalizeISO(code string) (string, bool) {
	c, ok := LookupCountry(code)
	return c.Alpha3, ok
}

// Countries returns every ISO 3166-1 country, sorted by alpha-2 code. The slice is a
// fresh copy the caller may modify.
func Countries() []Country { return append([]Country(nil), countries...) }

// Alpha2 returns the ISO 3166-1 alpha-2 code of a country given by its alpha-2 or
// alpha-3 code (the code the API answers with), or "" for an unknown code.
func Alpha2(code string) string {
	c, _ := LookupCountry(code)
	return c.Alpha2
}

// disputed are the countries whose statehood or sovereignty is not recognised by a
// large part of the UN membership: Kosovo, Palestine, Taiwan and Western Sahara.
// Dashboards mark them (for example with hatching) rather than colour them as settled.
var disputed = map[string]bool{"XK": true, "PS": true, "TW": true, "EH": true}

// Disputed reports whether the country (alpha-2 or alpha-3) is one of those.
func Disputed(code string) bool { return disputed[Alpha2(code)] }
