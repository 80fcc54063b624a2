# Multi-stage build: compile in the Rust image, run in slim Debian as a non-root user.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY benches ./benches
RUN cargo build --release --locked --bin gearbox

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home gearbox
COPY --from=build /src/target/release/gearbox /usr/local/bin/gearbox
COPY config /etc/gearbox
USER 10001
ENV GEARBOX_SERVER__LISTEN=0.0.0.0:8080
# mimalloc: commit arena memory as it is used, return freed memory to the OS after 10 ms.
ENV MIMALLOC_PURGE_DELAY=10 MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gearbox"]
CMD ["serve"]
