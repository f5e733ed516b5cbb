# syntax=docker/dockerfile:1.7
# Multi-stage build of the api: compile with the Rust toolchain, run on slim Debian
# as an unprivileged user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p stockade \
 && cp target/release/stockade /usr/local/bin/stockade

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/stockade --create-home stockade
COPY --from=build /usr/local/bin/stockade /usr/local/bin/stockade
USER stockade
ENV LISTEN_ADDR=0.0.0.0:8000 \
    DATA_DIR=/var/lib/stockade \
    LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
ENTRYPOINT ["stockade"]
CMD ["serve"]
