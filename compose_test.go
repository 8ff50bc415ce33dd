package main

import (
	"context"
	"debug/elf"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads compose.yaml with exactly env as the interpolation
// environment: neither the process environment nor .env is read.
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(wd, "compose.yaml")},
		cli.WithWorkingDirectory(wd),
		cli.WithEnv(pairs),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("service %q: %v", name, err)
	}
	return s
}

func envValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil {
		t.Fatalf("%s: environment %s not set", s.Name, key)
	}
	return *v
}

func TestComposeFile(t *testing.T) {
	cases := []struct {
		name                 string
		env                  map[string]string
		user, db, port, auth string
	}{
		{"defaults", map[string]string{"POSTGRES_PASSWORD": "pw-default-1"}, "geopol", "geopol", "8000", ""},
		{"overrides", map[string]string{
			"POSTGRES_PASSWORD": "pw-override-2", "POSTGRES_USER": "alice", "POSTGRES_DB": "geo2",
			"GEOPOL_PORT": "18080", "ADMIN_TOKEN": "tok-3", "CORS_ORIGINS": "https://a.example",
		}, "alice", "geo2", "18080", "tok-3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := loadCompose(t, tc.env)
			if err != nil {
				t.Fatalf("load compose.yaml: %v", err)
			}
			wd, _ := os.Getwd()
			if p.Name != "geopol" {
				t.Errorf("project name = %q, want geopol", p.Name)
			}

			images := map[string]string{
				"postgres": "postgres:16-alpine", "redis": "redis:7-alpine",
				"migrate": "geopol:local", "api": "geopol:local", "ingest": "geopol:local",
			}
			for name, image := range images {
				if got := service(t, p, name).Image; got != image {
					t.Errorf("%s image = %q, want %q", name, got, image)
				}
			}
			if len(p.Services) != len(images) {
				t.Errorf("services = %v, want exactly %d", p.ServiceNames(), len(images))
			}
			for _, name := range []string{"migrate", "api", "ingest"} {
				b := service(t, p, name).Build
				if b == nil || b.Context != wd || b.Dockerfile != "Dockerfile" {
					t.Errorf("%s build = %+v, want context %s with Dockerfile", name, b, wd)
				}
			}

			pg := service(t, p, "postgres")
			wantHC := map[string][]string{
				"postgres": {"CMD-SHELL", "pg_isready -U ${POSTGRES_USER} -d ${POSTGRES_DB}"},
				"redis":    {"CMD", "redis-cli", "ping"},
			}
			for name, test := range wantHC {
				hc := service(t, p, name).HealthCheck
				if hc == nil || !slices.Equal(hc.Test, test) {
					t.Errorf("%s healthcheck = %+v, want test %q", name, hc, test)
					continue
				}
				if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
					t.Errorf("%s healthcheck lacks interval/timeout/retries", name)
				}
			}
			if hc := pg.HealthCheck; hc != nil && hc.StartPeriod == nil {
				t.Error("postgres healthcheck lacks start_period")
			}
			for k, want := range map[string]string{
				"POSTGRES_USER": tc.user, "POSTGRES_DB": tc.db, "POSTGRES_PASSWORD": tc.env["POSTGRES_PASSWORD"],
			} {
				if got := envValue(t, pg, k); got != want {
					t.Errorf("postgres %s = %q, want %q", k, got, want)
				}
			}

			migrate := service(t, p, "migrate")
			if !slices.Equal(migrate.Command, []string{"migrate", "up"}) {
				t.Errorf("migrate command = %q, want [migrate up]", migrate.Command)
			}
			if migrate.Restart != "no" {
				t.Errorf("migrate restart = %q, want no", migrate.Restart)
			}
			if c := migrate.DependsOn["postgres"].Condition; c != types.ServiceConditionHealthy {
				t.Errorf("migrate depends_on postgres condition = %q", c)
			}

			api := service(t, p, "api")
			if !slices.Equal(api.Command, []string{"serve"}) {
				t.Errorf("api command = %q, want [serve]", api.Command)
			}
			if api.Restart != "unless-stopped" {
				t.Errorf("api restart = %q, want unless-stopped", api.Restart)
			}
			// SIGTERM starts a 5 s drain and a 20 s bound on in-flight requests: Docker must
			// not SIGKILL before both are over.
			if api.StopGracePeriod == nil || time.Duration(*api.StopGracePeriod) < 25*time.Second {
				t.Errorf("api stop_grace_period = %v, want at least 25s (SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT)", api.StopGracePeriod)
			}
			for dep, cond := range map[string]string{
				"postgres": types.ServiceConditionHealthy,
				"redis":    types.ServiceConditionHealthy,
				"migrate":  types.ServiceConditionCompletedSuccessfully,
			} {
				d, ok := api.DependsOn[dep]
				if !ok || d.Condition != cond {
					t.Errorf("api depends_on %s = %+v (present %v), want condition %s", dep, d, ok, cond)
				}
			}

			dbURL := envValue(t, api, "DATABASE_URL")
			if m := envValue(t, migrate, "DATABASE_URL"); m != dbURL {
				t.Errorf("migrate DATABASE_URL %q differs from api %q", m, dbURL)
			}
			u, err := url.Parse(dbURL)
			if err != nil {
				t.Fatalf("DATABASE_URL %q: %v", dbURL, err)
			}
			pw, _ := u.User.Password()
			if u.Scheme != "postgres" || u.Hostname() != "postgres" || u.Port() != "5432" ||
				u.User.Username() != tc.user || pw != tc.env["POSTGRES_PASSWORD"] ||
				u.Path != "/"+tc.db || u.Query().Get("sslmode") != "disable" {
				t.Errorf("DATABASE_URL = %q, want postgres://%s:<password>@postgres:5432/%s?sslmode=disable", dbURL, tc.user, tc.db)
			}
			r, err := url.Parse(envValue(t, api, "REDIS_URL"))
			if err != nil || r.Scheme != "redis" || r.Hostname() != "redis" {
				t.Errorf("REDIS_URL = %v (%v), want redis://redis:...", r, err)
			}
			for k, want := range map[string]string{
				"ENVIRONMENT": "production", "AUTO_MIGRATE": "false", "GDELT_DATABASE_URL": dbURL,
				"LOG_JSON": "true", "ADMIN_TOKEN": tc.auth, "CORS_ORIGINS": tc.env["CORS_ORIGINS"],
			} {
				if got := envValue(t, api, k); got != want {
					t.Errorf("api %s = %q, want %q", k, got, want)
				}
			}

			published := false
			for _, port := range api.Ports {
				if port.Target == 8000 && port.Published == tc.port {
					published = true
				}
			}
			if !published {
				t.Errorf("api ports = %+v, want %s:8000", api.Ports, tc.port)
			}

			ingest := service(t, p, "ingest")
			if !slices.Contains(ingest.Command, "--watch") || !slices.Contains(ingest.Command, "--lastupdate") ||
				ingest.DependsOn["migrate"].Condition != types.ServiceConditionCompletedSuccessfully ||
				envValue(t, ingest, "GDELT_DATABASE_URL") != dbURL {
				t.Errorf("ingest service: command %v, depends_on %+v, GDELT_DATABASE_URL must be the api's (the shared PostgreSQL event store)", ingest.Command, ingest.DependsOn)
			}
			// The event store is in PostgreSQL: neither process keeps a SQLite event file,
			// so api replicas share nothing but PostgreSQL and Redis.
			for _, name := range []string{"api", "ingest"} {
				svc := service(t, p, name)
				if _, ok := svc.Environment["GDELT_DB_PATH"]; ok {
					t.Errorf("%s sets GDELT_DB_PATH: the event store is GDELT_DATABASE_URL's", name)
				}
				if len(svc.Volumes) != 0 {
					t.Errorf("%s mounts %+v: it needs no volume with the PostgreSQL event store", name, svc.Volumes)
				}
			}

			mounts := map[string]struct{ volume, target string }{
				"postgres": {"pgdata", "/var/lib/postgresql/data"},
			}
			for name, m := range mounts {
				found := false
				for _, v := range service(t, p, name).Volumes {
					if v.Type == types.VolumeTypeVolume && v.Source == m.volume && v.Target == m.target {
						found = true
					}
				}
				if !found {
					t.Errorf("%s lacks volume %s at %s", name, m.volume, m.target)
				}
				if _, ok := p.Volumes[m.volume]; !ok {
					t.Errorf("named volume %s not declared", m.volume)
				}
			}
		})
	}
}

