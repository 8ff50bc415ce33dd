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

// request is a server's per-request state as logging sees it.
type request struct{ id string }

func (r *request) RequestID() string { return r.id }

func TestRequestIDTravelsInContext(t *testing.T) {
	r := &request{id: "abc123"}
	ctx := logging.WithRequest(context.Background(), r)
	if got := logging.RequestID(ctx); got != "abc123" {
		t.Fatalf("RequestID = %q", got)
	}
	if got := logging.RequestValue(ctx); got != r {
		t.Fatalf("RequestValue = %v, want the value put in", got)
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
