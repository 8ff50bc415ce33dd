// Package calibration closes geopol's forecasting loop: it resolves expired forecasts
// against the GDELT event store, scores resolved forecasts (Brier score, log score,
// reliability diagram, Murphy decomposition, expected calibration error) and learns
// per-CAMEO-code ensemble weights from the scores.
//
// The files split pure arithmetic (score.go, weights.go: no database, tested against
// hand-computed values) from the functions that read and write the forecast database
// (scorecard.go, fit.go, resolve.go).
package calibration

import "math"

// Scoring constants.
const (
	// NumBins is the number of equal-width bins of the reliability diagram.
	NumBins = 10
	// MinBinSample is the bin size below which a bin is flagged insufficient_sample:
	// an observed rate from fewer forecasts is mostly noise.
	MinBinSample = 30
	// LogEps clamps probabilities into [LogEps, 1-LogEps] for the log score, so a
	// confident miss costs about 34.5 instead of infinity.
	LogEps = 1e-15
)

// Sample is one scored forecast: the probability it gave and what happened (1 = yes,
// 0 = no, in between for partial resolutions).
type Sample struct {
	Forecast float64
	Outcome  float64
}

// Brier is the mean squared difference between forecast and outcome: 0 is perfect,
// 0.25 is what always saying 0.5 earns, 1 is confidently wrong. NaN for no samples.
func Brier(s []Sample) float64 {
	sum := 0.0
	for _, x := range s {
		d := x.Forecast - x.Outcome
		sum += d * d
	}
	return sum / float64(len(s))
}

// LogScore is the mean negative log-likelihood of the outcomes,
// -[o ln p + (1-o) ln(1-p)] with p clamped to [LogEps, 1-LogEps]: 0 is perfect,
// ln 2 (about 0.693) is what 0.5 earns; lower is better. NaN for no samples.
func LogScore(s []Sample) float64 {
	sum := 0.0
	for _, x := range s {
		p := math.Min(math.Max(x.Forecast, LogEps), 1-LogEps)
		sum -= x.Outcome*math.Log(p) + (1-x.Outcome)*math.Log(1-p)
	}
	return sum / float64(len(s))
}

// ClimatologyBrier is the Brier score of climatology, the forecast that always gives the
// base rate ō of s: BS_ref = (1/N) Σ (ō - o_i)², which is ō(1 - ō) when every outcome
// is 0 or 1. NaN for no samples.
func ClimatologyBrier(s []Sample) float64 {
	mean := 0.0
	for _, x := range s {
		mean += x.Outcome
	}
	mean /= float64(len(s))
	sum := 0.0
	for _, x := range s {
		d := mean - x.Outcome
		sum += d * d
	}
	return sum / float64(len(s))
}

// SkillScore is the Brier skill score of a Brier score bs against a reference's ref:
// BSS = 1 - bs/ref. 1 is perfect, 0 is no better than the reference, negative is worse.
// ok is false when ref is 0 (or not a number): against a reference that makes no error
// skill is undefined.
func SkillScore(bs, ref float64) (skill float64, ok bool) {
	if !(ref > 0) || math.IsNaN(bs) {
		return 0, false
	}
	return 1 - bs/ref, true
}

// Accuracy is the share of forecasts whose rounded probability matched the rounded
// outcome: a probability of at least 0.5 is a "yes" call, and it is right when the
// outcome is at least 0.5. This is the calibration block's historical_accuracy.
func Accuracy(s []Sample) float64 {
	hits := 0
	for _, x := range s {
		if (x.Forecast >= 0.5) == (x.Outcome >= 0.5) {
			hits++
		}
	}
	return float64(hits) / float64(len(s))
}

// Bin is one bar of the reliability diagram: forecasts in [Lower, Upper) (the last
// bin includes 1), how many, their mean and the mean outcome. Means are null for an
// empty bin.
type Bin struct {
	Lower              float64  `json:"lower"`
	Upper              float64  `json:"upper"`
	Count              int      `json:"count"`
	MeanForecast       *float64 `json:"mean_forecast"`
	ObservedRate       *float64 `json:"observed_rate"`
	InsufficientSample bool     `json:"insufficient_sample"`
}

// BinIndex is the reliability bin of probability p: floor(p*10), with 1 in the top bin.
func BinIndex(p float64) int {
	i := int(math.Floor(p * NumBins))
	return min(max(i, 0), NumBins-1)
}

// Bins builds the reliability diagram: NumBins equal bins over [0,1].
func Bins(s []Sample) []Bin {
	var sumF, sumO [NumBins]float64
	var n [NumBins]int
	for _, x := range s {
		i := BinIndex(x.Forecast)
		n[i]++
		sumF[i] += x.Forecast
		sumO[i] += x.Outcome
	}
	out := make([]Bin, NumBins)
	for i := range out {
		b := Bin{Lower: float64(i) / NumBins, Upper: float64(i+1) / NumBins, Count: n[i], InsufficientSample: n[i] < MinBinSample}
		if n[i] > 0 {
			f, o := sumF[i]/float64(n[i]), sumO[i]/float64(n[i])
			b.MeanForecast, b.ObservedRate = &f, &o
		}
		out[i] = b
	}
	return out
}

// Decomposition is Murphy's partition of the Brier score over the reliability bins:
// BS = Reliability - Resolution + Uncertainty, exactly when every forecast equals its
// bin's mean forecast and outcomes are 0 or 1 (otherwise up to the within-bin spread).
//
//	Reliability = (1/N) Σ_k n_k (f̄_k - ō_k)²   (calibration error; lower is better)
//	Resolution  = (1/N) Σ_k n_k (ō_k - ō)²     (how much bins differ; higher is better)
//	Uncertainty = ō (1 - ō)                    (the base rate's own variance)
type Decomposition struct {
	Reliability float64
	Resolution  float64
	Uncertainty float64
	// ECE is the expected calibration error Σ_k (n_k/N) |f̄_k - ō_k|.
	ECE float64
	// BaseRate is ō, the mean outcome.
	BaseRate float64
}

// Decompose computes the Murphy decomposition and ECE from the bins of s.
func Decompose(s []Sample) Decomposition {
	var d Decomposition
	if len(s) == 0 {
		return d
	}
	total := 0.0
	for _, x := range s {
		total += x.Outcome
	}
	N := float64(len(s))
	d.BaseRate = total / N
	d.Uncertainty = d.BaseRate * (1 - d.BaseRate)
	for _, b := range Bins(s) {
		if b.Count == 0 {
			continue
		}
		w := float64(b.Count) / N
		gap := *b.MeanForecast - *b.ObservedRate
		d.Reliability += w * gap * gap
		spread := *b.ObservedRate - d.BaseRate
		d.Resolution += w * spread * spread
		d.ECE += w * math.Abs(gap)
	}
	return d
}