func TestComposeRequiresPostgresPassword(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"unset": {},
		"empty": {"POSTGRES_PASSWORD": ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadCompose(t, env)
			if err == nil || !strings.Contains(err.Error(), "required variable POSTGRES_PASSWORD") {
				t.Fatalf("load error = %v, want one naming POSTGRES_PASSWORD as required", err)
			}
		})
	}
}

// dockerfileStages returns each stage's instructions, comments dropped and
// continuation lines joined; index 0 holds what precedes the first FROM.
func dockerfileStages(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := [][]string{nil}
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		cur += line
		if strings.EqualFold(strings.Fields(cur)[0], "FROM") {
			stages = append(stages, nil)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], cur)
		cur = ""
	}
	return stages
}

func TestDockerfileFinalStageNonRoot(t *testing.T) {
	stages := dockerfileStages(t)
	if len(stages) < 3 {
		t.Fatalf("want a multi-stage Dockerfile, got %d stage(s)", len(stages)-1)
	}
	final := stages[len(stages)-1]
	var image, user string
	for _, f := range strings.Fields(final[0])[1:] {
		if !strings.HasPrefix(f, "--") {
			image = f
			break
		}
	}
	for _, ins := range final {
		if f := strings.Fields(ins); strings.EqualFold(f[0], "USER") && len(f) > 1 {
			user = f[1]
		}
	}
	if strings.Contains(image, "golang") {
		t.Errorf("final stage runs from the build image %q", image)
	}
	if user == "" && strings.HasSuffix(image, ":nonroot") {
		user = "nonroot"
	}
	name := strings.SplitN(user, ":", 2)[0]
	if name == "" || name == "root" || name == "0" {
		t.Errorf("final stage (FROM %s) runs as %q, want a non-root USER", image, user)
	}
}

