package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// notProvided answers 501 for a route a dashboard calls for something geopol does not
// hold, naming what is missing, so that the call never falls into another route's 404.
func notProvided(what string) gin.HandlerFunc {
	return func(c *gin.Context) {
		fail(c, newError(http.StatusNotImplemented, "Not Implemented",
			what+" "+c.Request.Method+" "+c.FullPath()+" is not provided by geopol."))
	}
}

// What geopol does not provide, by the reason a dashboard should show.
const (
	noMarkets     = "geopol does not track prediction markets (Polymarket):"
	noSubmissions = "geopol stores forecasts that engines make; it does not take questions to forecast:"
	noArticles    = "geopol holds GDELT events, not news articles:"
	noSources     = "geopol ingests GDELT only; its state is in GET /api/v1/health and /api/v1/ingest-runs:"
	noAdvisories  = "geopol does not collect government travel advisories:"
	noHeatmap     = "the H3 event heatmap needs an H3 library, and none exists in pure Go for geopol's static (CGO_ENABLED=0) build:"
)
