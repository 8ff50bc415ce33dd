package handlers

import "strings"

// isoCountry is one ISO 3166-1 entry.
type isoCountry struct {
	Alpha3 string
	Name   string
}

// alpha3Index maps alpha-3 codes back to themselves, built once from isoCountries.
var alpha3Index = func() map[string]string {
	m := make(map[string]string, len(isoCountries)+1)
	for _, c := range isoCountries {
		m[c.Alpha3] = c.Alpha3
	}
	return m
}()

func init() {
	// Kosovo has no official ISO code; XK/XKX is the user-assigned code the EU, the
	// IMF and news sources use, and forecasts about it are common.
	isoCountries["XK"] = isoCountry{Alpha3: "XKX", Name: "Kosovo"}
	alpha3Index["XKX"] = "XKX"
}

// NormalizeISO turns an ISO 3166-1 alpha-2 or alpha-3 code, in any case, into the
// upper-case alpha-3 code geopol stores. It reports false for unknown codes.
func NormalizeISO(code string) (string, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	switch len(code) {
	case 2:
		c, ok := isoCountries[code]
		return c.Alpha3, ok
	case 3:
		a3, ok := alpha3Index[code]
		return a3, ok
	}
	return "", false
}
