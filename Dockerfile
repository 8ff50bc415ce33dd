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

# No HEALTHCHECK: the image has no shell or HTTP client and geopol has no
# health subcommand. Probe GET /api/v1/health from outside the container.
ENTRYPOINT ["/geopol"]
CMD ["serve"]
