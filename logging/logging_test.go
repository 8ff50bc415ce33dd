package logging_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"geopol/logging"
)

func TestRequestIDTravelsInContext(t *testing.T) {
	ctx := logging.WithRequestID(context.Background(), "abc123")
	if got := logging.RequestID(ctx); got != "abc123" {
		t.Fatalf("RequestID = %q", got)
	}
	if got := logging.RequestID(context.Background()); got != "" {
		t.Fatalf("empty context gave %q", got)
	}
}

func TestDurationsAreText(t *testing.T) {
	for _, json := range []bool{true, false} {
		var b bytes.Buffer
		log := logging.New(&b, slog.LevelInfo, json)
		log.Info("x", "wait", 15*time.Minute, "group", slog.GroupValue(slog.Duration("inner", 1500*time.Millisecond)))
		out := b.String()
		if !strings.Contains(out, "15m0s") || !strings.Contains(out, "1.5s") || strings.Contains(out, "900000000000") {
			t.Errorf("json=%v: durations not written as text: %s", json, out)
		}
	}
}
