package baseline

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"geopol/codes"
	"geopol/gdelt"
)

// Generated event histories with known rates, for tests and demonstrations. They are
// written as GDELT 2.0 events exports, so that they enter the event store through
// gdelt.Ingest like real files.

// Series is a generated history: one event per day of Days, of RootCode, located in
// the country whose FIPS 10-4 code is CountryFIPS, with Mentions mentions and Sources
// sources (at or above the rule's thresholds, or below them for noise).
type Series struct {
	CountryFIPS string
	RootCode    string
	Days        []Day
	Mentions    int
	Sources     int
}

// PeriodicDays are the days first, first+period, ... up to last.
func PeriodicDays(first, last Day, period int) []Day {
	var out []Day
	for d := first; d <= last; d += Day(period) {
		out = append(out, d)
	}
	return out
}

// RandomDays are the days of [first, last] each drawn independently with probability
// q, from a PCG generator seeded with seed: the same seed gives the same days.
func RandomDays(seed uint64, first, last Day, q float64) []Day {
	rng := rand.New(rand.NewPCG(seed, seed^0x5deece66d))
	var out []Day
	for d := first; d <= last; d++ {
		if rng.Float64() < q {
			out = append(out, d)
		}
	}
	return out
}

// Events turns series into events with GLOBALEVENTIDs from firstID upwards, each
// published (DATEADDED) at noon of its day.
func Events(firstID int64, series ...Series) []gdelt.Event {
	var out []gdelt.Event
	id := firstID
	for _, s := range series {
		quad, _ := codes.RootQuadClass(s.RootCode)
		for _, d := range s.Days {
			out = append(out, gdelt.Event{GlobalEventID: id, SQLDate: d.SQLDate(), DateAdded: int64(d.SQLDate())*1_000_000 + 120000,
				Actor1Code: "GOV", Actor1Name: "GOVERNMENT", EventCode: s.RootCode + "0", EventBaseCode: s.RootCode + "0",
				EventRootCode: s.RootCode, QuadClass: int(quad), NumMentions: s.Mentions, NumSources: s.Sources,
				NumArticles: s.Mentions, ActionGeoFullName: "Generated place", ActionGeoCountryFIPS: s.CountryFIPS,
				SourceURL: "https://example.org/generated/" + strconv.FormatInt(id, 10)})
			id++
		}
	}
	return out
}

// WriteExport writes events as a GDELT 2.0 events export (61 tab-separated columns),
// the columns geopol reads filled in and the others empty.
func WriteExport(w io.Writer, events []gdelt.Event) error {
	bw := bufio.NewWriter(w)
	cols := make([]string, gdelt.Columns)
	for _, e := range events {
		clear(cols)
		cols[0] = strconv.FormatInt(e.GlobalEventID, 10)
		cols[1] = strconv.Itoa(e.SQLDate)
		cols[5], cols[6], cols[7] = e.Actor1Code, e.Actor1Name, e.Actor1CountryCode
		cols[15], cols[16], cols[17] = e.Actor2Code, e.Actor2Name, e.Actor2CountryCode
		cols[26], cols[27], cols[28] = e.EventCode, e.EventBaseCode, e.EventRootCode
		cols[29] = strconv.Itoa(e.QuadClass)
		cols[30] = strconv.FormatFloat(e.Goldstein, 'f', -1, 64)
		cols[31], cols[32], cols[33] = strconv.Itoa(e.NumMentions), strconv.Itoa(e.NumSources), strconv.Itoa(e.NumArticles)
		cols[34] = strconv.FormatFloat(e.AvgTone, 'f', -1, 64)
		cols[52], cols[53] = e.ActionGeoFullName, e.ActionGeoCountryFIPS
		cols[59] = strconv.FormatInt(e.DateAdded, 10)
		cols[60] = e.SourceURL
		if _, err := fmt.Fprintln(bw, strings.Join(cols, "\t")); err != nil {
			return err
		}
	}
	return bw.Flush()
}
