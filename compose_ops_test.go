package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"

	"geopol/config"
)

// loadComposeWithDotEnv loads a copy of compose.yaml from a directory holding dotEnv as
// its .env, the way `docker compose up` does: .env feeds both the interpolation and,
// through env_file, the containers. Nothing of the process environment is read.
func loadComposeWithDotEnv(t *testing.T, dotEnv string) (*types.Project, error) {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"compose.yaml": string(src), ".env": dotEnv} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithEnv([]string{}), cli.WithEnvFiles(), cli.WithDotEnv)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func dotEnvExample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(".env.example")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The shipped .env.example must not satisfy the password guard: a copy that was not
// edited stops compose with the message naming POSTGRES_PASSWORD.
func TestComposeGuardFiresWithDotEnvExample(t *testing.T) {
	env, err := dotenv.UnmarshalBytesWithLookup([]byte(dotEnvExample(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if env["POSTGRES_PASSWORD"] != "" {
		t.Errorf(".env.example ships POSTGRES_PASSWORD=%q; it must be empty so compose refuses to start until one is chosen", env["POSTGRES_PASSWORD"])
	}
	if _, err := loadComposeWithDotEnv(t, dotEnvExample(t)); err == nil || !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Fatalf("compose with an unedited .env.example: error %v, want the POSTGRES_PASSWORD guard", err)
	}
}

// Every setting of .env reaches the geopol containers (env_file), while compose's own
// wiring (database and Redis URLs, paths, addresses) wins over .env.
func TestComposePassesDotEnvSettings(t *testing.T) {
	dotEnv := strings.Replace(dotEnvExample(t), "POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=pw-dotenv-1\n", 1) +
		"\nRATE_LIMIT_PER_MINUTE=123\nCACHE_TTL_LIST=45s\nLOG_LEVEL=debug\nDATABASE_URL=postgres://elsewhere:5432/x\nMETRICS_ADDR=\n"
	p, err := loadComposeWithDotEnv(t, dotEnv)
	if err != nil {
		t.Fatalf("load compose.yaml with a .env: %v", err)
	}
	api := service(t, p, "api")
	for k, want := range map[string]string{
		"RATE_LIMIT_PER_MINUTE": "123", "CACHE_TTL_LIST": "45s", "LOG_LEVEL": "debug", // from .env
		"METRICS_ADDR": ":9090", "HTTP_ADDR": ":8000", "ENVIRONMENT": "production", // wiring wins
	} {
		if got := envValue(t, api, k); got != want {
			t.Errorf("api %s = %q, want %q", k, got, want)
		}
	}
	if db := envValue(t, api, "DATABASE_URL"); !strings.Contains(db, "@postgres:5432/") || !strings.Contains(db, "pw-dotenv-1") {
		t.Errorf("api DATABASE_URL = %q: .env must not replace compose's database wiring", db)
	}
	// Every documented setting reaches each geopol container, from .env or the wiring.
	for _, name := range []string{"migrate", "api", "ingest"} {
		s := service(t, p, name)
		for _, k := range config.Keys {
			if _, ok := s.Environment[strings.ToUpper(k.Name)]; !ok {
				t.Errorf("%s: %s from .env does not reach the container", name, strings.ToUpper(k.Name))
			}
		}
	}
	if r := envValue(t, service(t, p, "ingest"), "REDIS_URL"); !strings.HasPrefix(r, "redis://redis:") {
		t.Errorf("ingest REDIS_URL = %q: finished runs must reach the API's live stream through Redis", r)
	}
}

// The api is healthy when `geopol health` says so (the image has no shell or HTTP
// client); the one-shot and the ingest container, which serve no API, disable the
// image's check. Each geopol service reads .env (optional) as its env_file.
func TestComposeHealthcheckAndEnvFile(t *testing.T) {
	p, err := loadCompose(t, map[string]string{"POSTGRES_PASSWORD": "pw-hc-1"})
	if err != nil {
		t.Fatal(err)
	}
	api := service(t, p, "api")
	hc := api.HealthCheck
	if hc == nil || len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/geopol" || hc.Test[2] != "health" {
		t.Errorf("api healthcheck = %+v, want [CMD /geopol health ...]", hc)
	} else if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil || hc.StartPeriod == nil {
		t.Errorf("api healthcheck lacks interval/timeout/retries/start_period: %+v", hc)
	}
	for _, name := range []string{"migrate", "ingest"} {
		if hc := service(t, p, name).HealthCheck; hc == nil || !hc.Disable {
			t.Errorf("%s healthcheck = %+v, want disabled (it serves no API)", name, hc)
		}
	}
	metrics := false
	for _, port := range api.Ports {
		if port.Target == 9090 && port.HostIP == "127.0.0.1" && port.Published == "9090" {
			metrics = true
		}
	}
	if !metrics {
		t.Errorf("api ports = %+v, want the metrics port 9090 published on 127.0.0.1 only", api.Ports)
	}
}

// The final stage probes the API with the binary itself, in exec form (no shell).
func TestDockerfileHealthcheck(t *testing.T) {
	stages := dockerfileStages(t)
	var hc string
	for _, ins := range stages[len(stages)-1] {
		if f := strings.Fields(ins); strings.EqualFold(f[0], "HEALTHCHECK") {
			hc = ins
		}
	}
	if hc == "" {
		t.Fatal("the final stage has no HEALTHCHECK")
	}
	_, cmd, ok := strings.Cut(hc, " CMD ")
	if !ok || !strings.HasPrefix(strings.TrimSpace(cmd), `["/geopol", "health"`) {
		t.Errorf("HEALTHCHECK %q: want the exec form CMD [\"/geopol\", \"health\", ...]", hc)
	}
	if !slices.ContainsFunc(strings.Fields(hc), func(f string) bool { return strings.HasPrefix(f, "--interval=") }) {
		t.Errorf("HEALTHCHECK %q: want an --interval", hc)
	}
}
