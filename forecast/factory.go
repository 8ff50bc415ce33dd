package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"geopol/codes"
)

// factoryCountries are the alpha-3 codes random forecasts are spread over.
var factoryCountries = func() []string {
	var out []string
	for _, c := range codes.Countries() {
		out = append(out, c.Alpha3)
	}
	sort.Strings(out)
	return out
}()

var factoryCategories = []string{"conflict", "diplomatic", "economic", "political", "security"}

// RandomForecasts returns n valid, varied forecast requests, the same for the same seed:
// for tests and benchmarks.
func RandomForecasts(seed uint64, n int) []*ForecastRequest {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]*ForecastRequest, n)
	for i := range out {
		p, conf := round6(rng.Float64()), round6(0.3+0.7*rng.Float64())
		horizon := 7 + rng.IntN(180)
		country := factoryCountries[rng.IntN(len(factoryCountries))]
		cameo := fmt.Sprintf("%02d", 1+rng.IntN(20))
		llm := round6(rng.Float64())
		req := &ForecastRequest{
			Question:         fmt.Sprintf("Will event class %s occur in %s within %d days (case %d)?", cameo, country, horizon, i),
			Prediction:       "Generated forecast for tests and benchmarks.",
			Probability:      &p,
			Confidence:       &conf,
			HorizonDays:      &horizon,
			CountryISO:       &country,
			Category:         factoryCategories[rng.IntN(len(factoryCategories))],
			CameoRootCode:    &cameo,
			ReasoningSummary: "Synthetic reasoning.",
			EnsembleInfo:     &EnsembleInfoDTO{LLMProbability: llm, Weights: map[string]float64{"llm": 0.6, "tkg": 0.4}, TemperatureApplied: 1},
			Entities:         []string{country},
		}
		k := rng.IntN(4)
		share := 1.0 / float64(k+1)
		for j := 0; j < k; j++ {
			req.Scenarios = append(req.Scenarios, ScenarioDTO{
				ScenarioID:  fmt.Sprintf("s%d-%d", i, j),
				Description: "Synthetic scenario.",
				Probability: round6(share * rng.Float64()),
				EvidenceSources: []EvidenceDTO{{Source: "TKG pattern", Description: "Synthetic evidence.",
					Confidence: round6(rng.Float64())}},
			})
		}
		out[i] = req
	}
	return out
}

// round6 keeps generated values short and exact on the wire.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