// The build stage's `go build` RUN line is run here as written (its environment
// assignments, flags and package), with only the output path moved into a temp dir, and
// must produce a static binary: the distroless final stage has no C library.
func TestDockerfileBuildCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	var run string
	for _, stage := range dockerfileStages(t)[1:] {
		for _, ins := range stage {
			if f := strings.Fields(ins); strings.EqualFold(f[0], "RUN") && strings.Contains(ins, "go build") {
				run = ins
			}
		}
	}
	if run == "" {
		t.Fatal("no RUN ... go build line in the Dockerfile")
	}
	words, err := shellWords(run)
	if err != nil {
		t.Fatalf("%s: %v", run, err)
	}
	words = words[1:] // RUN
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		words = words[1:] // BuildKit options such as --mount
	}
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("RUN line is not a single go build command: %s", run)
	}
	out := filepath.Join(t.TempDir(), "geopol")
	args := slices.Clone(words[1:])
	moved := false
	for i := range args {
		if args[i] == "-o" && i+1 < len(args) {
			args[i+1], moved = out, true
		}
	}
	if !moved {
		t.Fatalf("the go build line names no -o output: %s", run)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (env %v): %v\n%s", strings.Join(args, " "), env, err, b)
	}
	bin, err := elf.Open(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	defer bin.Close()
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the Dockerfile's build is dynamically linked (env %v); the distroless static image cannot run it", env)
		}
	}
}

// shellWords splits a shell command line into words, honouring single and double quotes
// and backslash escapes; it refuses what it cannot split faithfully (substitutions,
// pipelines, command lists).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for i := 0; i < len(line); i++ {
		c := rune(line[i])
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				if c == '$' || c == '`' {
					return nil, fmt.Errorf("substitution in %q", line)
				}
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case strings.ContainsRune("$`;&|<>()", c):
			return nil, fmt.Errorf("shell syntax %q in %q", c, line)
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
