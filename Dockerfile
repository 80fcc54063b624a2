# Multi-stage build: compile in the Rust image, run in slim Debian as a non-root user.
# The gateway is built profile-guided (scripts/pgo-build: an instrumented build serves the
# router's labeled prompts from data/router/own.jsonl, then the profile guides the final build);
# `--build-arg PGO=0` builds it plainly.
FROM rust:1-slim-bookworm AS build
ARG PGO=1
RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY benches ./benches
COPY data/router/own.jsonl ./data/router/own.jsonl
COPY scripts/pgo-build scripts/pgo_train.py scripts/bench.py ./scripts/
RUN if [ "$PGO" = "1" ]; then scripts/pgo-build && cp target/pgo/release/gearbox /gearbox; \
    else cargo build --release --locked --bin gearbox && cp target/release/gearbox /gearbox; fi

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home gearbox
COPY --from=build /gearbox /usr/local/bin/gearbox
COPY config /etc/gearbox
USER 10001
# Reachable from outside the container, so never without client auth: the key clients send is
# taken from GEARBOX_CLIENT_KEY (`docker run -e GEARBOX_CLIENT_KEY=$(openssl rand -hex 24) ...`;
# without it the gateway refuses to start and says so). /metrics (team names, spend) is served
# on a port of its own, 9464, published only when asked (`-p 9464:9464`).
ENV GEARBOX_SERVER__LISTEN=0.0.0.0:8080 \
    GEARBOX_AUTH__MODE=keys \
    GEARBOX_AUTH__KEY_ENV=GEARBOX_CLIENT_KEY \
    GEARBOX_METRICS__LISTEN=0.0.0.0:9464
# mimalloc: commit arena memory as it is used, return freed memory to the OS after 10 ms.
ENV MIMALLOC_PURGE_DELAY=10 MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 8080 9464
ENTRYPOINT ["/usr/local/bin/gearbox"]
CMD ["serve"]
