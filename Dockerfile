# syntax=docker/dockerfile:1

# ---- build ----
# The official golang image sets GOTOOLCHAIN=local, so this tag must provide
# at least the Go version named in go.mod.
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/geopol .

# Empty directory owned by the distroless "nonroot" user (65532). A fresh
# named volume mounted at /data copies this ownership, so it stays writable.
RUN mkdir -p /out/data

# ---- runtime ----
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/geopol /geopol
COPY --from=build --chown=65532:65532 /out/data /data

# With WORKDIR / the app's relative default data/... paths also land in /data.
WORKDIR /
ENV HTTP_ADDR=:8000 \
    SQLITE_PATH=/data/geopol.db \
    GDELT_DB_PATH=/data/gdelt.db
VOLUME ["/data"]
EXPOSE 8000
USER nonroot:nonroot

# The image has no shell or HTTP client: geopol probes itself (exec form).
# `geopol health` exits 0 when the API on HTTP_ADDR answers its readiness (or
# health) route with 2xx. Containers that run another command (migrate, ingest)
# should disable it, as compose.yaml does.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/geopol", "health", "--timeout", "4s"]
ENTRYPOINT ["/geopol"]
CMD ["serve"]
